"""Fault matrix: every fault the sandbox injects × a read, an idempotent write and a non-idempotent write.

The sandbox runs under uvicorn on 127.0.0.1 (so timeouts and dropped connections are real socket events) and our
server reaches it over HTTP with KEITARO_TIMEOUT=0.5. For every cell: the error kind and hint; how many requests
reached the tracker (retries only for reads and idempotent writes, a non-idempotent write exactly once); the
time, within the timeout and retry budget; and the server answers normally afterwards.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from mcp import Client

from keitaro_mcp.classify import MAYBE_APPLIED, TRUNCATED_JSON
from keitaro_mcp.errors import HINTS
from keitaro_mcp.sandbox import Sandbox
from keitaro_mcp.server import build_server
from keitaro_mcp.settings import Settings
from keitaro_mcp.transport import BACKOFF_CAP
from tests.conftest import TEST_API_KEY, TEST_POSTBACK_KEY, make_settings
from tests.reliability._servers import serve_in_thread

pytestmark = pytest.mark.slow  # real timeouts and retries against a tracker on loopback

TIMEOUT = 0.5
SLACK = 0.75
"""Seconds of scheduling noise allowed on top of the computed budget (a loaded CI box)."""


@dataclass(frozen=True)
class Fault:
    label: str
    spec: dict[str, Any]
    kind: str
    retryable: bool
    """Whether a read / idempotent write retries it."""
    hint: str | None = None


FAULTS = [
    Fault("latency", {"kind": "latency", "delay": 1.5}, "timeout", False, HINTS["timeout"]),
    Fault("429", {"kind": "rate_limit", "retry_after": 1}, "rate_limited", True, "retry after 1 s"),
    Fault("500", {"kind": "server_error", "status": 500}, "server", False, HINTS["server"]),
    Fault("502", {"kind": "server_error", "status": 502}, "server", True, HINTS["server"]),
    Fault("503", {"kind": "server_error", "status": 503}, "server", True, HINTS["server"]),
    Fault("challenge", {"kind": "challenge"}, "cloudflare", False, HINTS["cloudflare"]),
    Fault("malformed_json", {"kind": "malformed_json"}, "not_json", False, TRUNCATED_JSON),
    Fault("drop", {"kind": "drop"}, "connection", True, HINTS["connection"]),
]


@dataclass(frozen=True)
class Target:
    label: str
    tool: str
    route: str
    safe_to_repeat: bool


TARGETS = [
    Target("read", "get_campaign", "GET /campaigns/{id}", True),
    Target("idempotent_write", "update_campaign", "PUT /campaigns/{id}", True),
    Target("non_idempotent_write", "create_campaign", "POST /campaigns", False),
]


@dataclass
class Rig:
    sandbox: Sandbox
    client: Client
    settings: Settings
    campaign_id: int

    def arguments(self, target: Target) -> dict[str, Any]:
        if target.tool == "create_campaign":
            return {"name": f"fault-{time.monotonic_ns()}"}
        if target.tool == "update_campaign":
            return {"campaign_id": self.campaign_id, "name": "renamed under faults"}
        return {"campaign_id": self.campaign_id}


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def tracker() -> Iterator[tuple[Sandbox, str]]:
    box = Sandbox(seed=13, clicks=100, api_key=TEST_API_KEY, postback_key=TEST_POSTBACK_KEY)
    with serve_in_thread(box.app, dropping=True) as url:
        yield box, url
    box.close()


@pytest.fixture(scope="module")
async def rig(tracker: tuple[Sandbox, str]) -> AsyncIterator[Rig]:
    box, url = tracker
    settings = make_settings(KEITARO_URL=url, KEITARO_TIMEOUT=str(TIMEOUT))
    async with Client(build_server(settings), raise_exceptions=True) as client:
        listed = (await client.call_tool("list_campaigns", {"full": True})).structured_content
        assert listed is not None and listed["success"], listed
        yield Rig(box, client, settings, listed["data"][0]["id"])


def budget(settings: Settings, fault: Fault, attempts: int) -> float:
    """The most one call may take: each attempt's timeout, plus the waits between attempts."""
    waits = (attempts - 1) * (1.25 * fault.spec.get("retry_after", 0) if fault.kind == "rate_limited" else BACKOFF_CAP)
    return settings.timeout * attempts + waits + SLACK


