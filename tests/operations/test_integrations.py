"""Wire tests for the third-party integration tools against the sandbox tracker."""

from __future__ import annotations

import json
from typing import Any

import pytest

from keitaro_mcp.registry import Operation
from tests.conftest import Kt

pytestmark = pytest.mark.anyio


async def test_avscan_key_travels_in_the_query_string(kt: Kt) -> None:
    before = await kt.ok("get_avscan_key")
    assert kt.wire.last.method == "GET" and kt.wire.last.path == "/integrations/avscan"
    assert before["resource"] == "integration" and before["operation"] == "getAvscan"
    try:
        updated = await kt.ok("update_avscan_key", {"avscan_key": "av-wire-123"})
        assert kt.wire.last_write.method == "PUT" and kt.wire.last_write.path == "/integrations/avscan"
        assert kt.wire.last_write.query == {"avscan_key": "av-wire-123"} and kt.wire.last_write.body in (None, {})
        assert updated["operation"] == "updateAvscan" and "av-wire-123" not in json.dumps(updated["data"])
        shown = "***" if before["data"]["avscan_key"] else ""
        assert updated["data"]["changes"] == {"avscan_key": {"before": shown, "after": "***"}}, "a key is not shown"
        assert (await kt.ok("get_avscan_key"))["data"]["avscan_key"] == "av-wire-123"
    finally:
        if before["data"]["avscan_key"]:  # an empty key cannot be sent back (the spec requires a value)
            await kt.ok("update_avscan_key", {"avscan_key": before["data"]["avscan_key"]})


async def test_imklo_url_travels_in_the_query_string(kt: Kt) -> None:
    before = await kt.ok("get_imklo_url")
    assert kt.wire.last.method == "GET" and kt.wire.last.path == "/integrations/imklo"
    assert before["operation"] == "getImklo"
    try:
        url = "https://imklo.example/api"
        updated = await kt.ok("update_imklo_url", {"imklo_api_url": url})
        assert kt.wire.last_write.method == "PUT" and kt.wire.last_write.path == "/integrations/imklo"
        assert kt.wire.last_write.query == {"imklo_api_url": url}
        assert updated["operation"] == "updateImklo"
        assert updated["data"]["changes"] == {
            "imklo_api_url": {"before": before["data"]["imklo_api_url"], "after": url}
        }
    finally:
        if before["data"]["imklo_api_url"]:
            await kt.ok("update_imklo_url", {"imklo_api_url": before["data"]["imklo_api_url"]})


async def test_facebook_integration_life_cycle(kt: Kt) -> None:
    created = await kt.ok(
        "create_facebook_integration",
        {"name": "Wire FB", "ad_account_id": "act_42", "token": "EAAB-wire", "proxy": "socks5://u%40x:p@10.1.2.3:1080"},
    )
    assert kt.wire.last.method == "POST" and kt.wire.last.path == "/integrations/facebook"
    assert kt.wire.last.body == {
        "name": "Wire FB",
        "ad_account_id": "act_42",
        "token": "EAAB-wire",
        "proxy_enabled": True,
        "proxy": {"protocol": "socks5", "address": "10.1.2.3", "port": 1080, "login": "u@x", "password": "p"},
    }
    assert created["operation"] == "createFacebook" and created["data"]["name"] == "Wire FB"
    assert created["data"]["changes"]["token"] == {"before": None, "after": "***"} and "EAAB" not in json.dumps(created)
    integration_id = created["data"]["id"]

    got = await kt.ok("get_facebook_integration", {"integration_id": integration_id})
    assert kt.wire.last.method == "GET" and kt.wire.last.path == f"/integrations/facebook/{integration_id}"
    assert got["operation"] == "getFacebook" and got["data"]["id"] == integration_id, "{data: {...}} unwrapped"

    updated = await kt.ok("update_facebook_integration", {"integration_id": integration_id, "proxy": ""})
    assert kt.wire.last.method == "PUT" and kt.wire.last.path == f"/integrations/facebook/{integration_id}"
    assert kt.wire.last.body == {"proxy_enabled": False}
    assert updated["operation"] == "updateFacebook"
    assert updated["data"]["changes"]["proxy_enabled"] == {"before": True, "after": False}

    campaign = {"integration_id": integration_id, "campaign_id": 3}
    assigned = await kt.ok("assign_facebook_integration_campaign", campaign)
    assert kt.wire.last.method == "POST" and kt.wire.last.path == f"/integrations/facebook/{integration_id}/campaign"
    assert kt.wire.last.body == {"campaign_id": 3} and assigned["operation"] == "assignFacebookCampaign"
    assert assigned["data"]["of"] == {"integration_id": integration_id}
    assert assigned["data"]["changes"] == {"campaign_id": {"before": None, "after": 3}}

    listed = await kt.ok("list_facebook_integration_campaigns", {"integration_id": integration_id})
    assert kt.wire.last.method == "GET" and kt.wire.last.path == f"/integrations/facebook/{integration_id}/campaign"
    assert listed["operation"] == "getFacebookCampaigns" and [c["value"] for c in listed["data"]] == [3]

    removed = await kt.ok("unassign_facebook_integration_campaign", campaign)
    unassign = kt.wire.last_write
    assert unassign.method == "DELETE" and unassign.path == f"/integrations/facebook/{integration_id}/campaign"
    assert unassign.body == {"campaign_id": 3} and unassign.query == {}, "DELETE with a JSON body"
    assert removed["operation"] == "unassignFacebookCampaign"
    assert removed["data"]["changes"] == {"entries": {"before": listed["data"], "after": []}}
    assert (await kt.ok("list_facebook_integration_campaigns", {"integration_id": integration_id}))["data"] == []

    deleted = await kt.ok("delete_facebook_integration", {"integration_id": integration_id})
    assert kt.wire.last.method == "DELETE" and kt.wire.last.path == f"/integrations/facebook/{integration_id}"
    assert (
        kt.person.asked[-1]
        == f"Delete Facebook integration: integration {integration_id} “Wire FB”. This cannot be undone."
    )
    assert deleted["operation"] == "deleteFacebook"
    assert deleted["data"]["changes"] == {"exists": {"before": True, "after": False}}
    gone = await kt.call("get_facebook_integration", {"integration_id": integration_id})
    assert gone["error"]["kind"] == "not_found"
    write = await kt.call("update_facebook_integration", {"integration_id": integration_id, "name": "x"})
    assert write["error"]["kind"] == "not_found"


def test_facebook_answers_are_unwrapped_only_when_enveloped() -> None:
    from keitaro_mcp.operations.integrations import OPERATIONS

    create: Operation[Any] = next(op for op in OPERATIONS if op.name == "create_facebook_integration")
    assert create.shape is not None
    item = {"id": 1, "name": "FB"}
    assert create.shape({"data": item}, None).data == item
    assert create.shape({"data": [item]}, None).data == [item]
    assert create.shape(item, None).data == item, "POST answers a bare Facebook object"
