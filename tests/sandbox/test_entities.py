"""Entity endpoints behave like a live Keitaro (reference §4, §12.5)."""

from __future__ import annotations

from tests.sandbox.conftest import Api


def test_lists_are_bare_arrays_and_seed_is_believable(api: Api) -> None:
    campaigns = api.ok("GET", "/campaigns")
    assert isinstance(campaigns, list) and len(campaigns) >= 20
    assert {c["traffic_source_id"] for c in campaigns} >= {1, 2, 3, 4, 5, 6}
    offers = api.ok("GET", "/offers")
    assert len(offers) >= 30 and offers[11]["id"] == 12
    assert len({o["affiliate_network_id"] for o in offers}) >= 5
    assert all(c["state"] != "deleted" for c in campaigns)
    first = campaigns[0]
    assert first["token"] and first["cost_value"].count(".") == 1 and len(first["cost_value"].split(".")[1]) == 4
    assert len(first["created_at"]) == 19 and first["created_at"][10] == " "
    assert isinstance(first["group_id"], int)
    assert "domain_id" not in first and first["domain"].startswith("https://")


def test_campaign_offset_limit(api: Api) -> None:
    everything = api.ok("GET", "/campaigns")
    page = api.ok("GET", "/campaigns", params={"offset": 2, "limit": 3})
    assert [c["id"] for c in page] == [c["id"] for c in everything[2:5]]
    assert api.get("/campaigns", params={"limit": "x"}).status_code == 400


def test_campaign_lifecycle(fresh: Api) -> None:
    created = fresh.ok(
        "POST", "/campaigns", json={"name": "Test Campaign X", "alias": "test-campaign-x", "group_id": "3"}
    )
    cid = created["id"]
    assert created["group_id"] == 3 and created["token"] and created["cost_value"] == "0.0000"
    assert created["state"] == "active" and created["type"] == "position"
    # PUT is partial.
    updated = fresh.ok("PUT", f"/campaigns/{cid}", json={"cost_value": 0.05, "notes": "hello"})
    assert updated["name"] == "Test Campaign X" and updated["cost_value"] == "0.0500" and updated["notes"] == "hello"
    assert fresh.ok("POST", f"/campaigns/{cid}/disable")["state"] == "disabled"
    assert fresh.ok("POST", f"/campaigns/{cid}/enable")["state"] == "active"
    clone = fresh.ok("POST", f"/campaigns/{cid}/clone")
    assert clone["name"] == "Copy of Test Campaign X" and clone["id"] != cid
    assert clone["alias"] != created["alias"] and clone["token"] != created["token"]
    # DELETE archives: the campaign reads as 404 plain text and shows in /campaigns/deleted.
    archived = fresh.delete(f"/campaigns/{cid}")
    assert archived.status_code == 200 and archived.json()[0]["state"] == "deleted"
    missing = fresh.get(f"/campaigns/{cid}")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/plain")
    assert missing.text == f"Traffic\\Model\\Campaign #{cid} not found"
    assert fresh.delete(f"/campaigns/{cid}").status_code == 404
    assert cid in [c["id"] for c in fresh.ok("GET", "/campaigns/deleted")]
    assert fresh.sql("SELECT state FROM campaigns WHERE id = ?", (cid,)) == [("deleted",)]
    assert fresh.ok("POST", f"/campaigns/{cid}/restore")["state"] == "active"
    fresh.delete(f"/campaigns/{cid}")
    assert fresh.ok("POST", "/campaigns/clean_archive") == {"success": True}
    assert fresh.get(f"/campaigns/{cid}/restore").status_code == 200  # unknown method/path: the SPA page
    assert fresh.post(f"/campaigns/{cid}/restore").status_code == 404


def test_campaign_validation_is_keyed_by_field(fresh: Api) -> None:
    missing = fresh.post("/campaigns", json={"name": "No alias"})
    assert missing.status_code == 422 and missing.json() == {"alias": ["Alias is required"]}
    fresh.ok("POST", "/campaigns", json={"name": "A", "alias": "dup-alias"})
    taken = fresh.post("/campaigns", json={"name": "B", "alias": "dup-alias"})
    assert taken.status_code == 422 and taken.json() == {"alias": ["Alias has already used"]}
    bad = fresh.post("/campaigns", json={"name": "C", "alias": "c1", "cost_type": "CPX"})
    assert bad.status_code == 406 and "cost_type" in bad.json()
    assert (
        fresh.post("/campaigns", content=b"{not json", headers={"Content-Type": "application/json"}).status_code == 400
    )
    assert fresh.post("/campaigns", json=[1, 2]).status_code == 400


