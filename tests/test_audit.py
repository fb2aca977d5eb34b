"""The audit log: one JSON line per write attempt, whatever became of it; reads only when asked; no secret in it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from keitaro_mcp import audit as audit_module
from keitaro_mcp.server import build_server
from keitaro_mcp.settings import SettingsError, load_settings
from tests import secrets_guard
from tests.conftest import TEST_API_KEY, TEST_POSTBACK_KEY, RecordingTransport, make_settings

pytestmark = pytest.mark.anyio

PASSWORD = "Audit-pass-5521"


def lines(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    secrets_guard.check(text, f"audit file {path.name}")
    return [json.loads(line) for line in text.splitlines()]


@asynccontextmanager
async def client(wire: RecordingTransport, **env: str) -> AsyncIterator[Client]:
    server = build_server(make_settings(KEITARO_POSTBACK_KEY=TEST_POSTBACK_KEY, **env), transport=wire)
    async with Client(server) as connected:
        yield connected


async def test_every_write_attempt_is_one_line_and_reads_are_not_logged(
    wire: RecordingTransport, tmp_path: Path
) -> None:
    log = tmp_path / "audit.jsonl"
    async with client(wire, KEITARO_AUDIT_LOG=str(log)) as mcp:
        await mcp.call_tool("get_campaign", {"campaign_id": 3})
        sent = await mcp.call_tool("set_campaign_state", {"campaign_id": 3, "state": "paused"})
        refused = await mcp.call_tool("update_campaign", {"campaign_id": 3, "cookies_ttl": 0})
        failed = await mcp.call_tool("update_campaign", {"campaign_id": 999_999, "name": "Nope"})
        user = await mcp.call_tool("create_user", {"login": "audit.user", "password": PASSWORD, "type": "USER"})
        await mcp.call_tool("set_campaign_state", {"campaign_id": 3, "state": "active"})
    assert not sent.is_error and refused.is_error and failed.is_error and not user.is_error
    entries = lines(log)
    assert [(e["tool"], e["outcome"]) for e in entries] == [
        ("set_campaign_state", "sent"),
        ("update_campaign", "refused"),
        ("update_campaign", "failed"),
        ("create_user", "sent"),
        ("set_campaign_state", "sent"),
    ]
    first = entries[0]
    assert first["time"].endswith("Z") and first["user"] == "local" and first["tracker"] == "tracker.test"
    assert (
        first["arguments"] == {"campaign_id": 3, "state": "paused"}
        and first["success"] is True
        and first["error_kind"] is None
    )
    assert first["requests"][-1] == {"method": "POST", "path": "/campaigns/3/disable", "status": 200}
    assert isinstance(first["duration_ms"], int) and first["duration_ms"] >= 0
    assert entries[1]["error_kind"] == "invalid_arguments" and entries[1]["requests"] == []
    assert entries[2]["error_kind"] == "not_found" and entries[2]["requests"][-1]["status"] == 404
    assert entries[3]["arguments"]["password"] == "***" and PASSWORD not in log.read_text(encoding="utf-8")


async def test_reads_are_logged_when_asked(wire: RecordingTransport, tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    async with client(wire, KEITARO_AUDIT_LOG=str(log), KEITARO_AUDIT_READS="true") as mcp:
        await mcp.call_tool("get_campaign", {"campaign_id": 3})
    [entry] = lines(log)
    assert (entry["tool"], entry["outcome"], entry["changes"]) == ("get_campaign", "read", None)
    assert entry["requests"] == [{"method": "GET", "path": "/campaigns/3", "status": 200}]


async def test_a_write_refused_in_read_only_mode_is_logged(wire: RecordingTransport, tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    async with client(wire, KEITARO_AUDIT_LOG=str(log), KEITARO_READ_ONLY="true") as mcp:
        result = await mcp.call_tool("archive_campaign", {"campaign_id": 3})
    assert result.is_error
    [entry] = lines(log)
    assert (entry["tool"], entry["outcome"], entry["error_kind"]) == ("archive_campaign", "refused", "read_only")


async def test_the_postback_key_in_a_path_is_masked(wire: RecordingTransport, tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    async with client(wire, KEITARO_AUDIT_LOG=str(log)) as mcp:
        await mcp.call_tool("create_conversion", {"sub_id": "no-such-click", "status": "lead", "tid": "audit-1"})
    [entry] = lines(log)
    # What the postback would replace, the postback, then the check that it was recorded.
    assert [r["path"] for r in entry["requests"]][:2] == ["/conversions/log", "/***/postback"]
    assert TEST_POSTBACK_KEY not in log.read_text(encoding="utf-8")


async def test_concurrent_calls_never_interleave(wire: RecordingTransport, tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    async with client(wire, KEITARO_AUDIT_LOG=str(log)) as mcp, anyio.create_task_group() as tasks:
        for n in range(40):
            state = "active" if n % 2 else "paused"
            tasks.start_soon(mcp.call_tool, "set_campaign_state", {"campaign_id": 4, "state": state})
    entries = lines(log)  # every line parses whole
    assert len(entries) == 40 and {e["outcome"] for e in entries} == {"sent"}


class StopsAtTheWrite(httpx.AsyncBaseTransport):
    """Reads reach the sandbox; the first write leaves, then the call ends without an answer: `how` is "crash" (an
    exception, as a bug would raise) or "hang" (no answer until the call is cancelled)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, how: str) -> None:
        self.inner, self.how, self.reached = inner, how, anyio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return await self.inner.handle_async_request(request)
        self.reached.set()
        if self.how == "crash":
            raise RuntimeError("the call broke after the write left")
        await anyio.sleep_forever()
        raise AssertionError("never answered")


