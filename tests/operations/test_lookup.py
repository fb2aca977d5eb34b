"""find_entity against the sandbox tracker: any kind by name or id, archived ones included, failures named."""

from __future__ import annotations

import httpx
import pytest
from mcp import Client

from keitaro_mcp.server import build_server
from tests.conftest import Kt, make_settings, records

pytestmark = pytest.mark.anyio


async def test_a_name_is_found_across_kinds(kt: Kt) -> None:
    env = await kt.ok("find_entity", {"query": "NUTRA"})
    assert (env["resource"], env["operation"]) == ("entity", "find")
    assert env["data"]["columns"] == ["kind", "id", "name", "state"]
    found = records(env["data"])
    kinds = {row["kind"] for row in found}
    assert {"campaign", "campaign group"} <= kinds, kinds
    assert all("nutra" in row["name"].lower() for row in found)
    assert env["count"] == len(found)
    paths = {sent.path for sent in kt.wire.sent}
    assert {"/campaigns", "/campaigns/deleted", "/streams/search", "/offers", "/landing_pages", "/traffic_sources",
            "/affiliate_networks", "/domains", "/domains/deleted", "/groups"} <= paths  # fmt: skip


async def test_an_id_of_one_kind(kt: Kt) -> None:
    offers = records((await kt.ok("list_offers", {"full": True}))["data"])
    offer = offers[0]
    kt.wire.sent.clear()
    env = await kt.ok("find_entity", {"query": str(offer["id"]), "kind": "offer"})
    assert [sent.path for sent in kt.wire.sent] == ["/offers"], "one kind: its list only"
    assert records(env["data"]) == [{"kind": "offer", "id": offer["id"], "name": offer["name"], "state": "active"}]


async def test_archived_and_paused_ones_show_their_state(kt: Kt) -> None:
    paused = (await kt.ok("create_campaign", {"name": "Lookup 5521 paused"}))["data"]["id"]
    archived = (await kt.ok("create_campaign", {"name": "Lookup 5521 gone"}))["data"]["id"]
    await kt.ok("set_campaign_state", {"campaign_id": paused, "state": "paused"})
    await kt.ok("archive_campaign", {"campaign_id": archived})
    env = await kt.ok("find_entity", {"query": "lookup 5521", "kind": "campaign"})
    assert {(row["id"], row["state"]) for row in records(env["data"])} == {(paused, "paused"), (archived, "archived")}


async def test_not_found_leads_to_find_entity_which_shows_the_archived_state(kt: Kt) -> None:
    """Keitaro answers 404 for an archived entity: the hint names the tool that finds it and says its state."""
    archived = (await kt.ok("create_campaign", {"name": "Lookup 7730 archived"}))["data"]["id"]
    await kt.ok("archive_campaign", {"campaign_id": archived})
    gone = await kt.call("get_campaign", {"campaign_id": archived})
    assert gone["error"]["kind"] == "not_found"
    assert "find_entity" in gone["error"]["hint"] and "deleted list" not in gone["error"]["hint"], gone["error"]
    found = await kt.ok("find_entity", {"query": str(archived), "kind": "campaign"})
    assert records(found["data"]) == [
        {"kind": "campaign", "id": archived, "name": "Lookup 7730 archived", "state": "archived"}
    ]


async def test_flows_are_found_through_keitaros_flow_search(kt: Kt) -> None:
    (campaign,) = records((await kt.ok("list_campaigns", {"limit": 1}))["data"])
    args = {"campaign_id": campaign["id"], "name": "Lookup flow 8812", "schema": "redirect", "action_type": "http",
            "action_payload": "https://example.test/x"}  # fmt: skip
    flow = (await kt.ok("create_flow", args))["data"]
    env = await kt.ok("find_entity", {"query": "flow 8812", "kind": "flow"})
    assert kt.wire.last.path == "/streams/search" and kt.wire.last.query == {"query": "flow 8812"}
    assert records(env["data"]) == [{"kind": "flow", "id": flow["id"], "name": "Lookup flow 8812", "state": "active"}]


async def test_a_failed_read_is_named_and_the_others_still_answer() -> None:
    def tracker(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/offers"):
            return httpx.Response(500, json={"error": "offers are down"})
        if request.url.path.endswith("/campaigns"):
            return httpx.Response(200, json=[{"id": 4, "name": "Alpha one", "state": "disabled"}])
        return httpx.Response(200, json=[])

    async with Client(build_server(make_settings(), transport=httpx.MockTransport(tracker))) as client:
        result = await client.call_tool("find_entity", {"query": "alpha"})
    env = result.structured_content or {}
    assert env["success"] is True and env["data"]["rows"] == [["campaign", 4, "Alpha one", "paused"]]
    (unread,) = env["data"]["unread"]
    assert unread.startswith("could not read the offer list: ") and "offers are down" in unread


async def test_every_read_failing_is_a_failure(kt: Kt) -> None:
    await kt.refused("find_entity", {"query": ""}, "query")
    await kt.refused("find_entity", {"query": "x", "kind": "banner"}, "kind")
