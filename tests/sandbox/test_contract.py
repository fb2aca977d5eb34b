"""One representative, successful request for EVERY operation of the OpenAPI document, with the
request and the response validated against it (plus the deltas listed in ``contract.py``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from keitaro_mcp.sandbox import Sandbox, recording
from tests.sandbox.conftest import NOW, Api
from tests.sandbox.contract import apply_deltas, load_spec, validate_exchange

IDS = {
    "/campaigns/": 2, "/streams/": 5, "/offers/": 3, "/landing_pages/": 2, "/affiliate_networks/": 2,
    "/traffic_sources/": 2, "/domains/": 2, "/groups/": 3, "/users/": 3, "/integrations/facebook/": 1,
}  # fmt: skip
RANGE = {"from": "2026-03-01", "to": "2026-03-14", "timezone": "Europe/Madrid"}
COST = {"start_date": "2026-03-10 00:00", "end_date": "2026-03-10 23:59", "cost": "19.22", "currency": "EUR",
        "timezone": "Europe/Moscow"}  # fmt: skip

# (method, path) -> request kwargs; anything not listed is sent without body or query.
REQUESTS: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/affiliate_networks"): {"json": {"name": "test", "postback_url": "http://postback"}},
    ("PUT", "/affiliate_networks/{id}"): {"json": {"notes": "updated"}},
    ("PUT", "/botlist"): {"json": {"value": "3.3.3.3\n5.5.5.5"}},
    ("POST", "/botlist/add"): {"json": {"value": "1.1.1.2"}},
    ("POST", "/botlist/exclude"): {"json": {"value": "1.1.1.2"}},
    ("POST", "/campaigns"): {"json": {"name": "Test Campaign X", "alias": "test-campaign-x", "group_id": "1",
                                      "cost_type": "CPC", "cost_value": 0.05}},
    ("PUT", "/campaigns/{id}"): {"json": {"name": "Renamed", "postbacks": [
        {"method": "GET", "statuses": ["sale"], "url": "https://ts.example/pb?cid={subid}"}]}},
    ("POST", "/campaigns/{id}/update_costs"): {"json": COST},
    ("POST", "/clicks/clean"): {"json": {"start_date": "2026-01-01 00:00", "end_date": "2026-01-02 00:00",
                                         "timezone": "UTC"}},
    ("POST", "/clicks/log"): {"json": {"range": RANGE, "limit": 10, "columns": ["sub_id", "datetime", "campaign"]}},
    ("POST", "/clicks/update_costs"): {"json": {"campaign_ids": [2], "only_campaign_uniques": 1,
                                                "costs": [{**COST, "filters": {"sub_id_1": "a,b"}}]}},
    ("POST", "/conversions/log"): {"json": {"range": RANGE, "limit": 10, "columns": ["postback_datetime", "sub_id"],
                                            "filters": [{"name": "status", "operator": "EQUALS", "expression": "lead"}],
                                            "sort": [{"name": "postback_datetime", "order": "DESC"}]}},
    ("POST", "/domains"): {"json": {"name": "domain1.com", "is_ssl": False}},
    ("PUT", "/domains/{id}"): {"json": {"notes": "n", "is_ssl": True}},
    ("GET", "/groups"): {"params": {"type": "campaigns"}},
    ("POST", "/groups"): {"json": {"name": "Test Group X", "type": "campaigns"}},
    ("PUT", "/groups/{id}"): {"json": {"name": "Renamed group"}},
    ("PUT", "/integrations/avscan"): {"params": {"avscan_key": "av-123"}},
    ("POST", "/integrations/facebook"): {"json": {"name": "FB 2", "ad_account_id": "act_9", "token": "t",
                                                  "proxy_enabled": False}},
    ("PUT", "/integrations/facebook/{id}"): {"json": {"name": "FB renamed"}},
    ("POST", "/integrations/facebook/{id}/campaign"): {"json": {"campaign_id": 3}},
    ("DELETE", "/integrations/facebook/{id}/campaign"): {"json": {"campaign_id": 3}},
    ("PUT", "/integrations/imklo"): {"params": {"imklo_api_url": "https://imklo.example/api"}},
    ("POST", "/landing_pages"): {"json": {"name": "LP X", "landing_type": "local", "action_type": "local_file"}},
    ("PUT", "/landing_pages/{id}"): {"json": {"notes": "n"}},
    ("POST", "/landing_pages/{id}/add_file"): {"params": {"path": "new.html"}},
    ("GET", "/landing_pages/{id}/get_file"): {"params": {"path": "index.html"}},
    ("DELETE", "/landing_pages/{id}/remove_file"): {"params": {"path": "new.html"}},
    ("PUT", "/landing_pages/{id}/update_file"): {"params": {"path": "new.html", "data": "<p>hi</p>"}},
    ("GET", "/logs/{type}"): {"params": {"limit": 5}},
    ("POST", "/offers"): {"json": {"name": "Test Offer X", "offer_type": "external", "action_type": "http",
                                   "action_payload": "http://offer.com?ad_campaign_id={ad_campaign_id}"}},
    ("PUT", "/offers/{id}"): {"json": {"payout_value": 12.5}},
    ("POST", "/offers/{id}/add_file"): {"params": {"path": "index.php"}},
    ("GET", "/offers/{id}/get_file"): {"params": {"path": "index.php"}},
    ("DELETE", "/offers/{id}/remove_file"): {"params": {"path": "index.php"}},
    ("PUT", "/offers/{id}/update_file"): {"params": {"path": "index.php", "data": "<?php echo 1;"}},
    ("POST", "/report/build"): {"json": {"range": RANGE, "grouping": ["ts", "landing"],
                                         "metrics": ["clicks", "bot_share", "cr"],
                                         "filters": [{"name": "campaign_id", "operator": "EQUALS", "expression": 4}]}},
    ("GET", "/report/labels"): {"params": {"campaign_id": 1, "label_name": "blacklist", "ref_name": "sub_id_1"}},
    ("POST", "/report/labels"): {"json": {"campaign_id": 1, "ref_name": "sub_id_1", "items": {"x": "blacklist"}}},
    ("POST", "/streams"): {"json": {"campaign_id": 2, "type": "regular", "name": "Flow 1", "position": 1,
                                    "schema": "redirect", "action_type": "http", "action_payload": "https://google.com",
                                    "collect_clicks": True, "filter_or": False, "weight": 100,
                                    "filters": [{"name": "country", "mode": "accept", "payload": ["AU"]}],
                                    "triggers": [{"stream_id": 1, "condition": "not_respond", "target": "offers",
                                                  "action": "disable"}]}},
    ("PUT", "/streams/{id}"): {"json": {"offers": [{"offer_id": 101, "share": 37, "state": "active"},
                                                   {"offer_id": 102, "share": 63, "state": "active"}]}},
    ("GET", "/streams/search"): {"params": {"query": "main"}},
    ("POST", "/traffic_sources"): {"json": {"name": "Src", "postback_statuses": ["lead", "sale"], "traffic_loss": 1.5}},
    ("PUT", "/traffic_sources/{id}"): {"json": {"notes": "n"}},
    ("POST", "/users"): {"json": {"login": "bob", "new_password": "secret1", "new_password_confirmation": "secret1",
                                  "type": "USER", "preferences": {"language": "en", "timezone": "UTC"}}},
    ("PUT", "/users/{id}"): {"json": {"type": "ADMIN"}},
    ("PUT", "/users/{id}/access"): {"json": {"access_data": {"offers_access_type": "read_only", "resources": []}}},
}  # fmt: skip


def spec_operations() -> list[tuple[str, str]]:
    spec = load_spec()
    return [(m.upper(), p) for p, item in spec["paths"].items() for m in item if m in ("get", "post", "put", "delete")]


def _order(op: tuple[str, str]) -> tuple[int, int]:
    method, path = op
    if path.endswith("/restore"):
        return (2, 0)
    if method == "DELETE":
        return (1, -len(path))  # sub-resources before their parent
    return (0, 0)


def _concrete(path: str) -> str:
    if path == "/logs/{type}":
        return "/logs/system"
    for prefix, value in IDS.items():
        if path.startswith(prefix) and "{id}" in path:
            return path.replace("{id}", str(value))
    return path


@pytest.fixture(scope="module")
def contract_api() -> Iterator[Api]:
    sandbox = Sandbox(seed=11, clicks=4_000, now=NOW)
    client = Api(sandbox)
    yield client
    client.close()
    sandbox.close()


def test_every_spec_operation_conforms(contract_api: Api) -> None:
    operations = sorted(spec_operations(), key=_order)
    assert len(operations) == 107
    failures = []
    with recording.recording() as seen:
        for method, path in operations:
            response = contract_api.request(method, _concrete(path), **REQUESTS.get((method, path), {}))
            if response.status_code >= 400:
                failures.append(f"{method} {path}: {response.status_code} {response.text[:200]}")
    assert not failures, "\n".join(failures)
    assert len(seen) == 107
    problems = [p for ex in seen for p in validate_exchange(ex)]
    assert not problems, "\n".join(problems)
    # Each documented operation was reached through its own route.
    routes = {ex.route for ex in seen}
    assert {f"{m} {p}" for m, p in operations} == routes


def test_the_extras_conform_too(contract_api: Api) -> None:
    with recording.recording() as seen:
        contract_api.ok("GET", "/campaigns", params={"offset": 1, "limit": 2})
        contract_api.ok("GET", "/groups", params={"type": "domains"})
        contract_api.ok("POST", "/campaigns/clean_archive")
        contract_api.ok(
            "POST",
            "/report/build",
            json={
                "range": {"interval": "yesterday", "timezone": "UTC"},
                "dimensions": ["campaign"],
                "measures": ["clicks", "roi"],
            },
        )
        assert contract_api.get("/campaigns/999999").status_code == 404
        assert contract_api.post("/campaigns", json={"name": "x"}).status_code == 422
    assert [p for ex in seen for p in validate_exchange(ex)] == []


def test_deltas_are_applied_in_memory_only() -> None:
    original = load_spec()
    patched = apply_deltas(original)
    assert "dimensions" not in original["components"]["schemas"]["ReportsRequest"]["properties"]
    assert "dimensions" in patched["components"]["schemas"]["ReportsRequest"]["properties"]
    assert json.dumps(original) != json.dumps(patched)
