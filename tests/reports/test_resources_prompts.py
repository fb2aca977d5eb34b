"""Resources (catalogues, enabled tools) and prompts over MCP; unknown names are JSON-RPC -32602."""

from __future__ import annotations

import json
import re

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from keitaro_mcp.report_catalog import MEASURES, OPERATORS
from keitaro_mcp.server import build_server
from tests.conftest import Kt, make_settings

pytestmark = pytest.mark.anyio


async def test_resources_list_and_read() -> None:
    async with Client(build_server(make_settings(KEITARO_TOOLSETS="reports")), raise_exceptions=True) as client:
        listed = {str(r.uri): r for r in (await client.list_resources()).resources}
        catalogues = {f"keitaro://catalog/{n}" for n in ("measures", "dimensions", "operators", "periods", "reports")}
        assert set(listed) == catalogues | {"keitaro://tools", "ui://keitaro/report.html"}

        async def read(uri: str) -> object:
            contents = (await client.read_resource(uri)).contents
            assert contents[0].mime_type == "application/json"
            return json.loads(getattr(contents[0], "text", ""))

        measures = await read("keitaro://catalog/measures")
        assert measures == MEASURES and "campaign_unique_clicks" in measures
        operators = await read("keitaro://catalog/operators")
        assert isinstance(operators, dict) and set(operators) == set(OPERATORS)
        assert operators["BETWEEN"] == "a list of two values [from, to]"
        dims = await read("keitaro://catalog/dimensions")
        assert isinstance(dims, dict) and "sub_id_30" in dims["data"] and "status" in dims["conversion_log_only"]
        periods = await read("keitaro://catalog/periods")
        assert isinstance(periods, dict) and "last_week" in periods and "last_N_days" in periods
        assert periods["keitaro_presets"]["7_days_ago"] == "last_7_days"
        tools = await read("keitaro://tools")
        assert tools == {"reports": ["build_report (read)", "compare_periods (read)", "debug_conversions (read)",
                                     "export_report (read, new local file)",
                                     "export_clicks (read, new local file)"]}  # fmt: skip
        with pytest.raises(MCPError) as caught:
            await client.read_resource("keitaro://catalog/metrics")
        assert caught.value.error.code == -32602


async def test_prompts() -> None:
    async with Client(build_server(make_settings()), raise_exceptions=True) as client:
        names = [p.name for p in (await client.list_prompts()).prompts]
        assert names == ["performance_summary", "losing_campaigns", "debug_missing_conversions"]
        text = (await client.get_prompt("losing_campaigns", {"period": "last_week", "min_cost": "25"})).messages[0]
        body = getattr(text.content, "text", "")
        assert '"filters": [["profit", "LESS_THAN", 0], ["cost", "GREATER_THAN", 25]]' in body
        summary = await client.get_prompt("performance_summary", {})
        assert '"period": "yesterday"' in getattr(summary.messages[0].content, "text", "")
        debug = await client.get_prompt("debug_missing_conversions", {"sub_id": "abc123"})
        assert 'debug_conversions {"sub_id": "abc123"}' in getattr(debug.messages[0].content, "text", "")
        for name, args in [("nope", {}), ("debug_missing_conversions", {}), ("losing_campaigns", {"period": "soon"}),
                           ("losing_campaigns", {"min_cost": "a lot"}), ("performance_summary", {"x": "1"}),
                           ("debug_missing_conversions", {"campaign_id": "seven"})]:  # fmt: skip
            with pytest.raises(MCPError) as caught:
                await client.get_prompt(name, args)
            assert caught.value.error.code == -32602, name


STEP = re.compile(r"(?:^\d+\. |: )([a-z_]+) (\{.*\})$")
"""A step a prompt spells out: `1. build_report {...}` (or `2. For the worst three: build_report {...}`)."""


@pytest.mark.parametrize(
    ("prompt", "args"),
    [
        ("performance_summary", {}),
        ("performance_summary", {"period": "last_30_days"}),
        ("losing_campaigns", {"min_cost": "2.5"}),
        ("debug_missing_conversions", {"campaign_id": "5"}),
        ("debug_missing_conversions", {"sub_id": "abc123"}),
    ],
)
async def test_every_step_a_prompt_spells_out_is_a_call_the_tool_takes(
    kt: Kt, prompt: str, args: dict[str, str]
) -> None:
    """The model copies the calls: each one, sent as written (a placeholder id made real), succeeds on the sandbox."""
    text = getattr((await kt.client.get_prompt(prompt, args)).messages[0].content, "text", "")
    steps = [match.groups() for line in text.splitlines() if (match := STEP.search(line))]
    assert steps, text
    for tool, arguments in steps:
        envelope = await kt.call(tool, json.loads(arguments.replace('"<id>"', "5")))
        assert envelope["success"], (tool, arguments, envelope["error"])
