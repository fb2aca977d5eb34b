"""Per-user API keys: each key acts as its Keitaro user, within that user's access rules (keitaro_mcp.sandbox.access).

Expected values come from the sandbox's own tables and the seeded users' documents, not from the access module.
"""

from __future__ import annotations

from typing import Any

from keitaro_mcp.sandbox import DEMO_USER_KEYS
from tests.sandbox.conftest import Api

KEY = {login: key for key, login in DEMO_USER_KEYS.items()}
FORBIDDEN = {"error": "You have no permission to access this page", "stacktrace": None}


def as_user(login: str) -> dict[str, Any]:
    return {"headers": {"Api-Key": KEY[login]}}


def selected(api: Api, login: str) -> set[int]:
    (user,) = [u for u in api.ok("GET", "/users") if u["login"] == login]
    return set(user["access_data"]["campaigns_selected_entities"])


def live_campaigns(api: Api) -> set[int]:
    return {row[0] for row in api.sql("SELECT id FROM campaigns WHERE state IS NULL OR state != 'deleted'")}


def test_buyers_list_only_their_campaigns(api: Api) -> None:
    anna = {c["id"] for c in api.ok("GET", "/campaigns", **as_user("anna.buyer"))}
    oleg = {c["id"] for c in api.ok("GET", "/campaigns", **as_user("oleg.buyer"))}
    assert anna == selected(api, "anna.buyer") & live_campaigns(api) and len(anna) >= 4
    assert oleg == selected(api, "oleg.buyer") & live_campaigns(api) and len(oleg) >= 6
    assert not anna & oleg
    archived = {c["id"] for c in api.ok("GET", "/campaigns/deleted", **as_user("anna.buyer"))}
    assert archived and archived <= selected(api, "anna.buyer")
    # The analyst and the tracker's own key see every campaign.
    assert {c["id"] for c in api.ok("GET", "/campaigns", **as_user("max.analyst"))} == live_campaigns(api)
    assert {c["id"] for c in api.ok("GET", "/campaigns")} == live_campaigns(api)


def test_a_forbidden_entity_is_403_on_read_and_write(fresh: Api) -> None:
    mine, theirs = min(selected(fresh, "anna.buyer")), min(selected(fresh, "oleg.buyer"))
    assert fresh.ok("GET", f"/campaigns/{mine}", **as_user("anna.buyer"))["id"] == mine
    attempts = [("GET", ""), ("PUT", ""), ("POST", "/disable"), ("GET", "/streams"), ("DELETE", "")]
    for method, tail in attempts:
        path = f"/campaigns/{theirs}{tail}"
        refused = fresh.request(method, path, json={"notes": "x"}, **as_user("anna.buyer"))
        assert (refused.status_code, refused.json()) == (403, FORBIDDEN), (method, path)
    assert fresh.sql("SELECT json_extract(doc, '$.state') FROM campaigns WHERE id = ?", (theirs,)) == [("active",)]
    # Her own campaign she may change.
    assert fresh.ok("PUT", f"/campaigns/{mine}", json={"notes": "mine"}, **as_user("anna.buyer"))["notes"] == "mine"


def test_flows_follow_their_campaign(fresh: Api) -> None:
    mine, theirs = min(selected(fresh, "anna.buyer")), min(selected(fresh, "oleg.buyer"))
    their_flow = fresh.ok("GET", f"/campaigns/{theirs}/streams")[0]["id"]
    my_flows = fresh.ok("GET", f"/campaigns/{mine}/streams", **as_user("anna.buyer"))
    assert my_flows and all(f["campaign_id"] == mine for f in my_flows)
    assert fresh.get(f"/streams/{their_flow}", **as_user("anna.buyer")).status_code == 403
    new_flow = {"campaign_id": theirs, "name": "x", "type": "forced", "action_type": "http", "schema": "redirect"}
    assert fresh.post("/streams", json=new_flow, **as_user("anna.buyer")).status_code == 403
    # Every campaign has a bot filter flow: the search finds those of her campaigns only.
    found = {
        f["campaign_id"] for f in fresh.ok("GET", "/streams/search", params={"query": "Bot"}, **as_user("anna.buyer"))
    }
    assert selected(fresh, "anna.buyer") & live_campaigns(fresh) <= found <= selected(fresh, "anna.buyer")


