"""What a user sees of trackers is decided by the trackers they may use, not by how many the server has.

A user with one tracker on a server with three lists and reads exactly what a client of a one-tracker server does
(no keitaro://trackers, no `tracker` argument); a user with two of the three reads only those two. A `tracker`
argument where there is nothing to choose is refused naming the one tracker there is, and nothing is sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from keitaro_mcp.server import build_server
from tests.conftest import make_settings
from tests.reliability._servers import mcp_over_http
from tests.team.conftest import TOKENS, Served, Tracker, serve_team, tracker_tables

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


def config(main: Tracker, eu: Tracker, *, several: bool = True) -> str:
    others = {"eu": eu.url, "asia": eu.url} if several else {}
    return f"""{tracker_tables(main=main.url, **others)}
[users.anna]
token_env = "ANNA_TOKEN"
keys = {{ main = "ANNA_KEY"{', eu = "ANNA_KEY"' if several else ""} }}

[users.oleg]
token_env = "OLEG_TOKEN"
keys = {{ main = "OLEG_KEY" }}
"""


@pytest.fixture(scope="module")
def served(main_tracker: Tracker, eu_tracker: Tracker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serve_team(config(main_tracker, eu_tracker), tmp_path_factory.mktemp("three")) as served:
        yield served


@pytest.fixture(scope="module")
def single(main_tracker: Tracker, eu_tracker: Tracker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serve_team(config(main_tracker, eu_tracker, several=False), tmp_path_factory.mktemp("one")) as served:
        yield served


async def test_a_one_tracker_user_sees_what_a_one_tracker_server_shows(served: Served) -> None:
    async with mcp_over_http(served.mcp, TOKENS["oleg"]) as client:
        resources = (await client.list_resources()).resources
        tools = (await client.list_tools()).tools
        with pytest.raises(MCPError) as theirs:
            await client.read_resource("keitaro://trackers")
    async with Client(build_server(make_settings(KEITARO_TOOLSETS="all"))) as local:
        today = (await local.list_resources()).resources
        with pytest.raises(MCPError) as one_tracker:
            await local.read_resource("keitaro://trackers")
    assert [r.model_dump() for r in resources] == [r.model_dump() for r in today]
    assert "keitaro://trackers" not in {str(r.uri) for r in resources}
    assert (theirs.value.code, theirs.value.message) == (one_tracker.value.code, one_tracker.value.message)
    assert tools and all("tracker" not in (t.input_schema.get("properties") or {}) for t in tools)


async def test_a_user_reads_only_the_trackers_they_may_use(served: Served) -> None:
    async with mcp_over_http(served.mcp, TOKENS["anna"]) as client:
        listed = {str(r.uri) for r in (await client.list_resources()).resources}
        read = await client.read_resource("keitaro://trackers")
    assert "keitaro://trackers" in listed
    trackers = json.loads(read.contents[0].text)  # type: ignore[union-attr]
    assert [t["name"] for t in trackers] == ["main", "eu"]  # not asia: she has no key for it


async def refusal(served: Served, token: str, tracker: Tracker, arguments: dict[str, Any]) -> dict[str, Any]:
    before = tracker.requests()
    async with mcp_over_http(served.mcp, token) as client:
        result = await client.call_tool("list_campaigns", arguments)
    assert tracker.requests() == before  # nothing sent
    envelope: dict[str, Any] | None = result.structured_content
    assert envelope is not None and result.is_error
    assert envelope["error"]["kind"] == "invalid_arguments"
    return envelope


async def test_a_tracker_argument_of_a_one_tracker_user_is_refused_naming_theirs(
    served: Served, main_tracker: Tracker
) -> None:
    envelope = await refusal(served, TOKENS["oleg"], main_tracker, {"tracker": "eu", "limit": 5})
    problem = "you have one tracker, main; leave tracker out"
    assert envelope["error"]["responseData"] == [{"field": "tracker", "problem": problem}]
    assert envelope["error"]["message"] == f"Invalid arguments for list_campaigns: tracker: {problem}"


async def test_a_tracker_argument_on_a_one_tracker_server_is_refused_naming_it(
    single: Served, main_tracker: Tracker
) -> None:
    # Even the one tracker's own name: the tools take no tracker argument here, as their schemas say.
    envelope = await refusal(single, TOKENS["anna"], main_tracker, {"tracker": "main"})
    problem = "this server has one tracker, main; leave tracker out"
    assert envelope["error"]["responseData"] == [{"field": "tracker", "problem": problem}]
    assert "tracker" not in envelope  # one tracker: envelopes do not name it
