"""Wire tests for the log tools against the sandbox tracker."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from mcp import Client

from keitaro_mcp.sandbox import Sandbox
from keitaro_mcp.server import build_server
from tests.conftest import TEST_API_KEY, TEST_POSTBACK_KEY, Kt, Person, RecordingTransport, make_settings

pytestmark = pytest.mark.anyio


async def test_get_log_always_sends_a_limit(kt: Kt) -> None:
    envelope = await kt.ok("get_log", {"log_type": "system"})
    assert kt.wire.last.method == "GET" and kt.wire.last.path == "/logs/system"
    assert kt.wire.last.query == {"limit": "100"}, "Keitaro requires limit; the default is sent"
    assert envelope["resource"] == "log" and envelope["operation"] == "get"
    assert envelope["count"] == len(envelope["data"]) >= 1
    assert {"datetime", "message"} <= set(envelope["data"][0])


async def test_get_log_pages_and_searches(kt: Kt) -> None:
    envelope = await kt.ok("get_log", {"log_type": "system", "limit": 5, "offset": 0, "query": "GeoIP"})
    assert kt.wire.last.query == {"limit": "5", "offset": "0", "query": "GeoIP"}
    assert envelope["data"] and all("GeoIP" in row["message"] for row in envelope["data"])


@pytest.fixture
async def own_kt() -> AsyncIterator[Kt]:
    """A client on a tracker of its own: erasing a log here leaves the session's logs to the other tests."""
    box = Sandbox(seed=7, clicks=300, api_key=TEST_API_KEY, postback_key=TEST_POSTBACK_KEY)
    wire = RecordingTransport(httpx.ASGITransport(app=box.app))
    person = Person()
    server = build_server(make_settings(KEITARO_POSTBACK_KEY=TEST_POSTBACK_KEY), transport=wire)
    try:
        async with Client(server, raise_exceptions=True, elicitation_callback=person) as client:
            yield Kt(client, wire, person)
    finally:
        box.close()


async def test_clean_log_asks_the_person_with_the_rows_it_erases(own_kt: Kt) -> None:
    kt = own_kt
    rows = len((await kt.ok("get_log", {"log_type": "postbacks", "limit": 1000}))["data"])
    assert rows > 0
    envelope = await kt.ok("clean_log", {"log_type": "postbacks"})
    assert kt.person.asked[-1] == f"Erase the postbacks log: {rows:,} rows. This cannot be undone."
    assert kt.wire.last.method == "DELETE" and kt.wire.last.path == "/logs/postbacks"
    assert kt.wire.last.query == {} and kt.wire.last.body is None
    assert envelope["operation"] == "clean"
    assert envelope["data"] == {"log_type": "postbacks", "changes": {"rows": {"before": f"{rows:,}", "after": 0}}}
    assert (await kt.ok("get_log", {"log_type": "postbacks"}))["data"] == []
