"""Wire tests for the log tools against the sandbox tracker."""

from __future__ import annotations

import pytest

from tests.conftest import Kt

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


async def test_clean_log_needs_confirmation(kt: Kt) -> None:
    await kt.refused("clean_log", {"log_type": "ssl"}, "confirm")
    envelope = await kt.ok("clean_log", {"log_type": "ssl", "confirm": True})
    assert kt.wire.last.method == "DELETE" and kt.wire.last.path == "/logs/ssl"
    assert kt.wire.last.query == {} and kt.wire.last.body is None, "confirm is not sent"
    assert envelope["operation"] == "clean"
    assert (await kt.ok("get_log", {"log_type": "ssl"}))["data"] == []
