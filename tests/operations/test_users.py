"""Wire tests for the user tools against the sandbox tracker."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Kt

pytestmark = pytest.mark.anyio

PASSWORD = "Wire-pass-7781"


async def new_user(kt: Kt, login: str) -> int:
    envelope = await kt.ok("create_user", {"login": login, "password": PASSWORD, "type": "USER"})
    user_id = envelope["data"]["id"]
    assert isinstance(user_id, int)
    return user_id


async def test_create_user_sends_the_password_twice_and_never_shows_it(kt: Kt) -> None:
    args = {"login": "wire.create", "password": PASSWORD, "type": "USER", "language": "en", "timezone": "Europe/Berlin"}
    envelope = await kt.ok("create_user", args)
    assert kt.wire.last.method == "POST" and kt.wire.last.path == "/users"
    assert kt.wire.last.body == {
        "login": "wire.create",
        "type": "USER",
        "new_password": PASSWORD,
        "new_password_confirmation": PASSWORD,
        "preferences": {"language": "en", "timezone": "Europe/Berlin"},
    }
    assert envelope["operation"] == "create" and envelope["data"]["name"] == "wire.create"
    assert envelope["data"]["changes"]["password"] == {"before": None, "after": "***"}
    assert PASSWORD not in json.dumps(envelope), "the password is not echoed in the envelope"


async def test_create_user_with_a_taken_login_is_a_validation_error(kt: Kt) -> None:
    await new_user(kt, "wire.taken")
    again = await kt.call("create_user", {"login": "wire.taken", "password": PASSWORD, "type": "ADMIN"})
    assert again["error"]["kind"] == "validation"
    assert PASSWORD not in json.dumps(again)


async def test_update_user_sends_only_given_fields(kt: Kt) -> None:
    user_id = await new_user(kt, "wire.update")
    envelope = await kt.ok("update_user", {"user_id": user_id, "type": "ADMIN", "language": "ru"})
    assert kt.wire.last.method == "PUT" and kt.wire.last.path == f"/users/{user_id}"
    assert kt.wire.last.body == {"type": "ADMIN", "preferences": {"language": "ru"}}
    assert envelope["operation"] == "update"
    assert envelope["data"]["changes"]["type"] == {"before": "USER", "after": "ADMIN"}
    changed = await kt.ok("update_user", {"user_id": user_id, "password": "Other-pass-1"})
    assert kt.wire.last.body == {"new_password": "Other-pass-1", "new_password_confirmation": "Other-pass-1"}
    assert changed["data"]["changes"] == {"password": {"after": "***"}}, "changed, and never shown"


async def test_update_user_access_maps_areas_to_access_types(kt: Kt) -> None:
    user_id = await new_user(kt, "wire.access")
    args = {"user_id": user_id, "access": {"campaigns": "read_only", "offers": "to_groups_and_selected"}}
    envelope = await kt.ok("update_user_access", args | {"reports": ["clicks"]})
    assert kt.wire.last.method == "PUT" and kt.wire.last.path == f"/users/{user_id}/access"
    assert kt.wire.last.body == {
        "access_data": {
            "campaigns_access_type": "read_only",
            "offers_access_type": "to_groups_and_selected",
            "reports": ["clicks"],
        }
    }
    changes = envelope["data"]["changes"]
    assert envelope["operation"] == "updateAccess" and envelope["data"]["name"] == "wire.access"
    assert changes["access_data.campaigns_access_type"]["after"] == "read_only"
    assert changes["access_data.offers_access_type"]["after"] == "to_groups_and_selected"


async def test_delete_user_is_confirmed_by_the_person(kt: Kt) -> None:
    user_id = await new_user(kt, "wire.delete")
    await kt.refused("delete_user", {"user_id": user_id, "confirm": True}, "confirm")
    envelope = await kt.ok("delete_user", {"user_id": user_id})
    assert kt.person.asked[-1] == f"Delete user: user {user_id} “wire.delete”. This cannot be undone."
    assert kt.wire.last.method == "DELETE" and kt.wire.last.path == f"/users/{user_id}"
    assert envelope["operation"] == "delete"
    assert envelope["data"] == {
        "user_id": user_id, "name": "wire.delete", "changes": {"exists": {"before": True, "after": False}},
        "effects": ["The user's API keys stop working at once."],
    }  # fmt: skip
    gone = await kt.call("get_user", {"user_id": user_id})
    assert gone["error"]["kind"] == "not_found"


async def test_update_missing_user_is_not_found(kt: Kt) -> None:
    envelope = await kt.call("update_user", {"user_id": 987654, "login": "ghost"})
    assert envelope["error"]["kind"] == "not_found"
