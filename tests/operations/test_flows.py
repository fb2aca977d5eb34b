"""Wire tests for the flow (stream) tools against the sandbox tracker."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Kt, records

pytestmark = pytest.mark.anyio


async def some_ids(kt: Kt, tool: str, n: int) -> list[int]:
    ids = [row["id"] for row in records((await kt.ok(tool))["data"])[:n]]
    assert len(ids) == n
    return ids


async def new_flow(kt: Kt, **fields: Any) -> dict[str, Any]:
    (campaign_id,) = await some_ids(kt, "list_campaigns", 1)
    args = {"campaign_id": campaign_id, "name": "Wire flow", "schema": "redirect", "action_type": "http",
            "action_payload": "https://example.test/a", **fields}  # fmt: skip
    flow_id = (await kt.ok("create_flow", args))["data"]["id"]
    data: dict[str, Any] = (await kt.ok("get_flow", {"flow_id": flow_id}))["data"]
    kt.wire.sent.clear()
    return data


async def test_create_flow_sends_required_fields_and_defaults_collect_clicks_to_true(kt: Kt) -> None:
    (campaign_id,) = await some_ids(kt, "list_campaigns", 1)
    offer_a, offer_b = await some_ids(kt, "list_offers", 2)
    args = {
        "campaign_id": campaign_id,
        "name": "Offers only",
        "schema": "landings",
        "action_type": "http",
        "filters": [{"name": "country", "mode": "accept", "payload": ["US", "CA"]}, {"name": "bot", "mode": "reject"}],
        "offers": [{"offer_id": offer_a, "share": 60}, {"offer_id": offer_b, "share": 40, "state": "paused"}],
    }
    envelope = await kt.ok("create_flow", args)
    assert kt.wire.last.method == "POST" and kt.wire.last.path == "/streams"
    sent_offers = [{"offer_id": offer_a, "share": 60}, {"offer_id": offer_b, "share": 40, "state": "disabled"}]
    assert kt.wire.last.body == {**args, "offers": sent_offers, "type": "regular", "collect_clicks": True}
    assert envelope["resource"] == "stream" and envelope["operation"] == "create"
    receipt = envelope["data"]
    assert receipt["name"] == "Offers only" and receipt["changes"]["schema"] == {"before": None, "after": "landings"}
    flow = (await kt.ok("get_flow", {"flow_id": receipt["id"]}))["data"]
    assert flow["campaign_id"] == campaign_id and flow["schema"] == "landings" and flow["collect_clicks"] is True
    assert [(o["offer_id"], o["share"], o["state"]) for o in flow["offers"]] == [
        (offer_a, 60, "active"),
        (offer_b, 40, "disabled"),
    ]
    assert [f["name"] for f in flow["filters"]] == ["country", "bot"]


async def test_update_flow_replaces_the_offer_set(kt: Kt) -> None:
    offer_a, offer_b, offer_c = await some_ids(kt, "list_offers", 3)
    flow = await new_flow(kt, schema="landings", offers=[{"offer_id": offer_a, "share": 50},
                                                          {"offer_id": offer_b, "share": 50}])  # fmt: skip
    kept_binding = flow["offers"][0]["id"]
    offers = [{"offer_id": offer_a, "share": 70}, {"offer_id": offer_c, "share": 30}]
    envelope = await kt.ok("update_flow", {"flow_id": flow["id"], "offers": offers})
    assert kt.wire.last.method == "PUT" and kt.wire.last.path == f"/streams/{flow['id']}"
    assert kt.wire.last.body == {"offers": offers}, "only the given field is sent"
    assert envelope["operation"] == "update"
    changes = envelope["data"]["changes"]
    assert changes[f"offers[{kept_binding}].share"] == {"before": 50, "after": 70}, "the same offer keeps its binding"
    dropped = flow["offers"][1]["id"]
    assert changes[f"offers[{dropped}].offer_id"] == {"before": offer_b, "after": None}
    [added] = [c for name, c in changes.items() if name.endswith(".offer_id") and c["before"] is None]
    assert added["after"] == offer_c
    after = (await kt.ok("get_flow", {"flow_id": flow["id"]}))["data"]
    assert [(o["offer_id"], o["share"]) for o in after["offers"]] == [(offer_a, 70), (offer_c, 30)]
    assert after["name"] == "Wire flow" and after["action_payload"] == "https://example.test/a"


async def test_update_flow_pauses_an_offer_in_the_words_lists_use(kt: Kt) -> None:
    """`paused` as lists say it: sent as Keitaro's `disabled`, answered as `paused`; Keitaro's word is refused."""
    offer_a, offer_b = await some_ids(kt, "list_offers", 2)
    flow = await new_flow(kt, schema="landings", offers=[{"offer_id": offer_a, "share": 50},
                                                          {"offer_id": offer_b, "share": 50}])  # fmt: skip
    paused_binding = flow["offers"][1]["id"]
    offers: list[dict[str, Any]] = [
        {"offer_id": offer_a, "share": 50},
        {"offer_id": offer_b, "share": 50, "state": "paused"},
    ]
    envelope = await kt.ok("update_flow", {"flow_id": flow["id"], "offers": offers})
    assert kt.wire.last.body == {"offers": [offers[0], {**offers[1], "state": "disabled"}]}
    assert envelope["data"]["changes"] == {f"offers[{paused_binding}].state": {"before": "active", "after": "paused"}}
    stored = (await kt.ok("get_flow", {"flow_id": flow["id"]}))["data"]["offers"]
    assert [o["state"] for o in stored] == ["active", "disabled"], "get_flow answers Keitaro's own object"
    offers[1]["state"] = "disabled"
    await kt.refused("update_flow", {"flow_id": flow["id"], "offers": offers}, "state", "'active' or 'paused'")


async def test_update_flow_sets_landings(kt: Kt) -> None:
    (landing,) = await some_ids(kt, "list_landing_pages", 1)
    flow = await new_flow(kt, schema="landings")
    envelope = await kt.ok("update_flow", {"flow_id": flow["id"], "landings": [{"landing_id": landing, "share": 100}]})
    assert kt.wire.last.body == {"landings": [{"landing_id": landing, "share": 100}]}
    [(name, change)] = [(n, c) for n, c in envelope["data"]["changes"].items() if n.endswith(".landing_id")]
    assert name.startswith("landings[") and change == {"before": None, "after": landing}


async def test_update_flow_settings_sends_schema_by_its_wire_name_and_the_flow_id_in_triggers(kt: Kt) -> None:
    flow = await new_flow(kt)
    trigger = {"condition": "not_respond", "target": "stream", "action": "disable", "interval": 600}
    args = {"flow_id": flow["id"], "name": "Renamed", "schema": "action", "action_type": "show_text",
            "action_payload": "Closed", "filter_or": True, "triggers": [trigger]}  # fmt: skip
    envelope = await kt.ok("update_flow_settings", args)
    assert kt.wire.last.method == "PUT" and kt.wire.last.path == f"/streams/{flow['id']}"
    assert kt.wire.last.body == {"name": "Renamed", "schema": "action", "action_type": "show_text",
                                 "action_payload": "Closed", "filter_or": True,
                                 "triggers": [{**trigger, "stream_id": flow["id"]}]}  # fmt: skip
    assert envelope["operation"] == "update"
    changes = envelope["data"]["changes"]
    assert changes["name"] == {"before": "Wire flow", "after": "Renamed"}
    assert changes["schema"] == {"before": "redirect", "after": "action"}
    assert changes["filter_or"] == {"before": False, "after": True}
    [condition] = [c for n, c in changes.items() if n.startswith("triggers[") and n.endswith(".condition")]
    assert condition == {"before": None, "after": "not_respond"}


async def test_pause_and_resume_flow(kt: Kt) -> None:
    flow = await new_flow(kt)
    off = await kt.ok("set_flow_state", {"flow_id": flow["id"], "state": "paused"})
    assert kt.wire.last.method == "POST" and kt.wire.last.path == f"/streams/{flow['id']}/disable"
    assert not kt.wire.last.body
    assert (off["resource"], off["operation"]) == ("stream", "disable")
    assert off["data"]["changes"] == {"state": {"before": "active", "after": "paused"}}
    on = await kt.ok("set_flow_state", {"flow_id": flow["id"], "state": "active"})
    assert kt.wire.last.path == f"/streams/{flow['id']}/enable"
    assert on["operation"] == "enable"
    assert on["data"]["changes"] == {"state": {"before": "paused", "after": "active"}}


async def test_archive_list_deleted_and_restore_flow(kt: Kt) -> None:
    flow = await new_flow(kt)
    archived = await kt.ok("archive_flow", {"flow_id": flow["id"]})
    assert kt.wire.last.method == "DELETE" and kt.wire.last.path == f"/streams/{flow['id']}"
    assert archived["operation"] == "delete"
    assert archived["data"]["changes"]["state"] == {"before": "active", "after": "archived"}, archived["data"]
    gone = await kt.call("get_flow", {"flow_id": flow["id"]})
    assert gone["error"]["kind"] == "not_found"
    deleted = await kt.ok("list_deleted_flows")
    assert kt.wire.last.method == "GET" and kt.wire.last.path == "/streams/deleted"
    assert deleted["operation"] == "getDeleted" and flow["id"] in [f["id"] for f in records(deleted["data"])]
    restored = await kt.ok("restore_flow", {"flow_id": flow["id"]})
    assert kt.wire.last.method == "POST" and kt.wire.last.path == f"/streams/{flow['id']}/restore"
    assert restored["operation"] == "restore" and restored["data"]["changes"] == {"state": {"after": "active"}}
    assert (await kt.ok("get_flow", {"flow_id": flow["id"]}))["data"]["id"] == flow["id"]


async def test_search_flows_sends_the_query(kt: Kt) -> None:
    flow = await new_flow(kt, name="Needle-7731 flow")
    envelope = await kt.ok("search_flows", {"query": "needle-7731"})
    assert kt.wire.last.method == "GET" and kt.wire.last.path == "/streams/search"
    assert kt.wire.last.query == {"query": "needle-7731"}
    assert envelope["operation"] == "search" and [f["id"] for f in records(envelope["data"])] == [flow["id"]]
    row = records(envelope["data"])[0]
    assert row["state"] == "active" and row["offers"] == {} and row["filters"] == []


async def test_action_catalogue_names_the_keys_create_flow_takes(kt: Kt) -> None:
    keys = {row["key"] for row in (await kt.ok("list_flow_actions"))["data"]}
    assert {"http", "campaign", "show_text"} <= keys


async def test_missing_flow_is_not_found(kt: Kt) -> None:
    envelope = await kt.call("set_flow_state", {"flow_id": 987654, "state": "active"})
    assert envelope["error"]["kind"] == "not_found"


async def test_create_flow_in_a_missing_campaign_is_a_validation_error(kt: Kt) -> None:
    args = {"campaign_id": 987654, "name": "x", "schema": "redirect", "action_type": "http"}
    envelope = await kt.call("create_flow", args)
    assert envelope["error"]["kind"] == "validation" and "campaign_id" in envelope["error"]["message"]
