"""Wire tests for the campaign tools against the sandbox tracker: method, path, body, envelope, and the effect."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import Kt

pytestmark = pytest.mark.anyio


async def new_campaign(kt: Kt, name: str) -> int:
    envelope = await kt.ok("create_campaign", {"name": name, "alias": None, "cost_type": "CPC", "cost_value": 0.05})
    campaign_id = envelope["data"]["id"]
    assert isinstance(campaign_id, int)
    return campaign_id


def ids(table: dict[str, Any]) -> list[int]:
    """The id column of a list answer ({columns, rows})."""
    at = table["columns"].index("id")
    return [row[at] for row in table["rows"]]


async def test_list_campaigns_pages_with_offset_and_limit(kt: Kt) -> None:
    everything = await kt.ok("list_campaigns")
    assert kt.wire.last.method == "GET" and kt.wire.last.path == "/campaigns" and kt.wire.last.query == {}
    assert everything["resource"] == "campaign" and everything["operation"] == "getAll"
    assert everything["count"] == len(everything["data"]["rows"]) >= 20
    page = await kt.ok("list_campaigns", {"offset": 2, "limit": 3})
    assert kt.wire.last.query == {"offset": "2", "limit": "3"}
    assert ids(page["data"]) == ids(everything["data"])[2:5]


async def test_list_campaigns_shows_the_scan_columns_or_whole_objects(kt: Kt) -> None:
    listed = await kt.ok("list_campaigns", {"limit": 2})
    data = listed["data"]
    assert data["columns"] == ["id", "name", "state", "group", "ts", "cost_type", "cost_value", "cost_currency",
                               "flows"]  # fmt: skip
    row = dict(zip(data["columns"], data["rows"][0], strict=True))
    assert (
        row["state"] in ("active", "paused") and isinstance(row["flows"], int) and isinstance(row["cost_value"], float)
    )
    full = await kt.ok("list_campaigns", {"limit": 2, "full": True})
    assert kt.wire.last.query == {"limit": "2"}, "full chooses the answer's form and is not sent"
    assert [c["id"] for c in full["data"]] == ids(data) and "alias" in full["data"][0]


async def test_list_campaigns_by_state_and_name(kt: Kt) -> None:
    paused = await new_campaign(kt, "Needle 4471 paused")
    archived = await new_campaign(kt, "Needle 4471 archived")
    await kt.ok("set_campaign_state", {"campaign_id": paused, "state": "paused"})
    await kt.ok("archive_campaign", {"campaign_id": archived})

    async def found(**args: Any) -> dict[int, str]:
        data = (await kt.ok("list_campaigns", {"name": "needle 4471", **args}))["data"]
        return {row[0]: row[2] for row in data["rows"]}

    assert await found() == {paused: "paused"}, "by default: active and paused, not archived"
    assert await found(state="paused") == {paused: "paused"}
    assert await found(state="active") == {}
    archived_only = await kt.ok("list_campaigns", {"state": "archived", "name": "NEEDLE 4471"})
    assert kt.wire.last.path == "/campaigns/deleted", "archived campaigns are Keitaro's deleted list"
    assert (archived_only["resource"], archived_only["operation"]) == ("campaign", "getDeleted")
    assert [row[:3] for row in archived_only["data"]["rows"]] == [[archived, "Needle 4471 archived", "archived"]]
    assert await found(state="all") == {paused: "paused", archived: "archived"}
    first = await kt.ok("list_campaigns", {"state": "all", "name": "needle 4471", "limit": 1})
    assert first["count"] == 1 and first["meta"] == {"total": 2, "next_offset": 1}


async def test_create_campaign_generates_an_alias_and_sends_group_id_as_string(kt: Kt) -> None:
    """A state is given and answered as lists say it (paused) and sent as Keitaro's word (disabled)."""
    envelope = await kt.ok("create_campaign", {"name": "Wire create", "group_id": 3, "state": "paused"})
    body = kt.wire.last.body
    assert kt.wire.last.method == "POST" and kt.wire.last.path == "/campaigns"
    assert body["name"] == "Wire create" and body["group_id"] == "3" and body["state"] == "disabled"
    assert len(body["alias"]) == 8 and body["alias"].isalnum()
    receipt = envelope["data"]
    assert envelope["operation"] == "create" and receipt["alias"] == body["alias"] and receipt["name"] == "Wire create"
    assert receipt["changes"]["state"] == {"before": None, "after": "paused"}
    assert receipt["changes"]["group_id"] == {"before": None, "after": 3}
    assert "token" not in json.dumps(envelope), "the Click API token stays out of the receipt"


