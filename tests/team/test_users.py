"""Users on the HTTP transport: each bearer token acts as its user, with their own Keitaro key, rights and tools."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from keitaro_mcp.sandbox.seed.entities import USERS
from keitaro_mcp.tool_index import load_cards
from tests.conftest import records
from tests.reliability._servers import mcp_over_http
from tests.team.conftest import TOKENS, Served, Tracker, serve_team, users_config

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


def selected(login: str) -> set[int]:
    return next(set(campaigns) for name, _, _, campaigns in USERS if name == login)


@pytest.fixture(scope="module")
def served(main_tracker: Tracker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serve_team(users_config(main_tracker), tmp_path_factory.mktemp("team")) as served:
        yield served


async def campaign_ids(served: Served, token: str) -> set[int]:
    async with mcp_over_http(served.mcp, token) as client:
        result = await client.call_tool("list_campaigns", {})
    assert not result.is_error, result.structured_content
    assert result.structured_content is not None
    return {c["id"] for c in records(result.structured_content["data"])}


async def test_two_users_see_the_campaigns_their_keitaro_rights_allow(served: Served) -> None:
    anna = await campaign_ids(served, TOKENS["anna"])
    oleg = await campaign_ids(served, TOKENS["oleg"])
    assert anna and oleg and not anna & oleg
    assert anna <= selected("anna.buyer") and oleg <= selected("oleg.buyer")
    # The analyst's Keitaro user may read every campaign.
    assert await campaign_ids(served, TOKENS["max"]) >= anna | oleg


async def test_a_users_call_goes_out_with_their_own_key(served: Served, main_tracker: Tracker) -> None:
    theirs = min(selected("oleg.buyer"))
    async with mcp_over_http(served.mcp, TOKENS["anna"]) as client:
        refused = await client.call_tool("get_campaign", {"campaign_id": theirs})
    assert refused.is_error and refused.structured_content is not None
    assert refused.structured_content["error"]["kind"] == "forbidden"
    assert refused.structured_content["error"]["status"] == 403


async def test_a_read_only_user_lists_no_write_tool_and_is_refused_one(served: Served, main_tracker: Tracker) -> None:
    async with mcp_over_http(served.mcp, TOKENS["max"]) as client:
        tools = (await client.list_tools()).tools
        before = main_tracker.requests()
        refused = await client.call_tool("update_campaign", {"campaign_id": 1, "name": "x"})
    writes = {card.name for card in load_cards() if card.writes}
    assert tools and not {t.name for t in tools} & writes
    assert "list_campaigns" in {t.name for t in tools} and "update_campaign" not in {t.name for t in tools}
    assert refused.is_error and refused.structured_content is not None
    assert refused.structured_content["error"]["kind"] == "read_only"
    assert "[users.max] read_only" in refused.structured_content["error"]["message"]
    assert main_tracker.requests() == before  # nothing reached the tracker
    async with mcp_over_http(served.mcp, TOKENS["anna"]) as client:
        assert "update_campaign" in {t.name for t in (await client.list_tools()).tools}


async def test_an_unknown_token_is_401_and_nothing_is_sent(served: Served, main_tracker: Tracker) -> None:
    before = main_tracker.requests()
    async with httpx.AsyncClient() as http:
        for headers in ({}, {"Authorization": "Bearer not-a-token-of-anyone"}):
            response = await http.post(served.mcp, headers=headers, json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
            assert response.status_code == 401
            assert response.headers["www-authenticate"].startswith('Bearer realm="keitaro-mcp"')
            assert "resource_metadata" not in response.headers["www-authenticate"]  # no [oauth]: no metadata
    assert main_tracker.requests() == before


async def test_one_tracker_keeps_todays_tool_schemas(served: Served, main_tracker: Tracker, tmp_path: Path) -> None:
    from mcp import Client

    from keitaro_mcp.server import build_server
    from tests.conftest import make_settings

    async with mcp_over_http(served.mcp, TOKENS["anna"]) as client:
        listed = (await client.list_tools()).tools
    async with Client(build_server(make_settings(KEITARO_TOOLSETS="all"))) as local:
        today = (await local.list_tools()).tools
    assert [t.model_dump() for t in listed] == [t.model_dump() for t in today]
    assert all("tracker" not in (t.input_schema.get("properties") or {}) for t in listed)
