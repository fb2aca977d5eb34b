"""Counting what a bulk write will touch, before a person is asked to confirm it: the clicks, conversions and cost
of a period (one report), with the same campaigns, filters and timezone the write will use."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from keitaro_mcp.context import rows_of
from keitaro_mcp.envelope import Envelope, read_failed

if TYPE_CHECKING:
    from keitaro_mcp.context import CallContext

__all__ = ["Traffic", "campaigns_text", "period_text", "traffic"]


@dataclass(frozen=True)
class Traffic:
    """What a period holds: clicks (unique ones when asked), conversions, and cost in the tracker's currency."""

    clicks: int
    conversions: int
    cost: float


def period_text(start: str, end: str, timezone: str) -> str:
    return f"from {start} to {end} ({timezone})"


def campaigns_text(campaign_ids: list[int] | None) -> str:
    if not campaign_ids:
        return "every campaign"
    if len(campaign_ids) == 1:
        return f"campaign {campaign_ids[0]}"
    return "campaigns " + ", ".join(str(i) for i in campaign_ids)


async def traffic(
    ctx: CallContext,
    *,
    start: str,
    end: str,
    timezone: str,
    campaign_ids: list[int] | None,
    filters: dict[str, Any] | None = None,
    uniques: bool = False,
) -> Traffic | Envelope:
    """{clicks, conversions, cost} of the period (cost in the tracker's currency), or the failed read's envelope.

    Cost filters are Keitaro's `{"sub_id_1": "a,b"}` (comma lists); the report asks the same with IN_LIST."""
    report_filters: list[dict[str, Any]] = []
    if campaign_ids:
        report_filters.append({"name": "campaign_id", "operator": "IN_LIST", "expression": list(campaign_ids)})
    for name, value in (filters or {}).items():
        values = [v.strip() for v in str(value).split(",") if v.strip()]
        if values:
            report_filters.append({"name": name, "operator": "IN_LIST", "expression": values})
    clicks = "campaign_unique_clicks" if uniques else "clicks"
    body = {
        "range": {"from": start, "to": end, "timezone": timezone},
        "measures": [clicks, "conversions", "cost"],
        "filters": report_filters,
    }
    envelope = await ctx.post("/report/build", body)
    if not envelope["success"]:
        return read_failed(envelope, "what it would change (a report)", nothing_changed=True)
    data = envelope["data"]
    summary = data.get("summary") if isinstance(data, dict) else None
    rows = [summary] if isinstance(summary, dict) else rows_of(data)

    def total(name: str) -> float:
        return sum(float(row.get(name) or 0) for row in rows)

    return Traffic(int(total(clicks)), int(total("conversions")), round(total("cost"), 2))
