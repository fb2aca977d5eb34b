"""Wire tests for the group tools against the sandbox tracker."""

from __future__ import annotations

import pytest

from tests.conftest import Kt

pytestmark = pytest.mark.anyio


async def test_list_groups_always_sends_the_type(kt: Kt) -> None:
    envelope = await kt.ok("list_groups")
    assert kt.wire.last.method == "GET" and kt.wire.last.path == "/groups"
    assert kt.wire.last.query == {"type": "campaigns"}, "Keitaro requires type; the default is sent"
    assert envelope["resource"] == "group" and envelope["operation"] == "getAll"
    assert envelope["count"] >= 1 and all(g["type"] == "campaigns" for g in envelope["data"])
    offers = await kt.ok("list_groups", {"type": "offers"})
    assert kt.wire.last.query == {"type": "offers"}
    assert all(g["type"] == "offers" for g in offers["data"])


async def test_create_update_and_delete_group(kt: Kt) -> None:
    created = await kt.ok("create_group", {"name": "Wire group", "type": "landings", "position": 10})
    assert kt.wire.last.method == "POST" and kt.wire.last.path == "/groups"
    assert kt.wire.last.body == {"name": "Wire group", "type": "landings", "position": 10}
    assert created["operation"] == "create" and created["data"]["name"] == "Wire group"
    assert created["data"]["changes"]["type"] == {"before": None, "after": "landings"}
    group_id = created["data"]["id"]

    updated = await kt.ok("update_group", {"group_id": group_id, "name": "Wire group 2"})
    assert kt.wire.last.method == "PUT" and kt.wire.last.path == f"/groups/{group_id}"
    assert kt.wire.last.body == {"name": "Wire group 2"}
    assert updated["operation"] == "update" and updated["data"]["name"] == "Wire group 2"
    assert updated["data"]["changes"] == {"name": {"after": "Wire group 2"}}, "Keitaro has no group read by id"

    deleted = await kt.ok("delete_group", {"group_id": group_id})
    assert kt.wire.last.method == "DELETE" and kt.wire.last.path == f"/groups/{group_id}/delete"
    assert kt.wire.last.query == {} and kt.wire.last.body is None
    assert deleted["operation"] == "delete"
    assert kt.person.asked[-1] == f"Delete group: group {group_id}. This cannot be undone."
    assert deleted["data"]["changes"] == {"exists": {"before": True, "after": False}}
    remaining = await kt.ok("list_groups", {"type": "landings"})
    assert group_id not in [g["id"] for g in remaining["data"]]
    again = await kt.call("delete_group", {"group_id": group_id})
    assert again["error"]["kind"] == "not_found"


async def test_update_missing_group_is_not_found(kt: Kt) -> None:
    envelope = await kt.call("update_group", {"group_id": 987654, "name": "x"})
    assert envelope["error"]["kind"] == "not_found"
