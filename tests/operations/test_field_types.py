"""The field types operations share: one concept, one check, one wire form, whichever tool takes it."""

from __future__ import annotations

from typing import Any

import pytest

from keitaro_mcp.operations._common import INT32_MAX
from tests.conftest import Kt, records

pytestmark = pytest.mark.anyio

TOO_BIG = INT32_MAX + 1
COSTS = {"start_date": "2000-01-01 00:00", "end_date": "2000-01-01 23:59", "cost": 1.5}


async def first_campaign(kt: Kt) -> int:
    return int(records((await kt.ok("list_campaigns", {"limit": 1}))["data"])[0]["id"])


async def test_currency_goes_out_upper_case_from_every_tool(kt: Kt) -> None:
    campaign_id = await first_campaign(kt)
    await kt.ok("update_campaign_costs", {"campaign_id": campaign_id, **COSTS, "currency": "eur"})
    assert kt.wire.last.body["currency"] == "EUR"
    await kt.ok("update_costs", {"campaign_ids": [campaign_id], "costs": [COSTS], "currency": "eur"})
    assert kt.wire.last.body["currency"] == "EUR" and kt.wire.last.body["costs"][0]["currency"] == "EUR"
    await kt.ok("update_campaign", {"campaign_id": campaign_id, "cost_currency": "usd"})
    assert kt.wire.last.body["cost_currency"] == "USD"
    await kt.ok("create_conversion", {"sub_id": "no-such-click", "status": "lead", "currency": "rub"})
    postback = next(s for s in reversed(kt.wire.sent) if s.path.endswith("/postback"))
    assert postback.query["currency"] == "RUB"


async def test_cost_dates_are_checked_and_sent_in_one_form(kt: Kt) -> None:
    campaign_id = await first_campaign(kt)
    args = {"campaign_id": campaign_id, **COSTS, "start_date": "2000-01-01T08:30", "currency": "USD"}
    await kt.ok("update_campaign_costs", args)
    assert kt.wire.last.body["start_date"] == "2000-01-01 08:30"
    costs = [{**COSTS, "start_date": "2000-01-01T08:30"}]
    await kt.ok("update_costs", {"campaign_ids": [campaign_id], "costs": costs, "currency": "USD"})
    assert kt.wire.last.body["costs"][0]["start_date"] == "2000-01-01 08:30"


def problems(envelope: dict[str, Any]) -> dict[str, str]:
    assert envelope["error"]["kind"] == "invalid_arguments", envelope["error"]
    return {p["field"]: p["problem"] for p in envelope["error"]["responseData"]}


@pytest.mark.parametrize(
    ("tool", "arguments", "field", "says"),
    [
        # Ids: positive and 32-bit wherever they appear.
        ("list_clicks", {"campaign_id": TOO_BIG}, "campaign_id", str(INT32_MAX)),
        ("list_clicks", {"flow_id": 0}, "flow_id", "greater than or equal to 1"),
        ("list_conversions", {"campaign_id": TOO_BIG}, "campaign_id", str(INT32_MAX)),
        ("update_costs", {"campaign_ids": [TOO_BIG], "costs": [COSTS], "currency": "USD"}, "campaign_ids[0]",
         str(INT32_MAX)),
        ("clean_stats", {"start_date": "2000-01-01", "end_date": "2000-01-02", "campaign_id": TOO_BIG,
                         "confirm": True}, "campaign_id", str(INT32_MAX)),
        ("get_campaign_postback", {"campaign_id": 1, "postback_id": TOO_BIG}, "postback_id", str(INT32_MAX)),
        # Currency: a 3-letter code.
        ("update_campaign_costs", {"campaign_id": 1, **COSTS, "currency": "dollars"}, "currency", "3-letter"),
        ("update_click", {"sub_id": "x", "cost": 1, "currency": "$"}, "currency", "3-letter"),
        # Date-times: a real calendar date, in Keitaro's form.
        ("update_campaign_costs", {"campaign_id": 1, **COSTS, "end_date": "2000-02-30", "currency": "USD"},
         "end_date", "calendar"),
        ("update_costs", {"campaign_ids": [1], "costs": [{**COSTS, "start_date": "01.01.2000"}], "currency": "USD"},
         "costs[0].start_date", "YYYY-MM-DD"),
        ("clean_stats", {"start_date": "2000-13-01", "end_date": "2000-01-02", "confirm": True}, "start_date",
         "calendar"),
        # Timezones: IANA names, never sent unchecked.
        ("update_costs", {"campaign_ids": [1], "costs": [COSTS], "currency": "USD", "timezone": "Mars/Base"},
         "timezone", "IANA"),
        ("update_campaign_costs", {"campaign_id": 1, **COSTS, "currency": "USD", "timezone": "Europe/Atlantis"},
         "timezone",
         "IANA"),
        # Sort: one format, one message.
        ("build_report", {"measures": ["clicks"], "sort": "Clicks desc"}, "sort", "-name for descending"),
        ("list_clicks", {"sort": "datetime desc"}, "sort", "-name for descending"),
    ],
)  # fmt: skip
async def test_one_check_per_concept(kt: Kt, tool: str, arguments: dict[str, Any], field: str, says: str) -> None:
    found = problems(await kt.refused(tool, arguments))
    assert field in found and says in found[field], found
