"""Exports stay inside KEITARO_EXPORT_DIR, are written whole or not at all, are capped, and cannot carry formulas.

The tracker here is a small click log behind httpx's MockTransport (rows chosen by each test), so every page, pause
and failure is exact; the export folder is the test's own temporary folder.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client

from keitaro_mcp.operations import exports
from keitaro_mcp.server import build_server
from keitaro_mcp.settings import Settings
from tests.conftest import TEST_API_KEY, make_settings
from tests.reliability._servers import free_socket, serve_in_thread

pytestmark = pytest.mark.anyio


class ClickLog:
    """`POST /clicks/log` over `rows` (dicts with click_id), paged by `limit` and `click_id > last` like Keitaro."""

    def __init__(self, rows: list[dict[str, Any]], *, fail_page: int | None = None) -> None:
        self.rows = rows
        self.fail_page = fail_page
        self.pages = 0
        self.on_page: Callable[[int], Any] | None = None

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.pages += 1
        if self.on_page is not None:
            await self.on_page(self.pages)
        if self.pages == self.fail_page:
            return httpx.Response(500, json={"error": "boom"})
        after = next((f["expression"] for f in body.get("filters", []) if f["operator"] == "GREATER_THAN"), 0)
        page = [r for r in self.rows if r["click_id"] > after][: body["limit"]]
        return httpx.Response(200, json={"rows": page, "total": len(self.rows)})


def clicks(n: int, **extra: Any) -> list[dict[str, Any]]:
    return [{"click_id": i, "sub_id": f"s{i}", "cost": "0.5", **extra} for i in range(1, n + 1)]


async def export(settings: Settings, log: ClickLog, arguments: dict[str, Any]) -> dict[str, Any]:
    server = build_server(settings, transport=httpx.MockTransport(log))
    async with Client(server, raise_exceptions=True) as client:
        result = await client.call_tool("export_clicks", {"period": "today", "columns": ["click_id", "sub_id", "cost"],
                                                          **arguments})  # fmt: skip
    env = result.structured_content
    assert isinstance(env, dict)
    return env


def folder(tmp_path: Path) -> Path:
    root = tmp_path / "exports"
    root.mkdir()
    return root


def listing(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir())


ESCAPES = [
    "../escaped.csv",
    "../../escaped.csv",
    "/tmp/escaped.csv",
    "/dev/stdout",
    "~root/escaped.csv",
    "~/escaped.csv",
    "sub/escaped.csv",
    "sub\\escaped.csv",
    "..",
    ".",
    ".hidden.csv",
    "a..b.csv",
    "nul\x00byte.csv",
    "x" * 121,
    "",
    "name with space.csv",
    "tab\tname.csv",
]


@pytest.mark.parametrize("name", ESCAPES, ids=repr)
async def test_file_is_a_plain_name_inside_the_folder(tmp_path: Path, name: str) -> None:
    root = folder(tmp_path)
    log = ClickLog(clicks(3))
    env = await export(make_settings(KEITARO_EXPORT_DIR=str(root)), log, {"file": name})
    error = env["error"]
    assert error["kind"] == "invalid_arguments", error
    assert [p["field"] for p in error["responseData"]] == ["file"]
    assert "file name" in error["message"] or "NUL" in error["message"]
    assert log.pages == 0, "nothing may reach the tracker"
    assert listing(root) == [] and listing(tmp_path) == ["exports"]
    assert str(tmp_path) not in json.dumps(env)  # no server path in the answer


async def test_a_symlink_in_the_folder_is_never_written_through(tmp_path: Path) -> None:
    root = folder(tmp_path)
    outside = tmp_path / "outside.csv"
    (root / "trap.csv").symlink_to(outside)  # dangling: following it would create a file outside the folder
    log = ClickLog(clicks(3))
    env = await export(make_settings(KEITARO_EXPORT_DIR=str(root)), log, {"file": "trap.csv"})
    assert env["error"]["kind"] == "invalid_arguments" and "already exists" in env["error"]["message"]
    assert not outside.exists() and log.pages == 0


async def test_the_folder_is_resolved_once_at_start(tmp_path: Path) -> None:
    root = folder(tmp_path)
    settings = make_settings(KEITARO_EXPORT_DIR=str(root))
    root.rmdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    root.symlink_to(elsewhere)  # swapped for a symlink after start
    log = ClickLog(clicks(3))
    env = await export(settings, log, {"file": "x.csv"})
    assert env["error"]["kind"] == "config"
    assert "no longer the folder configured at start" in env["error"]["message"]
    assert listing(elsewhere) == [] and log.pages == 0
    assert str(tmp_path) not in json.dumps(env)


async def test_the_file_is_private_and_appears_only_when_complete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exports, "CLICK_PAGE", 1_000)
    root = folder(tmp_path)
    log = ClickLog(clicks(2_500))
    seen: list[list[str]] = []

    async def during(page: int) -> None:
        seen.append(listing(root))

    log.on_page = during
    env = await export(make_settings(KEITARO_EXPORT_DIR=str(root)), log, {"file": "clicks.csv"})
    assert env["success"], env
    assert log.pages == 3
    for names in seen:  # while pages are fetched: only the hidden temporary file, never the final name
        assert "clicks.csv" not in names and all(n.startswith(".") and n.endswith(".part") for n in names)
    assert listing(root) == ["clicks.csv"]
    path = root / "clicks.csv"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert env["data"]["path"] == str(path) and env["data"]["bytes"] == path.stat().st_size


async def test_a_failed_page_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exports, "CLICK_PAGE", 100)
    root = folder(tmp_path)
    log = ClickLog(clicks(500), fail_page=3)
    env = await export(make_settings(KEITARO_EXPORT_DIR=str(root)), log, {})
    assert env["error"]["kind"] == "server" and "after 200 rows" in env["error"]["message"]
    assert listing(root) == []


async def test_a_cancelled_export_removes_its_file_and_stops_fetching(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a client's cancellation, a closed stdio pipe or an HTTP client gone do to the call: cancel it."""
    monkeypatch.setattr(exports, "CLICK_PAGE", 100)
    root = folder(tmp_path)
    log = ClickLog(clicks(1_000))
    reached = anyio.Event()

    async def stall(page: int) -> None:
        if page == 3:
            reached.set()
            await anyio.sleep_forever()

    log.on_page = stall
    server = build_server(make_settings(KEITARO_EXPORT_DIR=str(root)), transport=httpx.MockTransport(log))
    async with Client(server, raise_exceptions=True) as client, anyio.create_task_group() as tg:
        tg.start_soon(client.call_tool, "export_clicks", {"period": "today"})
        await reached.wait()
        assert len(listing(root)) == 1  # the partial file, hidden
        tg.cancel_scope.cancel()
    await anyio.sleep(0.2)
    assert listing(root) == []
    assert log.pages == 3


