"""Validation is bounded and strict: capped name lists, bounded did-you-mean work and text, log columns checked
against the catalogue, booleans and numbers never coerced into each other, NUL refused in every string.

Every refusal is checked through `kt.refused`: the field is named and nothing reaches the tracker. The sweeps walk
every tool's schema, so a new tool is covered without touching this file.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

import pytest

from keitaro_mcp.operations import OPERATIONS
from keitaro_mcp.registry import Operation
from keitaro_mcp.report_catalog import MAX_COLUMNS, MAX_DIMENSIONS, MAX_FILTERS, MAX_MEASURES, MAX_SUGGESTED
from tests.conftest import Kt, records

pytestmark = pytest.mark.anyio


async def test_nine_thousand_near_miss_names_are_refused_in_a_few_words(kt: Kt) -> None:
    """Was: every name got a difflib search and a line of its own (11.8 s for every client, a 5 MB answer)."""
    names = [f"campaig{i}" for i in range(9_000)]
    env = await kt.refused("build_report", {"dimensions": names}, "dimensions")
    assert f"9000 names; at most {MAX_DIMENSIONS}" in env["error"]["message"]
    assert len(json.dumps(env)) < 2_000


async def test_did_you_mean_is_computed_for_a_few_names_only(kt: Kt, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    original = difflib.get_close_matches

    def counting(word: str, *args: Any, **kwargs: Any) -> list[str]:
        calls.append(word)
        return original(word, *args, **kwargs)

    monkeypatch.setattr(difflib, "get_close_matches", counting)
    names = [f"countri_{i}" for i in range(MAX_DIMENSIONS)]
    env = await kt.refused("build_report", {"dimensions": names}, "dimensions")
    assert len(calls) == MAX_SUGGESTED
    assert f"and {MAX_DIMENSIONS - MAX_SUGGESTED} more unknown dimensions" in env["error"]["message"]
    long_name = "x" * 50_000
    calls.clear()
    env = await kt.refused("build_report", {"measures": [long_name]}, "measures")
    assert calls == [] and len(env["error"]["message"]) < 500  # no search, no echo of 50,000 characters


CAPS = [
    ("build_report", "dimensions", MAX_DIMENSIONS),
    ("build_report", "measures", MAX_MEASURES),
    ("build_report", "filters", MAX_FILTERS),
    ("compare_periods", "dimensions", MAX_DIMENSIONS),
    ("export_report", "measures", MAX_MEASURES),
    ("export_clicks", "columns", MAX_COLUMNS),
    ("export_clicks", "filters", MAX_FILTERS),
    ("list_clicks", "columns", MAX_COLUMNS),
    ("list_conversions", "columns", MAX_COLUMNS),
]


@pytest.mark.parametrize(("tool", "field", "cap"), CAPS, ids=[f"{t}-{f}" for t, f, _ in CAPS])
async def test_name_lists_are_capped(kt: Kt, tool: str, field: str, cap: int) -> None:
    value: list[Any] = [["country_code", "EQUALS", "DE"]] * (cap + 1) if field == "filters" else ["day"] * (cap + 1)
    env = await kt.refused(tool, {field: value}, field)
    assert f"at most {cap}" in env["error"]["message"]


@pytest.mark.parametrize(
    ("tool", "column", "hint"),
    [("list_clicks", "clickid", "click_id"), ("list_conversions", "postback_date", "postback_datetime")],
)
async def test_log_columns_are_checked_against_the_catalogue(kt: Kt, tool: str, column: str, hint: str) -> None:
    env = await kt.refused(tool, {"columns": ["sub_id", column]}, "columns", hint)
    assert "keitaro://catalog/dimensions" in env["error"]["message"]


async def test_known_log_columns_still_pass(kt: Kt) -> None:
    clicks = await kt.ok("list_clicks", {"columns": ["click_id", "sub_id", "event_id"], "limit": 2})
    assert kt.wire.last.body["columns"] == ["click_id", "sub_id", "event_id"] and clicks["count"] <= 2
    await kt.ok("list_conversions", {"columns": ["conversion_id", "status", "sub_id"], "limit": 2})


def _types(prop: dict[str, Any]) -> set[str]:
    found = {prop["type"]} if isinstance(prop.get("type"), str) else set()
    return found | {t for alt in prop.get("anyOf", []) for t in _types(alt)}


def _fields(kind: str) -> list[tuple[Operation[Any], str]]:
    return [
        (op, name)
        for op in OPERATIONS
        for name, prop in op.tool.input_schema.get("properties", {}).items()
        if _types(prop) & {kind} and not (_types(prop) - {kind, "null"})
    ]


BOOLEAN_FIELDS = _fields("boolean")
INTEGER_FIELDS = _fields("integer")
STRING_FIELDS = _fields("string")


@pytest.mark.parametrize("bad", [1, 0, "true", "yes", "on"])
@pytest.mark.parametrize(("op", "field"), BOOLEAN_FIELDS, ids=[f"{op.name}-{f}" for op, f in BOOLEAN_FIELDS])
async def test_a_boolean_is_only_true_or_false(kt: Kt, op: Operation[Any], field: str, bad: Any) -> None:
    """`confirm: 1` is not a person's confirmation; `cost_auto: "yes"` is not a boolean."""
    env = await kt.refused(op.name, {field: bad}, field)
    assert "must be true or false" in env["error"]["message"] or "Input should be" in env["error"]["message"]


@pytest.mark.parametrize(("op", "field"), INTEGER_FIELDS, ids=[f"{op.name}-{f}" for op, f in INTEGER_FIELDS])
async def test_a_number_is_never_true(kt: Kt, op: Operation[Any], field: str) -> None:
    """`campaign_id: true` was campaign 1."""
    env = await kt.refused(op.name, {field: True}, field)
    assert "must be a number, not true or false" in env["error"]["message"]


async def test_numbers_in_lists_and_nested_models_are_never_true(kt: Kt) -> None:
    cost = {"start_date": "2026-01-05", "end_date": "2026-01-06", "cost": 1}
    await kt.refused("update_costs", {"campaign_ids": [1, True], "costs": [cost], "currency": "USD"}, "campaign_ids")
    await kt.refused(
        "update_costs", {"campaign_ids": [1], "costs": [{**cost, "cost": True}], "currency": "USD"}, "costs[0].cost"
    )


async def test_an_id_as_digits_still_works(kt: Kt) -> None:
    listed = await kt.ok("list_campaigns", {"limit": 1})
    campaign_id = records(listed["data"])[0]["id"]
    env = await kt.ok("get_campaign", {"campaign_id": str(campaign_id)})
    assert env["data"]["id"] == campaign_id


@pytest.mark.parametrize(("op", "field"), STRING_FIELDS, ids=[f"{op.name}-{f}" for op, f in STRING_FIELDS])
async def test_nul_is_refused_in_every_string(kt: Kt, op: Operation[Any], field: str) -> None:
    env = await kt.refused(op.name, {field: "a\x00b"}, field, "NUL")
    assert "\x00" not in json.dumps(env, ensure_ascii=False)


async def test_nul_is_refused_in_nested_strings_and_keys(kt: Kt) -> None:
    await kt.refused("list_clicks", {"sub_ids": {"sub_id_1": "x\x00"}}, "sub_ids.sub_id_1", "NUL")
    await kt.refused("list_clicks", {"sub_ids": {"sub_id_1\x00": "x"}}, "sub_ids", "NUL")
    await kt.refused("build_report", {"filters": [["sub_id_1", "EQUALS", "a\x00"]]}, "filters[0][2]", "NUL")
