"""Campaign S2S postbacks: read-modify-write of the campaign's postbacks array keeps the other postbacks."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Kt

pytestmark = pytest.mark.anyio


async def new_campaign(kt: Kt, name: str) -> int:
    campaign_id = (await kt.ok("create_campaign", {"name": name}))["data"]["id"]
    assert isinstance(campaign_id, int)
    return campaign_id


def postback_id(receipt: dict[str, Any]) -> int:
    """The one postback a receipt names (`postbacks[<id>].<field>` changes)."""
    [found] = {int(name.split("[")[1].split("]")[0]) for name in receipt["changes"]}
    return found


async def test_postback_crud_keeps_the_other_postbacks(kt: Kt) -> None:
    campaign_id = await new_campaign(kt, "Postback CRUD")
    first = await kt.ok(
        "create_campaign_postback", {"campaign_id": campaign_id, "url": "https://ts.example/a?c={subid}"}
    )
    read, write, check = kt.wire.sent[-3:]
    assert read.method == "GET" and read.path == f"/campaigns/{campaign_id}"
    assert write.method == "PUT" and write.path == f"/campaigns/{campaign_id}"
    assert (check.method, check.path) == ("GET", read.path), "read back: the new postback is there"
    assert write.body == {
        "postbacks": [{"url": "https://ts.example/a?c={subid}", "method": "GET", "statuses": ["sale"]}]
    }
    assert first["resource"] == "postback" and first["operation"] == "create"
    assert first["data"]["id"] == campaign_id and first["data"]["name"] == "Postback CRUD"
    first_id = postback_id(first["data"])
    assert first["data"]["changes"][f"postbacks[{first_id}].url"] == {
        "before": None,
        "after": "https://ts.example/a?c={subid}",
    }

    second = await kt.ok(
        "create_campaign_postback",
        {"campaign_id": campaign_id, "url": "https://ts.example/b", "method": "POST", "statuses": ["lead", "sale"]},
    )
    sent = kt.wire.sent[-2].body["postbacks"]
    assert [p.get("id") for p in sent] == [first_id, None], "the first postback is sent back with its id"
    second_id = postback_id(second["data"])

    listed = await kt.ok("list_campaign_postbacks", {"campaign_id": campaign_id})
    assert kt.wire.last.method == "GET" and listed["operation"] == "getAll" and listed["count"] == 2
    untouched = next(p for p in listed["data"] if p["id"] == first_id)

    updated = await kt.ok(
        "update_campaign_postback",
        {"campaign_id": campaign_id, "postback_id": second_id, "statuses": ["rejected"]},
    )
    assert updated["operation"] == "update"
    assert updated["data"]["changes"] == {
        f"postbacks[{second_id}].statuses": {"before": ["lead", "sale"], "after": ["rejected"]}
    }, "only that field of that postback changed"

    got = await kt.ok("get_campaign_postback", {"campaign_id": campaign_id, "postback_id": first_id})
    assert got["operation"] == "get" and got["data"] == untouched

    deleted = await kt.ok("delete_campaign_postback", {"campaign_id": campaign_id, "postback_id": second_id})
    assert deleted["operation"] == "delete"
    assert deleted["data"]["changes"][f"postbacks[{second_id}].url"] == {
        "before": "https://ts.example/b",
        "after": None,
    }
    assert deleted["data"]["effects"] == ["Conversions no longer send this postback to the traffic source."]
    remaining = (await kt.ok("list_campaign_postbacks", {"campaign_id": campaign_id}))["data"]
    assert remaining == [untouched], "the other postback is unchanged"


async def test_missing_postback_is_not_found_and_nothing_written(kt: Kt) -> None:
    campaign_id = await new_campaign(kt, "No postbacks")
    for tool, extra in (
        ("get_campaign_postback", {}),
        ("update_campaign_postback", {"url": "https://x.example"}),
        ("delete_campaign_postback", {}),
    ):
        before = len(kt.wire.sent)
        env = await kt.call(tool, {"campaign_id": campaign_id, "postback_id": 99999, **extra})
        assert env["error"]["kind"] == "not_found" and "99999" in env["error"]["message"]
        assert [s.method for s in kt.wire.sent[before:]] == ["GET"]


async def test_postbacks_of_a_missing_campaign_are_not_found(kt: Kt) -> None:
    env = await kt.call("create_campaign_postback", {"campaign_id": 987654, "url": "https://x.example"})
    assert env["error"]["kind"] == "not_found"
    assert kt.wire.last.method == "GET"
