"""Shared fixtures: a sandbox tracker reached through a recording transport, and MCP clients on top of it.

Every test talks to 127.0.0.1 or to an in-process ASGI app; nothing leaves the machine.
"""

from __future__ import annotations

import contextlib
import functools
import getpass
import json
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest
from mcp import Client, MCPError
from mcp.client.context import ClientRequestContext
from mcp.shared.dispatcher import ProgressFnT
from mcp.types import ElicitRequestParams, ElicitResult

from keitaro_mcp.server import build_server
from keitaro_mcp.settings import Settings, load_settings

pytest_plugins = ["tests.secrets_guard"]
TEST_API_KEY = "test-api-key-5f1c9a7e"
TEST_POSTBACK_KEY = "pbkey-3b8d0e"
TEST_URL = "http://tracker.test"
REGENERATE = "python -m keitaro_mcp.docs"
"""The one command that rewrites every generated file (tool index, README tables, server.json, tool snapshots)."""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session", autouse=True)
def contract_check() -> Iterator[None]:
    """Every exchange with any sandbox during the session is validated against Keitaro's OpenAPI document
    (with the commented deltas of tests/sandbox/contract.py, where the 2022 document is out of date).
    Without the document the check is off; the contract tests' skip reason says how to point at it."""
    from tests.sandbox.contract import SPEC_PATH, ContractRecorder

    if SPEC_PATH is None:
        yield
        return
    with ContractRecorder() as recorder:
        yield
    problems = recorder.problems()
    if problems:
        pytest.fail(f"{len(problems)} exchange(s) break the API contract:\n" + "\n".join(problems[:30]))


WIRE_DIRS = ("operations", "reports")
"""Where the wire tests live; the session checks every tool was called through `Kt` when all of them ran."""


@dataclass
class _Selection:
    wire_deselected: bool = False
    all_wire_tests: bool = False


_SELECTION = _Selection()


def _is_wire_test(path: Path) -> bool:
    here = Path(__file__).parent
    return any(path.is_relative_to(here / d) for d in WIRE_DIRS)


def pytest_deselected(items: list[pytest.Item]) -> None:
    if any(_is_wire_test(item.path) for item in items):
        _SELECTION.wire_deselected = True


def pytest_collection_finish(session: pytest.Session) -> None:
    here = Path(__file__).parent
    collected = {item.path for item in session.items if _is_wire_test(item.path)}
    on_disk = {path for d in WIRE_DIRS for path in (here / d).glob("test_*.py")}
    narrowed = any("::" in arg for arg in session.config.args)
    _SELECTION.all_wire_tests = on_disk <= collected and not narrowed and not _SELECTION.wire_deselected


@pytest.fixture(scope="session", autouse=True)
def every_tool_has_a_wire_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """When every wire test ran (and passed), every tool in the registry was called through `Kt` and reached the
    tracker at least once. Counted from the calls themselves: a tool named in a comment or a table does not count."""
    yield
    if not _SELECTION.all_wire_tests or request.session.testsfailed:
        return
    from keitaro_mcp.operations import OPERATIONS

    missing = [op.name for op in OPERATIONS if op.name not in WIRE_TOOLS]
    if missing:
        pytest.fail(f"tools no wire test calls through the kt fixture ({', '.join(WIRE_DIRS)}): {missing}")
    unchecked = [op.name for op in OPERATIONS if op.writes and op.name not in RECEIPT_TOOLS]
    if unchecked:
        pytest.fail(f"write tools no wire test saw succeed (their receipt was never checked): {unchecked}")


@dataclass
class Sent:
    """One request as it left the server: method, Admin API path (or full path outside it), query, JSON body."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str] = field(repr=False)  # carries the API key: never in a failure message


READ_POSTS = frozenset({"/report/build", "/clicks/log", "/conversions/log", "/logs/types"})
"""Keitaro's reads by POST."""