async def test_create_campaign_with_taken_alias_is_a_validation_error(kt: Kt) -> None:
    first = await kt.ok("create_campaign", {"name": "Alias owner", "alias": "taken-alias-1"})
    assert first["data"]["alias"] == "taken-alias-1"
    assert first["data"]["changes"]["alias"] == {"before": None, "after": "taken-alias-1"}
    again = await kt.call("create_campaign", {"name": "Alias thief", "alias": "taken-alias-1"})
    assert again["error"]["kind"] == "validation" and "alias" in again["error"]["message"]


async def test_update_campaign_sends_only_given_fields(kt: Kt) -> None:
    campaign_id = await new_campaign(kt, "Before rename")
    envelope = await kt.ok("update_campaign", {"campaign_id": campaign_id, "name": "After rename", "cost_value": 0.2})
    assert kt.wire.last.method == "PUT" and kt.wire.last.path == f"/campaigns/{campaign_id}"
    assert kt.wire.last.body == {"name": "After rename", "cost_value": 0.2}
    assert envelope["data"] == {
        "id": campaign_id,
        "name": "After rename",
        "alias": envelope["data"]["alias"],
        "changes": {
            "name": {"before": "Before rename", "after": "After rename"},
            "cost_value": {"before": "0.0500", "after": "0.2000"},
        },
        "effects": ["Live traffic follows the change at once."],
    }
    again = await kt.ok("get_campaign", {"campaign_id": campaign_id})
    assert again["data"]["cost_type"] == "CPC", "fields not sent stay as they were"


async def test_pause_and_resume(kt: Kt) -> None:
    """One tool, two n8n operations: the state argument picks the request and the envelope's operation id, and is
    not sent itself."""
    campaign_id = await new_campaign(kt, "Toggle")
    off = await kt.ok("set_campaign_state", {"campaign_id": campaign_id, "state": "paused"})
    assert kt.wire.last.method == "POST" and kt.wire.last.path == f"/campaigns/{campaign_id}/disable"
    assert not kt.wire.last.body and kt.wire.last.query == {}
    assert (off["resource"], off["operation"]) == ("campaign", "disable")
    assert off["data"]["id"] == campaign_id and off["data"]["name"] == "Toggle"
    assert off["data"]["changes"] == {"state": {"before": "active", "after": "paused"}}
    assert off["data"]["effects"] == ["It stops serving traffic until it is resumed."]
    on = await kt.ok("set_campaign_state", {"campaign_id": campaign_id, "state": "active"})
    assert kt.wire.last.path == f"/campaigns/{campaign_id}/enable"
    assert on["data"]["changes"] == {"state": {"before": "paused", "after": "active"}}
    assert on["operation"] == "enable"
    await kt.refused("set_campaign_state", {"campaign_id": campaign_id, "state": "disabled"}, "state")


async def test_archive_list_deleted_and_restore(kt: Kt) -> None:
    campaign_id = await new_campaign(kt, "To archive")
    archived = await kt.ok("archive_campaign", {"campaign_id": campaign_id})
    assert kt.wire.last.method == "DELETE" and kt.wire.last.path == f"/campaigns/{campaign_id}"
    assert archived["operation"] == "delete"
    assert archived["data"]["changes"] == {"state": {"before": "active", "after": "archived"}}
    gone = await kt.call("get_campaign", {"campaign_id": campaign_id})
    assert gone["error"]["kind"] == "not_found"
    write = await kt.call("update_campaign", {"campaign_id": campaign_id, "name": "x"})
    assert write["error"]["kind"] == "not_found", "a write on an archived entity is not a success"
    deleted = await kt.ok("list_campaigns", {"state": "archived"})
    assert kt.wire.last.path == "/campaigns/deleted"
    assert campaign_id in ids(deleted["data"])
    restored = await kt.ok("restore_campaign", {"campaign_id": campaign_id})
    assert kt.wire.last.method == "POST" and kt.wire.last.path == f"/campaigns/{campaign_id}/restore"
    # An archived campaign cannot be read (not_found): the receipt says what it is now, and why no before.
    assert restored["data"]["changes"] == {"state": {"after": "active"}}
    assert restored["data"]["effects"] == ["It serves traffic again."]
    assert "not found" in restored["data"]["notes"][0]
    back = await kt.ok("get_campaign", {"campaign_id": campaign_id})
    assert back["data"]["state"] == "active"


