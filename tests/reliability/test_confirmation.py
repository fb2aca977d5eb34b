"""A person confirms what cannot be undone, with the SDK's own client over stdio and over HTTP.

clean_stats on a real sandbox tracker: a client that cannot ask the person gets `needs_confirmation` and the
clicks stay; a person who declines keeps them; a person who accepts sees them gone; KEITARO_CONFIRM=off runs without
asking. On a 2026-07-28 connection the question is an input-required round trip, on a 2025-11-25 one an
elicitation request; a stateless HTTP server cannot send a 2025-11-25 client a request, so such a client cannot be
asked. Every attempt leaves one audit line.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from keitaro_mcp.http import build_http_app
from keitaro_mcp.sandbox import Sandbox
from tests import secrets_guard
from tests.conftest import TEST_API_KEY, TEST_POSTBACK_KEY, Person, make_settings
from tests.reliability._servers import free_socket, serve_in_thread

pytestmark = pytest.mark.slow  # server processes and a uvicorn server on loopback

CAMPAIGN = 3
TODAY = datetime.now(UTC).date()
CLEAN = {
    "campaign_id": CAMPAIGN,
    "start_date": str(TODAY - timedelta(days=60)),
    "end_date": str(TODAY),
    "timezone": "UTC",
}


async def traffic(client: Client) -> tuple[int, int]:
    """The campaign's clicks and conversions over the clean's period, as a report shows them."""
    period = f"{CLEAN['start_date']}..{CLEAN['end_date']}"
    args = {"period": period, "measures": ["clicks", "conversions"], "filters": [["campaign_id", "EQUALS", CAMPAIGN]]}
    result = await client.call_tool("build_report", args)
    envelope = result.structured_content
    assert envelope is not None and envelope["success"], envelope
    summary = envelope["data"]["summary"]
    return int(summary["clicks"]), int(summary["conversions"])


async def clean(client: Client) -> dict[str, Any]:
    result = await client.call_tool("clean_stats", CLEAN)
    envelope: dict[str, Any] | None = result.structured_content
    assert envelope is not None and result.is_error == (not envelope["success"])
    return envelope


def audit_lines(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    secrets_guard.check(text, f"audit file {path.name}")
    return [json.loads(line) for line in text.splitlines()]


def question(before: tuple[int, int]) -> str:
    return (
        f"Delete all clicks and conversions of campaign {CAMPAIGN} from {CLEAN['start_date']} to {CLEAN['end_date']}"
        f" (UTC): {before[0]:,} clicks, {before[1]:,} conversions. This cannot be undone."
    )


async def check_the_person_decides(client: Client, person: Person | None, confirm_off: bool = False) -> list[str]:
    """Run the scenarios this client allows; return the outcomes the audit log should show, in order."""
    before = await traffic(client)
    assert before[0] > 0, "the campaign has clicks to lose"
    outcomes: list[str] = []
    if person is None and not confirm_off:
        refused = await clean(client)
        assert refused["error"]["kind"] == "needs_confirmation", refused
        assert refused["error"]["message"].startswith(f"Not sent: {question(before)}")
        assert "KEITARO_CONFIRM=off" in refused["error"]["hint"]
        assert await traffic(client) == before, "nothing was sent"
        return ["unconfirmed"]
    if person is not None:
        person.answer = "decline"
        declined = await clean(client)
        assert declined["error"]["kind"] == "declined" and person.asked == [question(before)]
        assert await traffic(client) == before, "declined: nothing was sent"
        person.answer = "accept"
        outcomes.append("declined")
    done = await clean(client)
    assert done["success"], done
    assert done["data"]["changes"] == {
        "clicks": {"before": before[0], "after": 0},
        "conversions": {"before": before[1], "after": 0},
    }
    assert await traffic(client) == (0, 0), "the data is gone"
    if person is not None:
        assert person.asked[-1] == question(before)
    else:
        assert confirm_off
    return [*outcomes, "sent"]


# -- stdio: `keitaro-mcp` with KEITARO_URL=sandbox, spawned by the SDK's client --------------------------------------


@asynccontextmanager
async def over_stdio(audit: Path, person: Person | None, mode: str, **env: str) -> AsyncIterator[Client]:
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith("KEITARO_")}
    clean_env |= {"KEITARO_URL": "sandbox", "KEITARO_TOOLSETS": "all", "KEITARO_AUDIT_LOG": str(audit), **env}
    params = StdioServerParameters(command=sys.executable, args=["-m", "keitaro_mcp"], env=clean_env)
    async with Client(params, mode=mode, elicitation_callback=person) as client:
        yield client


@pytest.mark.parametrize(
    ("mode", "person", "env"),
    [
        ("auto", None, {}),
        ("auto", Person(), {}),
        ("legacy", Person(), {}),
        ("auto", None, {"KEITARO_CONFIRM": "off"}),
    ],
    ids=["cannot-ask", "asks-2026", "asks-2025", "confirm-off"],
)
async def test_clean_stats_over_stdio(tmp_path: Path, mode: str, person: Person | None, env: dict[str, str]) -> None:
    audit = tmp_path / "audit.jsonl"
    async with over_stdio(audit, person, mode, **env) as client:
        expected = await check_the_person_decides(client, person, confirm_off=bool(env))
    assert [(e["tool"], e["outcome"]) for e in audit_lines(audit)] == [("clean_stats", o) for o in expected]


# -- HTTP: the stateless streamable HTTP app on loopback, reaching a sandbox in-process -----------------------------


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A tracker of its own for each test: a clean changes it."""
    box = Sandbox(seed=5, clicks=2_000, api_key=TEST_API_KEY, postback_key=TEST_POSTBACK_KEY)
    yield box
    box.close()


@asynccontextmanager
async def over_http(
    sandbox: Sandbox, audit: Path, person: Person | None, mode: str, **env: str
) -> AsyncIterator[Client]:
    settings = make_settings(KEITARO_AUDIT_LOG=str(audit), **env)
    sock = free_socket()
    port = sock.getsockname()[1]
    app = build_http_app(
        settings, host="127.0.0.1", port=port, allowed_hosts=[], transport=httpx.ASGITransport(app=sandbox.app)
    )
    with serve_in_thread(app, sock=sock) as url:
        async with (
            httpx2.AsyncClient(timeout=httpx2.Timeout(30.0, read=60.0)) as http,
            Client(
                streamable_http_client(f"{url}/mcp", http_client=http), mode=mode, elicitation_callback=person
            ) as client,
        ):
            yield client


@pytest.mark.parametrize(
    ("mode", "person", "env"),
    [
        ("auto", None, {}),
        ("auto", Person(), {}),
        ("auto", None, {"KEITARO_CONFIRM": "off"}),
    ],
    ids=["cannot-ask", "asks-2026", "confirm-off"],
)
async def test_clean_stats_over_http(
    sandbox: Sandbox, tmp_path: Path, mode: str, person: Person | None, env: dict[str, str]
) -> None:
    audit = tmp_path / "audit.jsonl"
    async with over_http(sandbox, audit, person, mode, **env) as client:
        expected = await check_the_person_decides(client, person, confirm_off=bool(env))
    assert [(e["tool"], e["outcome"]) for e in audit_lines(audit)] == [("clean_stats", o) for o in expected]


async def test_a_2025_client_of_the_stateless_http_server_cannot_be_asked(sandbox: Sandbox, tmp_path: Path) -> None:
    person = Person()
    async with over_http(sandbox, tmp_path / "audit.jsonl", person, "legacy") as client:
        expected = await check_the_person_decides(client, None)
    assert person.asked == [] and expected == ["unconfirmed"]