@dataclass
class RecordingTransport(httpx.AsyncBaseTransport):
    """Forwards to another transport and remembers every request (the wire, as Keitaro would see it)."""

    inner: httpx.AsyncBaseTransport
    sent: list[Sent] = field(default_factory=list)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raw = await request.aread()
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        path = request.url.path.removeprefix("/admin_api/v1")
        self.sent.append(
            Sent(
                request.method, path, dict(request.url.params), body, {k.lower(): v for k, v in request.headers.items()}
            )
        )
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()

    @property
    def last(self) -> Sent:
        return self.sent[-1]

    @property
    def last_write(self) -> Sent:
        """The last request that was not a read (a write reads its entity before and, at times, after)."""
        return next(s for s in reversed(self.sent) if s.method != "GET" and s.path not in READ_POSTS)


# Exports made by tests (the fuzzer calls export tools too) go to a scratch folder, never into the checkout. The
# export tools create it on first use; the session removes it at the end (`scratch_exports`).
TEST_EXPORT_DIR = str(Path(tempfile.gettempdir()) / f"keitaro-mcp-test-exports-{os.getpid()}")


@pytest.fixture(scope="session", autouse=True)
def scratch_exports() -> Iterator[None]:
    yield
    shutil.rmtree(TEST_EXPORT_DIR, ignore_errors=True)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Nothing stays in the temp folder: pytest removes a passing test's tmp_path (tmp_path_retention_policy), and
    its per-user folder goes too once empty (another run's folders keep it)."""
    with contextlib.suppress(OSError):
        (Path(tempfile.gettempdir()) / f"pytest-of-{getpass.getuser()}").rmdir()


def records(data: Any) -> list[dict[str, Any]]:
    """A list answer's rows as objects: `{columns, rows}` (the usual form) or Keitaro's own objects (`full`)."""
    if isinstance(data, dict) and "columns" in data:
        return [dict(zip(data["columns"], row, strict=True)) for row in data["rows"]]
    assert isinstance(data, list), data
    return data


def make_settings(**env: str) -> Settings:
    base = {
        "KEITARO_URL": TEST_URL,
        "KEITARO_API_KEY": TEST_API_KEY,
        "KEITARO_TOOLSETS": "all",
        "KEITARO_EXPORT_DIR": TEST_EXPORT_DIR,
    }
    base.update(env)
    return load_settings(base)


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Any]:
    """One seeded sandbox tracker for the session (tests that change state use their own entities)."""
    from keitaro_mcp.sandbox import Sandbox

    box = Sandbox(seed=7, clicks=8_000, api_key=TEST_API_KEY, postback_key=TEST_POSTBACK_KEY)
    yield box
    box.close()


@pytest.fixture
def wire(sandbox: Any) -> RecordingTransport:
    """A recording transport into the session sandbox."""
    return RecordingTransport(httpx.ASGITransport(app=sandbox.app))


WIRE_TOOLS: set[str] = set()
"""Every tool a test called through `Kt` whose call reached the tracker (checked at the end of the session)."""
RECEIPT_TOOLS: set[str] = set()
"""Every write tool whose successful result a wire test received (and `check_receipt` checked)."""
RECEIPT_BUDGET = 400
"""cl100k tokens of a write's whole result text, at most: a receipt, not the entity."""


def check_receipt(tool: str, envelope: dict[str, Any], text: str) -> None:
    """A write's result is a compact receipt: which entity, each change before and after, within the budget."""
    import bpe_openai

    receipt = envelope["data"]
    assert isinstance(receipt, dict) and isinstance(receipt.get("changes"), dict), f"{tool}: no receipt: {receipt}"
    for field_name, change in receipt["changes"].items():
        assert isinstance(change, dict) and "after" in change, f"{tool}: {field_name} has no after: {change}"
        assert set(change) <= {"before", "after", "removed", "added"}, f"{tool}: {field_name}: {change}"
    assert set(receipt) <= {"id", "name", "alias", "sub_id", "of", "changes", "effects", "notes"} | RECEIPT_SCOPES, (
        receipt
    )
    tokens = len(bpe_openai.get_encoding("cl100k_base").encode(text))
    assert tokens <= RECEIPT_BUDGET, f"{tool}: {tokens} tokens of result text (budget {RECEIPT_BUDGET}): {text}"
    RECEIPT_TOOLS.add(tool)