async def test_clone_campaign_names_the_copy(kt: Kt) -> None:
    campaign_id = await new_campaign(kt, "Original")
    clone = await kt.ok("clone_campaign", {"campaign_id": campaign_id})
    assert kt.wire.last.method == "POST" and kt.wire.last.path == f"/campaigns/{campaign_id}/clone"
    assert clone["operation"] == "clone"
    copy = clone["data"]
    assert copy["name"] == "Copy of Original" and copy["id"] != campaign_id
    assert copy["of"] == {"campaign_id": campaign_id} and copy["changes"] == {}


async def campaign_cost(kt: Kt, campaign_id: int, day: str) -> float:
    args = {"period": day, "measures": ["clicks", "cost"], "filters": [["campaign_id", "EQUALS", campaign_id]]}
    report = (await kt.ok("build_report", args))["data"]
    return float(report["summary"]["cost"])


async def test_update_campaign_costs_changes_what_reports_show(kt: Kt) -> None:
    day = str(datetime.now(UTC).date() - timedelta(days=1))
    busy = await kt.ok("build_report", {"period": day, "dimensions": ["campaign_id"], "measures": ["clicks"]})
    campaign_id = busy["data"]["rows"][0][0]
    before = await campaign_cost(kt, campaign_id, day)
    cost = round(before + 12.5, 2)
    args = {"campaign_id": campaign_id, "start_date": f"{day} 00:00", "end_date": f"{day} 23:59", "cost": cost,
            "currency": "USD"}  # fmt: skip
    envelope = await kt.ok("update_campaign_costs", args)
    assert kt.wire.last.method == "POST" and kt.wire.last.path == f"/campaigns/{campaign_id}/update_costs"
    assert kt.wire.last.body == {
        "start_date": f"{day} 00:00",
        "end_date": f"{day} 23:59",
        "cost": cost,
        "currency": "USD",
        "timezone": "UTC",
    }
    assert envelope["operation"] == "updateCosts"
    assert kt.person.asked[-1].startswith("Overwrite the cost of ")
    assert (
        f" clicks of campaign {campaign_id} from {day} 00:00 to {day} 23:59 (UTC): {before:,.2f} now"
        in (kt.person.asked[-1])
    )
    assert envelope["data"]["changes"] == {"cost": {"before": round(before, 2), "after": f"{cost} USD"}}
    assert await campaign_cost(kt, campaign_id, day) == pytest.approx(cost, abs=0.01), "the day's cost is replaced"


async def test_clean_campaign_archive_is_confirmed_by_the_person(kt: Kt) -> None:
    await kt.refused("clean_campaign_archive", {"confirm": True}, "confirm")
    campaign_id = await new_campaign(kt, "Doomed")
    await kt.ok("archive_campaign", {"campaign_id": campaign_id})
    archived = len((await kt.ok("list_campaigns", {"state": "archived"}))["data"]["rows"])
    cleaned = await kt.ok("clean_campaign_archive")
    assert f"{campaign_id} “Doomed”" in kt.person.asked[-1]
    assert kt.person.asked[-1].startswith(f"Delete the {archived} archived campaigns for good: ")
    assert kt.wire.last.method == "POST" and kt.wire.last.path == "/campaigns/clean_archive"
    assert cleaned["data"]["changes"] == {"archived_campaigns": {"before": archived, "after": 0}}
    deleted = await kt.ok("list_campaigns", {"state": "archived"})
    assert campaign_id not in ids(deleted["data"])