async def test_rows_cap_stops_the_export_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exports, "CLICK_PAGE", 100)
    root = folder(tmp_path)
    log = ClickLog(clicks(1_000))
    settings = make_settings(KEITARO_EXPORT_DIR=str(root), KEITARO_EXPORT_MAX_ROWS="250")
    env = await export(settings, log, {"file": "capped.csv"})
    assert env["success"], env
    assert env["data"]["rows"] == 250
    assert env["meta"]["truncated"] is True and "KEITARO_EXPORT_MAX_ROWS=250" in env["meta"]["note"]
    with (root / "capped.csv").open(encoding="utf-8") as f:
        assert len(list(csv.reader(f))) == 251
    assert log.pages <= 4  # stopped fetching at the cap


async def test_bytes_cap_keeps_whole_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exports, "CLICK_PAGE", 100)
    root = folder(tmp_path)
    log = ClickLog(clicks(1_000))
    settings = dataclasses.replace(make_settings(KEITARO_EXPORT_DIR=str(root)), export_max_bytes=2_000)
    env = await export(settings, log, {"file": "small.jsonl", "format": "jsonl"})
    assert env["success"] and env["meta"]["truncated"] and "KEITARO_EXPORT_MAX_MB" in env["meta"]["note"]
    raw = (root / "small.jsonl").read_bytes()
    assert len(raw) <= 2_000 and env["data"]["bytes"] == len(raw)
    lines = raw.decode().splitlines()
    assert len(lines) == env["data"]["rows"] and all(json.loads(line)["click_id"] for line in lines)


def test_export_caps_have_defaults_and_are_configurable() -> None:
    settings = make_settings()
    assert settings.export_max_rows == 5_000_000 and settings.export_max_bytes == 1024 * 1024 * 1024
    assert make_settings(KEITARO_EXPORT_MAX_MB="5").export_max_bytes == 5 * 1024 * 1024
    from keitaro_mcp.settings import SettingsError

    with pytest.raises(SettingsError, match="KEITARO_EXPORT_MAX_ROWS"):
        make_settings(KEITARO_EXPORT_MAX_ROWS="many")


FORMULAS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd", "=1,2", "safe", ""]