def test_flow_offers_are_replaced_whole_keeping_binding_ids(fresh: Api) -> None:
    cid = fresh.ok("POST", "/campaigns", json={"name": "Flows", "alias": "flows-1"})["id"]
    flow = fresh.ok(
        "POST",
        "/streams",
        json={"campaign_id": cid, "type": "regular", "name": "Flow 2", "position": 2, "schema": "landings",
              "action_type": "http", "offers": [{"offer_id": 1, "share": 100, "state": "active"}],
              "filters": [{"name": "country", "mode": "accept", "payload": ["AU"]}]},
    )  # fmt: skip
    sid = flow["id"]
    first_binding = flow["offers"][0]
    updated = fresh.ok(
        "PUT",
        f"/streams/{sid}",
        json={"offers": [{"offer_id": 2, "share": 37}, {"offer_id": 1, "share": 25}, {"offer_id": 2, "share": 10},
                         {"offer_id": 3, "share": 38}]},
    )  # fmt: skip
    assert [o["offer_id"] for o in updated["offers"]] == [2, 1, 3]  # duplicates collapse, order kept
    kept = updated["offers"][1]
    assert (
        kept["id"] == first_binding["id"] and kept["created_at"] == first_binding["created_at"] and kept["share"] == 25
    )
    assert updated["filters"][0]["payload"] == ["AU"] and updated["name"] == "Flow 2"  # partial update
    assert [s["id"] for s in fresh.ok("GET", f"/campaigns/{cid}/streams")] == [sid]
    assert fresh.ok("GET", "/streams/search", params={"query": "flow 2"})[0]["id"] == sid
    assert fresh.ok("POST", f"/streams/{sid}/disable")["state"] == "disabled"
    assert fresh.ok("DELETE", f"/streams/{sid}")["state"] == "deleted"
    assert fresh.get(f"/streams/{sid}").text == f"Traffic\\Model\\Stream #{sid} not found"
    assert sid in [s["id"] for s in fresh.ok("GET", "/streams/deleted")]
    assert fresh.ok("POST", f"/streams/{sid}/restore")["state"] == "active"


def test_flow_validation(fresh: Api) -> None:
    r = fresh.post("/streams", json={"campaign_id": 1, "type": "regular", "name": "x", "schema": "landings"})
    assert r.status_code == 406 and r.json() == {"action_type": ["Action type is required"]}
    r = fresh.post("/streams", json={"campaign_id": 99999, "type": "regular", "name": "x", "schema": "landings",
                                      "action_type": "http"})  # fmt: skip
    assert r.status_code == 422 and r.json() == {"campaign_id": ["Campaign not found"]}
    r = fresh.put("/streams/2", json={"offers": [{"share": 10}]})
    assert r.status_code == 406 and "offer_id" in r.json()


def test_offers_landings_networks_sources(fresh: Api) -> None:
    offer = fresh.ok(
        "POST",
        "/offers",
        json={
            "name": "Test Offer X",
            "offer_type": "external",
            "action_type": "http",
            "action_payload": "http://offer.com?x={subid}",
            "country": ["Romania"],
        },
    )
    assert offer["country"] == ["Romania"]  # no validation of country values
    assert fresh.ok("POST", f"/offers/{offer['id']}/clone")["name"] == "Copy of Test Offer X"
    assert fresh.ok("DELETE", f"/offers/{offer['id']}/archive")["state"] == "deleted"
    assert fresh.get(f"/offers/{offer['id']}").status_code == 404
    assert fresh.post("/offers", json={}).json() == {"name": ["Name is required"]}
    lp = fresh.ok("POST", "/landing_pages", json={"name": "LP", "group_id": "2"})
    assert lp["group_id"] == 2
    assert fresh.ok("PUT", f"/landing_pages/{lp['id']}/clone")["name"] == "Copy of LP"
    fresh.ok("POST", f"/landing_pages/{lp['id']}/add_file", params={"path": "js/app.js"})
    fresh.ok("PUT", f"/landing_pages/{lp['id']}/update_file", params={"path": "js/app.js", "data": "alert(1)"})
    assert fresh.ok("GET", f"/landing_pages/{lp['id']}/get_file", params={"path": "js/app.js"}) == {"data": "alert(1)"}
    tree = fresh.ok("GET", f"/landing_pages/{lp['id']}/get_structure")
    assert tree["children"][0]["name"] == "js" and tree["children"][0]["children"][0]["ext"] == "js"
    zipped = fresh.get(f"/landing_pages/{lp['id']}/download")
    assert zipped.status_code == 200 and zipped.content[:2] == b"PK"
    assert fresh.ok("DELETE", f"/landing_pages/{lp['id']}/remove_file", params={"path": "js/app.js"}) == {
        "success": True
    }
    net = fresh.ok("POST", "/affiliate_networks", json={"name": "test", "postback_url": "http://postback"})
    assert fresh.ok("PUT", f"/affiliate_networks/{net['id']}", json={"notes": "n"})["postback_url"] == "http://postback"
    assert fresh.ok("DELETE", f"/affiliate_networks/{net['id']}")["state"] == "deleted"
    src = fresh.ok("POST", "/traffic_sources", json={"name": "Src", "postback_statuses": ["lead"]})
    assert src["parameters"]["sub_id_1"]["name"] == "sub_id_1"
    assert fresh.ok("POST", f"/traffic_sources/{src['id']}/clone")["name"] == "Copy of Src"


