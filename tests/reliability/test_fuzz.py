"""Fuzz every tool from its own input schema: every call ends in an envelope; no crash, hang or protocol error.

Coverage grows by itself: the cases come from the registry (`OPERATIONS`), so a tool added tomorrow is fuzzed
tomorrow. The module has its own small sandbox, so destructive calls (archives, bot list clears, stats cleaning)
disturb nobody else. Cases are derandomized: CI sees the same calls (up to ten a tool) on every run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from mcp import Client

from keitaro_mcp.operations import OPERATIONS
from keitaro_mcp.registry import Operation
from keitaro_mcp.sandbox import Sandbox
from keitaro_mcp.server import build_server
from tests.conftest import TEST_API_KEY, TEST_POSTBACK_KEY, make_settings
from tests.reliability.fuzzing import Tally, call_case, cases_for

pytestmark = pytest.mark.slow  # about a thousand generated calls

VALID_PER_TOOL = 5
INVALID_PER_TOOL = 5


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def fuzz_sandbox() -> Iterator[Sandbox]:
    box = Sandbox(seed=5, clicks=400, api_key=TEST_API_KEY, postback_key=TEST_POSTBACK_KEY)
    yield box
    box.close()


@pytest.fixture(scope="module")
async def fuzz_client(fuzz_sandbox: Sandbox) -> AsyncIterator[Client]:
    settings = make_settings(KEITARO_POSTBACK_KEY=TEST_POSTBACK_KEY, KEITARO_TIMEOUT="5")
    server = build_server(settings, transport=httpx.ASGITransport(app=fuzz_sandbox.app))
    async with Client(server, raise_exceptions=False) as client:
        yield client


def _requests(sandbox: Sandbox) -> int:
    return sum(sandbox.request_counts.values())


@pytest.mark.parametrize("op", OPERATIONS, ids=[op.name for op in OPERATIONS])
async def test_fuzz_tool(op: Operation[Any], fuzz_client: Client, fuzz_sandbox: Sandbox) -> None:
    tally = Tally()
    for case in cases_for(op, VALID_PER_TOOL, INVALID_PER_TOOL):
        await call_case(fuzz_client, op, case, lambda: _requests(fuzz_sandbox), tally)
    assert not tally.failures, "\n".join(tally.failures)
    assert tally.by_outcome["invalid_arguments"] >= 1, "no invalid case was refused: the schema accepts anything?"
