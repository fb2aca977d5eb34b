"""Wire tests for the affiliate network tools against the sandbox tracker."""

from __future__ import annotations

import pytest

from tests.conftest import Kt

pytestmark = pytest.mark.anyio


async def new_network(kt: Kt, name: str) -> int:
    envelope = await kt.ok("create_affiliate_network", {"name": name})
    network_id = envelope["data"]["id"]
    assert isinstance(network_id, int)
    kt.wire.sent.clear()
    return network_id


async def test_create_affiliate_network(kt: Kt) -> None:
    args = {"name": "Wire network", "postback_url": "http://postback", "offer_param": "sub1={subid}"}
    envelope = await kt.ok("create_affiliate_network", args)
    assert kt.wire.last.method == "POST" and kt.wire.last.path == "/affiliate_networks"
    assert kt.wire.last.body == args
    assert envelope["operation"] == "create" and envelope["data"]["name"] == "Wire network"
    assert envelope["data"]["changes"]["offer_param"] == {"before": None, "after": "sub1={subid}"}


async def test_update_affiliate_network_sends_only_given_fields(kt: Kt) -> None:
    network_id = await new_network(kt, "Before")
    envelope = await kt.ok("update_affiliate_network", {"affiliate_network_id": network_id, "notes": "n"})
    assert kt.wire.last.method == "PUT" and kt.wire.last.path == f"/affiliate_networks/{network_id}"
    assert kt.wire.last.body == {"notes": "n"}
    assert envelope["operation"] == "update" and envelope["data"]["name"] == "Before"
    assert envelope["data"]["changes"] == {"notes": {"before": "", "after": "n"}}


async def test_clone_affiliate_network(kt: Kt) -> None:
    network_id = await new_network(kt, "Original network")
    envelope = await kt.ok("clone_affiliate_network", {"affiliate_network_id": network_id})
    assert kt.wire.last.method == "POST" and kt.wire.last.path == f"/affiliate_networks/{network_id}/clone"
    assert envelope["operation"] == "clone" and envelope["data"]["name"] == "Copy of Original network"
    assert envelope["data"]["of"] == {"affiliate_network_id": network_id} and envelope["data"]["id"] != network_id


async def test_archive_affiliate_network(kt: Kt) -> None:
    network_id = await new_network(kt, "To archive")
    envelope = await kt.ok("archive_affiliate_network", {"affiliate_network_id": network_id})
    assert kt.wire.last.method == "DELETE" and kt.wire.last.path == f"/affiliate_networks/{network_id}"
    assert envelope["operation"] == "delete"
    assert envelope["data"]["changes"] == {"state": {"before": "active", "after": "archived"}}, envelope["data"]
    gone = await kt.call("get_affiliate_network", {"affiliate_network_id": network_id})
    assert gone["error"]["kind"] == "not_found"