def test_domains_groups_users(fresh: Api) -> None:
    created = fresh.ok("POST", "/domains", json={"name": "domain1.com", "is_ssl": True})
    did = created[0]["id"]
    assert fresh.ok("POST", f"/domains/{did}/check")["name"] == "domain1.com"
    assert fresh.ok("DELETE", f"/domains/{did}")["state"] == "deleted"
    assert did in [d["id"] for d in fresh.ok("GET", "/domains/deleted")]
    assert fresh.ok("POST", f"/domains/{did}/restore")["state"] == "active"
    assert fresh.get("/groups").json() == {"type": ["Type is required"]}
    assert fresh.ok("GET", "/groups", params={"type": "domains"})
    group = fresh.ok("POST", "/groups", json={"name": "Test Group X", "position": "10", "type": "campaigns"})
    assert group["position"] == 10
    assert fresh.ok("PUT", f"/groups/{group['id']}", json={"name": "Renamed"})["name"] == "Renamed"
    fresh.ok("DELETE", f"/groups/{group['id']}/delete")
    assert fresh.put(f"/groups/{group['id']}", json={"name": "x"}).status_code == 404
    user = fresh.ok("POST", "/users", json={"login": "bob", "new_password": "p4ss", "new_password_confirmation": "p4ss",
                                             "type": "USER"})  # fmt: skip
    access = fresh.ok("PUT", f"/users/{user['id']}/access", json={"access_data": {"offers_access_type": "read_only"}})
    assert access["access_data"]["offers_access_type"] == "read_only"
    mismatch = fresh.post("/users", json={"login": "x", "new_password": "a", "new_password_confirmation": "b",
                                          "type": "USER"})  # fmt: skip
    assert mismatch.status_code == 406
    assert fresh.delete(f"/users/{user['id']}").status_code == 201
    assert fresh.get(f"/users/{user['id']}").status_code == 404


def test_botlist_labels_integrations_logs(fresh: Api) -> None:
    assert fresh.ok("PUT", "/botlist", json={"value": "3.3.3.3\n5.5.5.5"}) == {"count": 2}
    assert fresh.ok("POST", "/botlist/add", json={"value": "1.1.1.2"}) == {"count": 3}
    assert fresh.ok("POST", "/botlist/exclude", json={"value": "3.3.3.3"}) == {"count": 2}
    assert fresh.ok("GET", "/botlist") == {"value": "5.5.5.5\n1.1.1.2"}
    fresh.ok("POST", "/report/labels", json={"campaign_id": 2, "ref_name": "sub_id_1", "items": {"zone9": "blacklist"}})
    labels = fresh.ok(
        "GET", "/report/labels", params={"campaign_id": 2, "label_name": "blacklist", "ref_name": "sub_id_1"}
    )
    assert labels == {"zone9": "blacklist"}
    fb = fresh.ok("POST", "/integrations/facebook", json={"name": "FB", "ad_account_id": "act_1", "token": "t"})
    assert "data" not in fb and fb["integration"] == "facebook"
    assert fresh.ok("GET", f"/integrations/facebook/{fb['id']}")["data"]["name"] == "FB"
    assert isinstance(fresh.ok("GET", "/integrations/facebook")["data"], list)
    fresh.ok("POST", f"/integrations/facebook/{fb['id']}/campaign", json={"campaign_id": 3})
    assert fresh.ok("GET", f"/integrations/facebook/{fb['id']}/campaign")[0]["value"] == 3
    assert fresh.ok("DELETE", f"/integrations/facebook/{fb['id']}") == {"success": True}
    assert fresh.ok("PUT", "/integrations/avscan", params={"avscan_key": "k1"}) == {"avscan_key": "k1"}
    assert fresh.ok("GET", "/integrations/imklo") == {"imklo_api_url": ""}
    assert "sent_postbacks" in fresh.ok("POST", "/logs/types")
    assert fresh.get("/logs/system").json() == {"limit": ["Limit is required"]}
    assert fresh.ok("GET", "/logs/system", params={"limit": 10})[0]["message"]
    assert fresh.get("/logs/nope", params={"limit": 1}).status_code == 400


def test_auth_and_unknown_paths(fresh: Api) -> None:
    assert fresh.get("/campaigns", headers={"Api-Key": "wrong"}).json() == {"error": "Unauthorized"}
    bearer = fresh.client.get("/admin_api/v1/campaigns", headers={"Authorization": "Bearer sandbox-demo-key"})
    assert bearer.status_code == 200
    assert fresh.client.get("/admin_api/v1/campaigns").status_code == 401
    spa = fresh.get("/report")  # an endpoint unreliable clients call; a real tracker answers its SPA page
    assert spa.status_code == 200 and spa.headers["content-type"].startswith("text/html")
    catalogues = [
        fresh.ok("GET", p) for p in ("/stream_types", "/stream_schemas", "/streams_actions", "/stream_filters")
    ]
    assert all(catalogues) and any(f["value"] == "country" for f in catalogues[3])
