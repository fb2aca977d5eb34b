"""Dates, times and zones are checked for real on every tool: calendar dates, ASCII digits, IANA zones.

Each tool with a date, period or zone argument gets every bad value in every such field; the call is refused
naming the field and nothing reaches the tracker (`clean_stats` deletes data: a date it misreads is lost data).
A completeness check keeps the table in step with the tool schemas.
"""

from __future__ import annotations

from typing import Any

import pytest

from keitaro_mcp.operations import OPERATIONS
from keitaro_mcp.periods import normalize_datetime, parse_period
from keitaro_mcp.settings import SettingsError
from tests.conftest import Kt, make_settings

pytestmark = pytest.mark.anyio

DAY, NEXT = "2026-01-05", "2026-01-06"

BAD_DATES = [
    "2026-99-99 00:00",
    "0000-00-00 00:00",
    "2026-02-30",
    "2026-01-01 24:00",
    "2026-01-01 10:60",
    "٢٠٢٦-٠١-٠١",  # Arabic-Indic digits
    "２０２６-01-01",  # full-width digits
    "2026-01-01 ١٠:٠٠",
    "0001-01-01",
    "9999-12-31",
    "2026-01-01 10:00\x00",
]
BAD_PERIODS = [
    "2026-99-99",
    "0000-00-00",
    "٢٠٢٦-٠١-٠١",
    "last_٣_days",
    "last_３_days",
    "2026-01-01..2026-99-99",
    "2026-01-01..٢٠٢٦-٠١-٠٢",
    "2026-01-01 00:00..0000-00-00 00:00",
]
BAD_ZONES = ["not/a/zone", "posixrules", "localtime", "right/UTC", "Factory", "../../etc/passwd", "Europe/Berlin\x00"]

# tool -> (valid arguments, {field: "date" | "period" | "zone"}); a field path with dots goes into a nested list entry.
TABLE: dict[str, tuple[dict[str, Any], dict[str, str]]] = {
    "clean_stats": (
        {"start_date": DAY, "end_date": NEXT},
        {"start_date": "date", "end_date": "date", "timezone": "zone"},
    ),
    "update_costs": (
        {"campaign_ids": [1], "costs": [{"start_date": DAY, "end_date": NEXT, "cost": 1}], "currency": "USD"},
        {"costs.start_date": "date", "costs.end_date": "date", "timezone": "zone"},
    ),
    "update_campaign_costs": (
        {"campaign_id": 1, "start_date": DAY, "end_date": NEXT, "cost": 1, "currency": "USD"},
        {"start_date": "date", "end_date": "date", "timezone": "zone"},
    ),
    "build_report": ({}, {"period": "period", "timezone": "zone"}),
    "compare_periods": ({}, {"period": "period", "against": "period", "timezone": "zone"}),
    "debug_conversions": ({"campaign_id": 1}, {"period": "period", "timezone": "zone"}),
    "export_report": ({}, {"period": "period", "timezone": "zone"}),
    "export_clicks": ({}, {"period": "period", "timezone": "zone"}),
    "list_clicks": ({}, {"period": "period", "timezone": "zone"}),
    "list_conversions": ({}, {"period": "period", "timezone": "zone"}),
    "create_offer": ({"name": "o"}, {"conversion_timezone": "zone"}),
    "update_offer_settings": ({"offer_id": 1}, {"conversion_timezone": "zone"}),
    "create_user": ({"login": "u", "password": "p", "type": "USER"}, {"timezone": "zone"}),
    "update_user": ({"user_id": 1}, {"timezone": "zone"}),
}
BAD = {"date": BAD_DATES, "period": BAD_PERIODS + BAD_DATES[:6], "zone": BAD_ZONES}
_WORDS = ("date", "period", "against", "timezone", "zone")


def _named_fields(schema: dict[str, Any], prefix: str = "") -> set[str]:
    found: set[str] = set()
    for name, prop in schema.get("properties", {}).items():
        if any(word in name for word in _WORDS):
            found.add(prefix + name)
        items = prop.get("items") if isinstance(prop, dict) else None
        if isinstance(items, dict):
            found |= _named_fields(items, f"{prefix}{name}.")
    return found


def test_the_table_covers_every_date_period_and_zone_field() -> None:
    covered = {(tool, field) for tool, (_, fields) in TABLE.items() for field in fields}
    present = {(op.name, field) for op in OPERATIONS for field in _named_fields(op.tool.input_schema)}
    assert present <= covered, f"add these to TABLE: {sorted(present - covered)}"
    by_name = {op.name: op for op in OPERATIONS}
    for tool, (valid, _) in TABLE.items():
        by_name[tool].params.model_validate(valid)  # the base arguments themselves are fine


def _with(valid: dict[str, Any], field: str, value: str) -> dict[str, Any]:
    args = {k: [dict(i) for i in v] if isinstance(v, list) and v and isinstance(v[0], dict) else v
            for k, v in valid.items()}  # fmt: skip
    if "." in field:
        outer, inner = field.split(".")
        args[outer][0][inner] = value
    else:
        args[field] = value
    return args


CASES = [
    (tool, field, value) for tool, (_, fields) in TABLE.items() for field, kind in fields.items() for value in BAD[kind]
]


@pytest.mark.parametrize(("tool", "field", "value"), CASES, ids=[f"{t}-{f}-{v!r}" for t, f, v in CASES])
async def test_bad_dates_periods_and_zones_never_reach_the_tracker(kt: Kt, tool: str, field: str, value: str) -> None:
    valid, _ = TABLE[tool]
    env = await kt.refused(tool, _with(valid, field, value), field.split(".")[-1])
    assert len(env["error"]["message"]) < 600


@pytest.mark.parametrize("tool", ["clean_stats", "update_campaign_costs", "update_costs"])
async def test_a_swapped_date_range_is_refused(kt: Kt, tool: str) -> None:
    valid, _ = TABLE[tool]
    field = "costs.end_date" if tool == "update_costs" else "end_date"
    env = await kt.refused(tool, _with(_with(valid, field, DAY), field.replace("end", "start"), NEXT), "end_date")
    assert "before start_date" in env["error"]["message"]


def test_good_values_still_pass() -> None:
    assert normalize_datetime("2026-01-05T10:00") == "2026-01-05 10:00"
    assert normalize_datetime("1970-01-01") == "1970-01-01"
    assert parse_period("last_7_days").days == 7
    assert parse_period("2024-02-29..2024-03-01").end == "2024-03-01"
    assert make_settings(KEITARO_TIMEZONE="America/Argentina/Buenos_Aires").timezone == "America/Argentina/Buenos_Aires"
    assert make_settings(KEITARO_TIMEZONE="Etc/GMT+3").timezone == "Etc/GMT+3"


@pytest.mark.parametrize("zone", ["posixrules", "localtime", "not/a/zone"])
def test_keitaro_timezone_must_be_an_iana_name(zone: str) -> None:
    with pytest.raises(SettingsError, match="KEITARO_TIMEZONE"):
        make_settings(KEITARO_TIMEZONE=zone)