def test_read_only_kinds_list_everything_and_refuse_writes(fresh: Api) -> None:
    offers = fresh.ok("GET", "/offers", **as_user("anna.buyer"))
    assert len(offers) == len(fresh.ok("GET", "/offers"))
    refused = fresh.put(f"/offers/{offers[0]['id']}", json={"name": "x"}, **as_user("anna.buyer"))
    assert refused.status_code == 403
    assert fresh.post("/offers", json={"name": "x"}, **as_user("max.analyst")).status_code == 403
    assert fresh.put("/campaigns/1", json={"notes": "x"}, **as_user("max.analyst")).status_code == 403
    assert fresh.ok("GET", "/campaigns/1", **as_user("max.analyst"))["id"] == 1


def test_what_a_buyer_creates_stays_hers(fresh: Api) -> None:
    created = fresh.ok(
        "POST", "/campaigns", json={"name": "Anna's test", "alias": "anna-test"}, **as_user("anna.buyer")
    )
    assert created["id"] in {c["id"] for c in fresh.ok("GET", "/campaigns", **as_user("anna.buyer"))}
    assert fresh.ok("PUT", f"/campaigns/{created['id']}", json={"notes": "n"}, **as_user("anna.buyer"))["notes"] == "n"
    clone = fresh.ok("POST", f"/campaigns/{created['id']}/clone", **as_user("anna.buyer"))
    assert clone["id"] in selected(fresh, "anna.buyer")
    assert fresh.get(f"/campaigns/{created['id']}", **as_user("oleg.buyer")).status_code == 403


def test_reports_and_logs_count_only_visible_campaigns(api: Api) -> None:
    body = {"range": {"interval": "all_time"}, "dimensions": ["campaign_id"], "measures": ["clicks"]}
    mine = api.ok("POST", "/report/build", json=body, **as_user("anna.buyer"))
    everything = api.ok("POST", "/report/build", json=body)
    assert {r["campaign_id"] for r in mine["rows"]} <= selected(api, "anna.buyer") and mine["rows"]
    expected = sum(r["clicks"] for r in everything["rows"] if r["campaign_id"] in selected(api, "anna.buyer"))
    assert mine["summary"]["clicks"] == expected < everything["summary"]["clicks"]
    # Her own filters still apply, and cannot widen the scope.
    theirs = min(selected(api, "oleg.buyer"))
    widened = {**body, "filters": [{"name": "campaign_id", "operator": "EQUALS", "expression": theirs}]}
    assert api.ok("POST", "/report/build", json=widened, **as_user("anna.buyer"))["rows"] == []
    log = api.ok("POST", "/clicks/log", json={"limit": 200, "columns": ["campaign_id"]}, **as_user("oleg.buyer"))
    assert log["rows"] and {r["campaign_id"] for r in log["rows"]} <= selected(api, "oleg.buyer")
    conversions = api.ok("POST", "/conversions/log", json={"limit": 200, "columns": ["campaign_id"]},
                         **as_user("anna.buyer"))  # fmt: skip
    assert {r["campaign_id"] for r in conversions["rows"]} <= selected(api, "anna.buyer")


def test_administration_is_for_admins(api: Api) -> None:
    for method, path in [("GET", "/users"), ("GET", "/botlist"), ("GET", "/integrations/avscan"),
                         ("POST", "/clicks/clean"), ("POST", "/groups")]:  # fmt: skip
        assert api.request(method, path, json={}, **as_user("max.analyst")).status_code == 403, path
    control = api.client.get("/_sandbox/counts", headers={"Api-Key": KEY["anna.buyer"]})
    assert control.status_code == 403
    assert api.get("/campaigns", headers={"Api-Key": "sandbox-nobody-key"}).status_code == 401
    assert api.ok("GET", "/groups", params={"type": "campaigns"}, **as_user("anna.buyer"))


def test_access_rules_apply_as_soon_as_they_change(fresh: Api) -> None:
    anna = next(u for u in fresh.ok("GET", "/users") if u["login"] == "anna.buyer")
    fresh.ok("PUT", f"/users/{anna['id']}/access", json={"access_data": {"campaigns_access_type": "read_only"}})
    seen = {c["id"] for c in fresh.ok("GET", "/campaigns", **as_user("anna.buyer"))}
    assert seen == live_campaigns(fresh)
    assert fresh.put(f"/campaigns/{min(seen)}", json={"notes": "x"}, **as_user("anna.buyer")).status_code == 403
    fresh.delete(f"/users/{anna['id']}")
    assert fresh.get("/campaigns", **as_user("anna.buyer")).status_code == 401