@pytest.mark.parametrize("how", ["crash", "hang"])
async def test_a_write_that_ends_without_an_envelope_is_still_one_line(sandbox: Any, tmp_path: Path, how: str) -> None:
    """A crash or a cancellation (the client gave up) after the request left: the attempt is logged, failed."""
    log = tmp_path / "audit.jsonl"
    network = StopsAtTheWrite(httpx.ASGITransport(app=sandbox.app), how)
    server = build_server(make_settings(KEITARO_AUDIT_LOG=str(log)), transport=network)
    arguments = {"campaign_id": 4, "state": "paused"}
    async with Client(server) as mcp:
        if how == "crash":
            with pytest.raises(MCPError):
                await mcp.call_tool("set_campaign_state", arguments)
        else:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(mcp.call_tool, "set_campaign_state", arguments)
                await network.reached.wait()
                tasks.cancel_scope.cancel()
    assert network.reached.is_set()
    with anyio.fail_after(5):
        while not log.exists():  # the server's side of a cancelled call ends as the client closes
            await anyio.sleep(0.01)
    [entry] = lines(log)
    kind = "internal" if how == "crash" else "cancelled"
    assert (entry["tool"], entry["outcome"], entry["success"], entry["error_kind"]) == (
        "set_campaign_state",
        "failed",
        False,
        kind,
    )
    assert entry["requests"] == [
        {"method": "GET", "path": "/campaigns/4", "status": 200},
        {"method": "POST", "path": "/campaigns/4/disable", "status": None},
    ]


async def test_the_file_rotates_by_size_with_the_standard_handler(
    wire: RecordingTransport, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit_module, "AUDIT_MAX_BYTES", 2_000)
    log = tmp_path / "audit.jsonl"
    async with client(wire, KEITARO_AUDIT_LOG=str(log)) as mcp:
        for _ in range(12):
            await mcp.call_tool("set_campaign_state", {"campaign_id": 4, "state": "paused"})
    rotated = sorted(p.name for p in tmp_path.iterdir())
    assert rotated[:2] == ["audit.jsonl", "audit.jsonl.1"]
    assert all(len(p.read_bytes()) <= 2_000 for p in tmp_path.iterdir())
    assert sum(len(lines(p)) for p in tmp_path.iterdir()) == 12


async def test_stderr_is_a_target(wire: RecordingTransport, capsys: pytest.CaptureFixture[str]) -> None:
    async with client(wire, KEITARO_AUDIT_LOG="stderr") as mcp:
        await mcp.call_tool("set_campaign_state", {"campaign_id": 4, "state": "paused"})
    err = capsys.readouterr().err
    [entry] = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert entry["tool"] == "set_campaign_state" and TEST_API_KEY not in err


@pytest.mark.parametrize(
    ("value", "says"),
    [("/no/such/folder/audit.jsonl", "does not exist or is not writable"), (".", "is a folder")],
)
def test_an_unusable_audit_path_stops_start_up(value: str, says: str) -> None:
    with pytest.raises(SettingsError, match=says):
        load_settings({"KEITARO_URL": "sandbox", "KEITARO_AUDIT_LOG": value})


def test_the_audit_target_is_read_from_the_environment(tmp_path: Path) -> None:
    settings: Callable[..., Any] = lambda **env: load_settings({"KEITARO_URL": "sandbox", **env})  # noqa: E731
    assert settings().audit_log is None
    assert settings(KEITARO_AUDIT_LOG="STDERR").audit_log == "stderr"
    assert settings(KEITARO_AUDIT_LOG=str(tmp_path / "a.jsonl")).audit_log == str(tmp_path / "a.jsonl")
    assert settings(KEITARO_AUDIT_READS="true").audit_reads is True