RECEIPT_SCOPES = frozenset(
    {"campaign_id", "campaign_ids", "clicks", "from", "to", "timezone", "log_type", "removed", "added", "path"}
    | {"user_id", "group_id", "offer_id", "landing_id", "traffic_source_id", "integration_id"}
)
"""What a bulk write's receipt may say it covered (the scope its impact read counted)."""


@functools.cache
def _writes() -> frozenset[str]:
    from keitaro_mcp.tool_index import load_cards

    return frozenset(card.name for card in load_cards() if card.writes)


@dataclass
class Person:
    """The person at the client: answers the server's confirmation questions (`answer`), remembers each one."""

    answer: Literal["accept", "decline", "cancel"] = "accept"
    asked: list[str] = field(default_factory=list)

    async def __call__(self, context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult:
        self.asked.append(params.message)
        if self.answer == "accept":
            return ElicitResult(action="accept", content={"confirm": True})
        return ElicitResult(action=self.answer)


@dataclass
class Kt:
    """An MCP client on a server wired to the sandbox; `call` returns the envelope and records the wire. The client
    can ask the person (`person`), who confirms what cannot be undone unless a test says otherwise."""

    client: Client
    wire: RecordingTransport
    person: Person = field(default_factory=Person)

    async def call(
        self, tool: str, arguments: dict[str, Any] | None = None, progress: ProgressFnT | None = None
    ) -> dict[str, Any]:
        before = len(self.wire.sent)
        try:
            result = await self.client.call_tool(tool, arguments or {}, progress_callback=progress)
        except MCPError:
            _fail_if_missing_from_the_index(tool)
            raise
        envelope = result.structured_content
        assert isinstance(envelope, dict)
        assert result.is_error == (not envelope["success"])
        text = result.content[0]
        assert json.loads(getattr(text, "text", "")) == envelope
        if len(self.wire.sent) > before:
            WIRE_TOOLS.add(tool)
        if envelope["success"] and tool in _writes():
            check_receipt(tool, envelope, getattr(text, "text", ""))
        return envelope

    async def ok(
        self, tool: str, arguments: dict[str, Any] | None = None, progress: ProgressFnT | None = None
    ) -> dict[str, Any]:
        envelope = await self.call(tool, arguments, progress)
        assert envelope["success"], envelope.get("error")
        return envelope

    async def refused(self, tool: str, arguments: dict[str, Any], *fields: str) -> dict[str, Any]:
        """The call is refused as invalid arguments (naming each of `fields`), and nothing reaches the tracker."""
        before = len(self.wire.sent)
        envelope = await self.call(tool, arguments)
        assert envelope["success"] is False and envelope["error"]["kind"] == "invalid_arguments", envelope
        for name in fields:
            assert name in envelope["error"]["message"], envelope["error"]["message"]
        assert self.wire.sent[before:] == [], "a refused call sent a request to the tracker"
        return envelope


def _fail_if_missing_from_the_index(tool: str) -> None:
    from keitaro_mcp.operations import OPERATIONS
    from keitaro_mcp.tool_index import load_cards

    if any(op.name == tool for op in OPERATIONS) and all(card.name != tool for card in load_cards()):
        pytest.fail(
            f"{tool} is in the registry but not in the tool index the server lists tools from: "
            f"regenerate the generated files with `{REGENERATE}`"
        )


@pytest.fixture
async def kt(wire: RecordingTransport) -> AsyncIterator[Kt]:
    """MCP client (in-memory transport) on a server with every toolset, talking to the sandbox."""
    server = build_server(make_settings(KEITARO_POSTBACK_KEY=TEST_POSTBACK_KEY), transport=wire)
    person = Person()
    async with Client(server, raise_exceptions=True, elicitation_callback=person) as client:
        yield Kt(client, wire, person)