async def test_csv_cells_cannot_become_formulas(tmp_path: Path) -> None:
    root = folder(tmp_path)
    rows = [{"click_id": i + 1, "sub_id": text, "cost": -1.5 if i == 0 else "-2.25"} for i, text in enumerate(FORMULAS)]
    env = await export(make_settings(KEITARO_EXPORT_DIR=str(root)), ClickLog(rows), {"file": "f.csv"})
    assert env["success"], env
    with (root / "f.csv").open(encoding="utf-8", newline="") as f:
        written = list(csv.reader(f))[1:]
    expected = [("'" + t if t[:1] in ("=", "+", "-", "@", "\t", "\r") else t) for t in FORMULAS]
    assert [r[1] for r in written] == expected
    assert [r[2] for r in written] == ["-1.5"] + ["-2.25"] * (len(FORMULAS) - 1)  # numbers stay numbers
    env = await export(make_settings(KEITARO_EXPORT_DIR=str(root)), ClickLog(rows), {"file": "f", "format": "jsonl"})
    lines = (root / "f.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["sub_id"] for line in lines] == FORMULAS  # JSON Lines: as received


async def test_default_names_never_collide(tmp_path: Path) -> None:
    root = folder(tmp_path)
    settings = make_settings(KEITARO_EXPORT_DIR=str(root))
    first = await export(settings, ClickLog(clicks(2)), {})
    second = await export(settings, ClickLog(clicks(2)), {})
    assert first["data"]["path"] != second["data"]["path"]
    assert len(listing(root)) == 2 and not any(n.startswith(".") for n in listing(root))


async def test_an_unusable_folder_is_an_envelope_without_server_paths(tmp_path: Path) -> None:
    (tmp_path / "plain-file").write_text("not a folder", encoding="utf-8")
    root = tmp_path / "plain-file" / "exports"
    env = await export(make_settings(KEITARO_EXPORT_DIR=str(root)), ClickLog(clicks(2)), {"file": "x.csv"})
    assert env["error"]["kind"] == "config"
    assert "the export folder exports cannot be written" in env["error"]["message"]
    assert str(tmp_path) not in json.dumps(env)


class StallingTracker:
    """A real tracker on 127.0.0.1 whose click log answers the first page and holds the second until released."""

    def __init__(self) -> None:
        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import JSONResponse
        from starlette.routing import Route

        self.pages = 0
        self.released = False

        async def log(request: Request) -> JSONResponse:
            body = await request.json()
            self.pages += 1
            while self.pages >= 2 and not self.released:
                await anyio.sleep(0.05)
            rows = [{"click_id": i, "sub_id": f"s{i}"} for i in range(1, body["limit"] + 1)]
            return JSONResponse({"rows": rows, "total": 10**6})

        self.app = Starlette(routes=[Route("/admin_api/v1/clicks/log", log, methods=["POST"])])

    def wait_for_second_page(self) -> None:
        deadline = time.monotonic() + 30
        while self.pages < 2:
            assert time.monotonic() < deadline, "the export never asked for its second page"
            time.sleep(0.05)


def wait_empty(root: Path) -> None:
    deadline = time.monotonic() + 10
    while listing(root) and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.mark.slow  # a server process over stdio
def test_a_closed_stdio_pipe_removes_the_partial_file(tmp_path: Path) -> None:
    root = folder(tmp_path)
    tracker = StallingTracker()
    with serve_in_thread(tracker.app) as url:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KEITARO_")}
        env |= {"KEITARO_URL": url, "KEITARO_API_KEY": TEST_API_KEY, "KEITARO_EXPORT_DIR": str(root)}
        server = subprocess.Popen(
            [sys.executable, "-m", "keitaro_mcp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
        )
        assert server.stdin is not None and server.stdout is not None
        for message in (INITIALIZE, INITIALIZED, EXPORT_CALL):
            server.stdin.write((json.dumps(message) + "\n").encode())
            server.stdin.flush()
        tracker.wait_for_second_page()
        assert len(listing(root)) == 1  # the partial file, hidden
        server.stdin.close()  # the MCP client went away
        assert server.wait(30) == 0
        server.stdout.close()
        wait_empty(root)
        tracker.released = True
    assert listing(root) == []
    assert tracker.pages == 2  # stopped fetching


@pytest.mark.slow  # a server on loopback
def test_an_http_client_that_went_away_removes_the_partial_file(tmp_path: Path) -> None:
    from keitaro_mcp.http import build_http_app

    root = folder(tmp_path)
    tracker = StallingTracker()
    with serve_in_thread(tracker.app) as url:
        settings = make_settings(KEITARO_URL=url, KEITARO_EXPORT_DIR=str(root))
        sock = free_socket()
        port = sock.getsockname()[1]
        app = build_http_app(settings, host="127.0.0.1", port=port, allowed_hosts=[])
        with serve_in_thread(app, sock=sock):
            body = json.dumps(EXPORT_CALL).encode()
            head = (
                f"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
                "Accept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2025-11-25\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            )
            with socket.create_connection(("127.0.0.1", port)) as client:
                client.sendall(head.encode() + body)
                tracker.wait_for_second_page()
                assert len(listing(root)) == 1
            wait_empty(root)
            tracker.released = True
    assert listing(root) == []
    assert tracker.pages == 2


INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}
EXPORT_CALL = {
    "jsonrpc": "2.0",
    "id": 2,
    "method": "tools/call",
    "params": {"name": "export_clicks", "arguments": {"period": "today"}},
}
