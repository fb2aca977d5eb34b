"""Hostile arguments are refused with a validation envelope naming the field, before any request."""

from __future__ import annotations

from typing import Any

import pytest

from keitaro_mcp.limits import MAX_ITEMS, MAX_STRING
from keitaro_mcp.operations import OPERATIONS
from keitaro_mcp.registry import Operation
from tests.conftest import Kt

WITH_FIELDS = [op for op in OPERATIONS if op.tool.input_schema.get("properties")]


async def test_ten_megabyte_string_is_refused(kt: Kt) -> None:
    envelope = await kt.refused("create_campaign", {"name": "a" * 10_000_000}, "name")
    assert envelope["error"]["responseData"] == [
        {"field": "name", "problem": f"string of 10,000,000 characters; at most {MAX_STRING:,}"}
    ]
    assert len(envelope["error"]["message"]) < 300  # the value is not echoed back


async def test_hundred_thousand_element_list_is_refused(kt: Kt) -> None:
    op = next(
        op for op in OPERATIONS if any(p.get("type") == "array" for p in op.tool.input_schema["properties"].values())
    )
    field = next(k for k, p in op.tool.input_schema["properties"].items() if p.get("type") == "array")
    envelope = await kt.refused(op.name, {field: list(range(100_000))}, field)
    assert f"at most {MAX_ITEMS:,}" in envelope["error"]["message"]


@pytest.mark.parametrize("op", WITH_FIELDS, ids=[op.name for op in WITH_FIELDS])
async def test_every_tool_refuses_an_oversized_value(kt: Kt, op: Operation[Any]) -> None:
    field = sorted(op.tool.input_schema["properties"])[0]
    await kt.refused(op.name, {field: "x" * (MAX_STRING + 1)}, field)


async def test_total_size_deep_nesting_and_wide_numbers_are_refused(kt: Kt) -> None:
    many = {"name": "n", "parameters": [{"name": "p" * 90_000} for _ in range(12)]}
    await kt.refused("create_campaign", many, "parameters")
    deep: Any = "x"
    for _ in range(100):
        deep = [deep]
    await kt.refused("create_campaign", {"name": "n", "parameters": deep}, "parameters")
    await kt.refused("get_campaign", {"campaign_id": 2**64}, "campaign_id")


async def test_a_number_too_large_for_json_is_refused_not_crashed(kt: Kt) -> None:
    """pydantic reads the string "1e999" as an infinite float; JSON cannot carry it (was: internal error).

    The params models refuse infinity and NaN (allow_inf_nan=False), so the field is named before any request.
    """
    await kt.refused(
        "create_campaign", {"name": "n", "cost_value": "1e999"}, "cost_value: Input should be a finite number"
    )