async def assert_still_serving(rig: Rig) -> None:
    rig.sandbox.faults.clear()
    env = (await rig.client.call_tool("get_campaign", {"campaign_id": rig.campaign_id})).structured_content
    assert env is not None and env["success"], env


@pytest.mark.parametrize("target", TARGETS, ids=[t.label for t in TARGETS])
@pytest.mark.parametrize("fault", FAULTS, ids=[f.label for f in FAULTS])
async def test_persistent_fault(rig: Rig, fault: Fault, target: Target) -> None:
    rig.sandbox.faults.clear()
    rig.sandbox.reset_counts()
    rig.sandbox.faults.add(route=target.route, **fault.spec)
    retries = fault.retryable and target.safe_to_repeat
    attempts = 1 + rig.settings.max_retries if retries else 1
    started = time.monotonic()
    result = await rig.client.call_tool(target.tool, rig.arguments(target))
    elapsed = time.monotonic() - started
    env = result.structured_content
    assert env is not None and result.is_error and not env["success"]
    error = env["error"]
    assert error["kind"] == fault.kind, error
    assert fault.hint is None or fault.hint in error["hint"], error["hint"]
    assert rig.sandbox.request_counts.get(target.route, 0) == attempts
    assert elapsed <= budget(rig.settings, fault, attempts), f"{elapsed:.2f} s"
    ambiguous = not target.safe_to_repeat and fault.label in ("latency", "drop")
    assert (MAYBE_APPLIED in error["hint"]) == ambiguous, error["hint"]
    await assert_still_serving(rig)


TRANSIENT = [f for f in FAULTS if f.retryable]


@pytest.mark.parametrize("target", TARGETS, ids=[t.label for t in TARGETS])
@pytest.mark.parametrize("fault", TRANSIENT, ids=[f.label for f in TRANSIENT])
async def test_transient_fault_is_retried_only_where_safe(rig: Rig, fault: Fault, target: Target) -> None:
    rig.sandbox.faults.clear()
    rig.sandbox.reset_counts()
    rig.sandbox.faults.add(route=target.route, times=1, **fault.spec)
    result = await rig.client.call_tool(target.tool, rig.arguments(target))
    env = result.structured_content
    assert env is not None
    if target.safe_to_repeat:
        assert env["success"], env.get("error")
        assert rig.sandbox.request_counts[target.route] == 2
    else:
        assert env["error"]["kind"] == fault.kind
        assert rig.sandbox.request_counts[target.route] == 1  # reached the tracker exactly once
    await assert_still_serving(rig)


async def test_a_timed_out_create_was_applied_and_the_hint_says_so(rig: Rig) -> None:
    """The tracker finishes a write the client stopped waiting for: the model must check, not repeat."""
    rig.sandbox.faults.clear()
    rig.sandbox.faults.add(route="POST /campaigns", kind="latency", delay=1.0, times=1)
    name = f"slow-{time.monotonic_ns()}"
    env = (await rig.client.call_tool("create_campaign", {"name": name})).structured_content
    assert env is not None and env["error"]["kind"] == "timeout"
    assert MAYBE_APPLIED in env["error"]["hint"]
    time.sleep(1.2)  # the sandbox finishes the request after its delay
    listed = (await rig.client.call_tool("list_campaigns", {"name": name})).structured_content
    assert listed is not None and listed["count"] == 1, listed


async def test_cloudflare_challenge_is_its_own_kind_with_a_hint(rig: Rig) -> None:
    rig.sandbox.faults.clear()
    rig.sandbox.faults.add(route="GET /campaigns", kind="challenge", times=1)
    env = (await rig.client.call_tool("list_campaigns", {})).structured_content
    assert env is not None
    error = env["error"]
    assert error["kind"] == "cloudflare"
    assert error["status"] == 403
    assert error["hint"] == HINTS["cloudflare"]
    assert "Cloudflare" in error["message"]
    await assert_still_serving(rig)


async def test_many_faults_in_a_row_leave_the_server_serving(rig: Rig) -> None:
    rig.sandbox.faults.clear()
    rig.sandbox.faults.add(route="*", kind="server_error", status=503, probability=0.5)
    outcomes = set()
    for _ in range(10):
        env = (await rig.client.call_tool("get_campaign", {"campaign_id": rig.campaign_id})).structured_content
        assert env is not None
        outcomes.add("ok" if env["success"] else env["error"]["kind"])
    assert outcomes <= {"ok", "server"}
    await assert_still_serving(rig)
