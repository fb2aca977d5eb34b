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


async def test_list_log_types_is_a_post_read(kt: Kt) -> None:
    envelope = await kt.ok("list_log_types")
    assert kt.wire.last.method == "POST" and kt.wire.last.path == "/logs/types"
    assert envelope["operation"] == "getTypes" and "system" in envelope["data"]


async def test_clean_log_needs_confirmation(kt: Kt) -> None:
    before = len(kt.wire.sent)
    refused = await kt.call("clean_log", {"log_type": "ssl"})
    assert refused["error"]["kind"] == "invalid_arguments" and "confirm" in refused["error"]["message"]
    assert len(kt.wire.sent) == before
    envelope = await kt.ok("clean_log", {"log_type": "ssl", "confirm": True})
    assert kt.wire.last.method == "DELETE" and kt.wire.last.path == "/logs/ssl"
    assert kt.wire.last.query == {} and kt.wire.last.body is None, "confirm is not sent"
    assert envelope["operation"] == "clean"
    assert (await kt.ok("get_log", {"log_type": "ssl"}))["data"] == []


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("get_log", {}),
        ("get_log", {"log_type": "errors"}),
        ("get_log", {"log_type": "system", "limit": 0}),
        ("get_log", {"log_type": "system", "offset": -1}),
        ("get_log", {"log_type": "system", "search": "x"}),
        ("clean_log", {"log_type": "traffic", "confirm": False}),
        ("list_log_types", {"log_type": "system"}),
    ],
)
async def test_bad_input_sends_nothing(kt: Kt, tool: str, arguments: dict[str, object]) -> None:
    envelope = await kt.call(tool, arguments)
    assert envelope["error"]["kind"] == "invalid_arguments"
    assert not kt.wire.sent
