"""Campaign S2S postbacks: read-modify-write of the campaign's postbacks array keeps the other postbacks."""

from __future__ import annotations

import pytest

from tests.conftest import Kt

pytestmark = pytest.mark.anyio


async def new_campaign(kt: Kt, name: str) -> int:
    campaign_id = (await kt.ok("create_campaign", {"name": name}))["data"]["id"]
    assert isinstance(campaign_id, int)
    return campaign_id


async def test_postback_crud_keeps_the_other_postbacks(kt: Kt) -> None:
    campaign_id = await new_campaign(kt, "Postback CRUD")
    first = await kt.ok(
        "create_campaign_postback", {"campaign_id": campaign_id, "url": "https://ts.example/a?c={subid}"}
    )
    read, write = kt.wire.sent[-2:]
    assert read.method == "GET" and read.path == f"/campaigns/{campaign_id}"
    assert write.method == "PUT" and write.path == f"/campaigns/{campaign_id}"
    assert write.body == {
        "postbacks": [{"url": "https://ts.example/a?c={subid}", "method": "GET", "statuses": ["sale"]}]
    }
    assert first["resource"] == "postback" and first["operation"] == "create"
    assert first["data"]["id"] and first["data"]["url"] == "https://ts.example/a?c={subid}"

    second = await kt.ok(
        "create_campaign_postback",
        {"campaign_id": campaign_id, "url": "https://ts.example/b", "method": "POST", "statuses": ["lead", "sale"]},
    )
    sent = kt.wire.last.body["postbacks"]
    assert [p.get("id") for p in sent] == [first["data"]["id"], None], "the first postback is sent back with its id"

    listed = await kt.ok("list_campaign_postbacks", {"campaign_id": campaign_id})
    assert kt.wire.last.method == "GET" and listed["operation"] == "getAll" and listed["count"] == 2
    untouched = next(p for p in listed["data"] if p["id"] == first["data"]["id"])

    updated = await kt.ok(
        "update_campaign_postback",
        {"campaign_id": campaign_id, "postback_id": second["data"]["id"], "statuses": ["rejected"]},
    )
    assert updated["operation"] == "update" and updated["data"]["statuses"] == ["rejected"]
    assert updated["data"]["url"] == "https://ts.example/b" and updated["data"]["method"] == "POST"

    got = await kt.ok("get_campaign_postback", {"campaign_id": campaign_id, "postback_id": first["data"]["id"]})
    assert got["operation"] == "get" and got["data"] == untouched

    deleted = await kt.ok("delete_campaign_postback", {"campaign_id": campaign_id, "postback_id": second["data"]["id"]})
    assert deleted["operation"] == "delete" and deleted["data"]["deleted"]["id"] == second["data"]["id"]
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
