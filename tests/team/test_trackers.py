"""Two trackers (two sandboxes with different seeds): the `tracker` argument routes each call, the default goes to
the first, envelopes name the tracker, and a user reaches only the trackers they have a key for."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.reliability._servers import mcp_over_http
from tests.team.conftest import TOKENS, Served, Tracker, serve_team, users_config

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


@pytest.fixture(scope="module")
def served(main_tracker: Tracker, eu_tracker: Tracker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    config = users_config(main_tracker, eu_tracker)
    with serve_team(config, tmp_path_factory.mktemp("trackers")) as served:
        yield served


async def call(served: Served, token: str, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    async with mcp_over_http(served.mcp, token) as client:
        result = await client.call_tool(tool, arguments)
    envelope: dict[str, Any] | None = result.structured_content
    assert envelope is not None
    return envelope


async def test_the_tracker_argument_routes_each_call(
    served: Served, main_tracker: Tracker, eu_tracker: Tracker
) -> None:
    report = {"period": "last_30_days", "measures": ["clicks"]}
    seen = {}
    for arguments, expected in [
        ({}, main_tracker),
        ({"tracker": "main"}, main_tracker),
        ({"tracker": "eu"}, eu_tracker),
    ]:
        before = (main_tracker.requests(), eu_tracker.requests())
        envelope = await call(served, TOKENS["anna"], "build_report", {**report, **arguments})
        assert envelope["success"], envelope
        assert envelope["tracker"] == arguments.get("tracker", "main")
        assert envelope["request"]["url"].startswith(expected.url + "/admin_api/v1/")
        after = (main_tracker.requests(), eu_tracker.requests())
        went = [after[i] - before[i] for i in (0, 1)]
        # The report may read the tracker's report definition first: one or two requests, all to one tracker.
        assert (went[0] > 0, went[1] > 0) == (expected is main_tracker, expected is eu_tracker), arguments
        seen[envelope["tracker"]] = envelope["data"]
    # Different seeds, different traffic: each answer is its own tracker's.
    assert seen["main"] != seen["eu"]


async def test_schemas_offer_the_trackers_a_user_may_use(served: Served) -> None:
    async with mcp_over_http(served.mcp, TOKENS["anna"]) as client:
        anna = (await client.list_tools()).tools
        listed = await client.read_resource("keitaro://trackers")
    assert anna and all(
        t.input_schema["properties"]["tracker"] == {"enum": ["main", "eu"], "default": "main"} for t in anna
    )
    assert all("tracker" not in t.input_schema.get("required", []) for t in anna)
    trackers = json.loads(listed.contents[0].text)  # type: ignore[union-attr]
    assert [t["name"] for t in trackers] == ["main", "eu"] and trackers[0]["default"] is True
    assert trackers[0]["timezone"] == "Europe/Berlin"
    # Oleg has a key for main only: his schemas are today's, and eu is not his to name.
    async with mcp_over_http(served.mcp, TOKENS["oleg"]) as client:
        oleg = (await client.list_tools()).tools
    assert all("tracker" not in (t.input_schema.get("properties") or {}) for t in oleg)
    refused = await call(served, TOKENS["oleg"], "list_campaigns", {"tracker": "eu"})
    assert refused["error"]["kind"] == "invalid_arguments"
    assert refused["error"]["responseData"][0]["field"] == "tracker"


async def test_a_tracker_the_user_may_not_use_is_refused_naming_the_choices(
    served: Served, main_tracker: Tracker, eu_tracker: Tracker
) -> None:
    before = main_tracker.requests() + eu_tracker.requests()
    refused = await call(served, TOKENS["anna"], "list_campaigns", {"tracker": "us"})
    assert refused["error"]["kind"] == "invalid_arguments"
    assert refused["error"]["responseData"] == [
        {"field": "tracker", "problem": "must be one of main, eu (the trackers you may use); got 'us'"}
    ]
    assert main_tracker.requests() + eu_tracker.requests() == before
