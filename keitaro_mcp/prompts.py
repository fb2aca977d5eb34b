"""MCP prompts: three everyday jobs, each spelled out as the exact tool calls to make."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS, GetPromptResult, Prompt, PromptArgument, PromptMessage, TextContent

from keitaro_mcp.periods import parse_period
from keitaro_mcp.surface import Surface

__all__ = ["PROMPTS", "get_prompt", "list_prompts"]

MONEY = ["clicks", "conversions", "revenue", "cost", "profit", "roi"]


@dataclass(frozen=True)
class PromptSpec:
    description: str
    arguments: tuple[PromptArgument, ...]
    render: Callable[[dict[str, str]], str]
    tools: tuple[str, ...]
    """The tools its steps call: a surface without one of them does not offer the prompt."""


def _period(args: dict[str, str], default: str) -> str:
    period = args.get("period") or default
    try:
        parse_period(period)
    except ValueError as exc:
        raise MCPError(code=INVALID_PARAMS, message=f"period: {exc}") from None
    return period


def _call(tool: str, arguments: dict[str, object]) -> str:
    return f"{tool} {json.dumps(arguments, ensure_ascii=False)}"


def _performance(args: dict[str, str]) -> str:
    period = _period(args, "yesterday")
    return "\n".join(
        [
            f"Summarise the tracker's performance for {period}.",
            "1. " + _call("build_report", {"period": period, "dimensions": ["campaign"], "measures": MONEY}),
            "2. " + _call("compare_periods", {"period": period, "dimensions": ["campaign"], "measures": MONEY}),
            "Report the totals (data.summary) and their change, the 3 best and 3 worst campaigns by profit, and any "
            "campaign whose clicks or conversions moved by more than 30%. Quote numbers as the tools return them; "
            "money is in the tracker's currency.",
        ]
    )


def _losing(args: dict[str, str]) -> str:
    period = _period(args, "last_7_days")
    raw_cost = args.get("min_cost") or "10"
    try:
        min_cost = float(raw_cost)
    except ValueError:
        raise MCPError(code=INVALID_PARAMS, message=f"min_cost: {raw_cost!r} is not a number") from None
    threshold: float | int = int(min_cost) if min_cost.is_integer() else min_cost
    filters = [["profit", "LESS_THAN", 0], ["cost", "GREATER_THAN", threshold]]
    return "\n".join(
        [
            f"Find the campaigns that lost money in {period} (cost above {min_cost:g}).",
            "1. "
            + _call(
                "build_report",
                {
                    "period": period,
                    "dimensions": ["campaign_id", "campaign"],
                    "measures": MONEY,
                    "filters": filters,
                    "sort": "profit",
                },
            ),
            "2. For the worst three: "
            + _call(
                "build_report",
                {
                    "period": period,
                    "dimensions": ["offer", "country_code"],
                    "measures": MONEY,
                    "filters": [["campaign_id", "EQUALS", "<id>"]],
                    "sort": "profit",
                },
            ),
            "List each losing campaign with cost, revenue, profit and ROI, say which offer or country drags it down, "
            "and suggest one action (pause, cut a geo, check the postback). Do not change anything without asking.",
        ]
    )


def _debug(args: dict[str, str]) -> str:
    sub_id, campaign = args.get("sub_id"), args.get("campaign_id")
    if bool(sub_id) == bool(campaign):
        raise MCPError(code=INVALID_PARAMS, message="give sub_id or campaign_id (one of them)")
    target: dict[str, object]
    if sub_id:
        target = {"sub_id": sub_id}
    else:
        assert campaign is not None
        if not campaign.isdigit():
            raise MCPError(code=INVALID_PARAMS, message=f"campaign_id: {campaign!r} is not a campaign id")
        target = {"campaign_id": int(campaign), "period": _period(args, "last_7_days")}
    return "\n".join(
        [
            "Find out why conversions are missing.",
            "1. " + _call("debug_conversions", target),
            "Explain data.verdict in plain words, show the evidence (clicks, received and sent postback lines), and "
            "give the one next step: fix the network's postback URL, the {subid} macro, or the campaign's S2S "
            "postback. A null verdict means a read failed (data.unread): say which, do not guess.",
        ]
    )


def _arg(name: str, description: str, required: bool = False) -> PromptArgument:
    return PromptArgument(name=name, description=description, required=required)


PERIOD_ARG = _arg("period", "today, yesterday, last_7_days, this_week, last_month, YYYY-MM-DD, FROM..TO")

PROMPTS: dict[str, PromptSpec] = {
    "performance_summary": PromptSpec(
        "Summarise performance by campaign for a period, with the change against the period before.",
        (PERIOD_ARG,),
        _performance,
        ("build_report", "compare_periods"),
    ),
    "losing_campaigns": PromptSpec(
        "Find campaigns that lose money and what drags them down.",
        (PERIOD_ARG, _arg("min_cost", "Ignore campaigns that spent less (default 10)")),
        _losing,
        ("build_report",),
    ),
    "debug_missing_conversions": PromptSpec(
        "Find where the conversion chain broke for a click (sub_id) or a campaign.",
        (_arg("sub_id", "The click's subid"), _arg("campaign_id", "Or a campaign ID"), PERIOD_ARG),
        _debug,
        ("debug_conversions",),
    ),
}


def _offered(surface: Surface | None) -> dict[str, PromptSpec]:
    """The prompts whose every step is a tool the surface exposes (all of them without a surface)."""
    if surface is None:
        return PROMPTS
    return {name: spec for name, spec in PROMPTS.items() if set(spec.tools) <= surface.exposed}


def list_prompts(surface: Surface | None = None) -> list[Prompt]:
    return [
        Prompt(name=name, description=spec.description, arguments=list(spec.arguments))
        for name, spec in _offered(surface).items()
    ]


def get_prompt(name: str, arguments: dict[str, str] | None, surface: Surface | None = None) -> GetPromptResult:
    """The prompt's user message; unknown names (and prompts this surface does not offer) and bad arguments are
    JSON-RPC -32602."""
    offered = _offered(surface)
    spec = offered.get(name)
    if spec is None:
        raise MCPError(code=INVALID_PARAMS, message=f"Unknown prompt: {name}; known: {', '.join(offered) or 'none'}")
    args = {k: str(v) for k, v in (arguments or {}).items() if v not in (None, "")}
    unknown = sorted(set(args) - {a.name for a in spec.arguments})
    if unknown:
        raise MCPError(code=INVALID_PARAMS, message=f"Unknown prompt argument(s) {', '.join(unknown)}")
    text = spec.render(args)
    return GetPromptResult(
        description=spec.description,
        messages=[PromptMessage(role="user", content=TextContent(type="text", text=text))],
    )
