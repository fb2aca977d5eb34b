"""compare_periods: one report over two periods, row by row: values, change, %, rows new or gone.

Both periods are sent as explicit dates (periods.comparison_spans), so the two ranges are exact and comparable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from keitaro_mcp.compact import to_number
from keitaro_mcp.envelope import Envelope, read_failed
from keitaro_mcp.operations.reports import (
    ReportArgs,
    answer_of,
    default_sort,
    numeric_columns,
    report_body,
    report_op,
    runtime_check,
    summary_of,
)
from keitaro_mcp.periods import comparison_spans, field_error, parse_period, zone_for

if TYPE_CHECKING:
    from keitaro_mcp.context import CallContext

__all__ = ["OPERATIONS", "ComparePeriods"]

COMPARE_ROWS = 5_000
"""Rows read per period; the note in meta says when a period had more."""
NAMES = {"campaign_id": "campaign", "offer_id": "offer", "landing_id": "landing", "ts_id": "ts", "stream_id": "stream",
         "affiliate_network_id": "affiliate_network", "campaign_group_id": "campaign_group"}  # fmt: skip
"""The name column of an id dimension: a comparison by campaign_id shows the campaign's name beside it."""


def with_names(dims: list[str]) -> list[str]:
    """The dimensions asked for, each id followed by its name when the name was not asked for too."""
    out: list[str] = []
    for d in dims:
        out.append(d)
        name = NAMES.get(d)
        if name is not None and name not in dims:
            out.append(name)
    return out


class ComparePeriods(ReportArgs):
    """What changed between two periods, row by row: m, m_before, m_diff, m_pct per measure; change: new|gone."""

    against: str = Field(default="previous", max_length=60)
    """previous (same length just before) or a period."""
    limit: int | None = Field(default=None, ge=1, le=COMPARE_ROWS)
    """Most rows, biggest change first."""

    @field_validator("against")
    @classmethod
    def _against(cls, value: str) -> str:
        value = value.strip()
        if value != "previous":
            try:
                parse_period(value)
            except ValueError as exc:
                raise PydanticCustomError("period", "{problem}", {"problem": f"{exc}, or previous"}) from None
        return value

    @model_validator(mode="after")
    def _check(self) -> ComparePeriods:
        for name, value in (("period", self.period), ("against", self.against)):
            if value == "all_time":
                raise field_error(name, "period", "all_time cannot be compared; choose a bounded period")
        return self


def _key(row: dict[str, Any], dims: list[str]) -> tuple[str, ...]:
    return tuple("" if row.get(d) is None else str(to_number(row.get(d))) for d in dims)


def _change(now: Any, before: Any) -> tuple[Any, Any]:
    if not isinstance(now, int | float) or not isinstance(before, int | float):
        return None, None
    diff = round(now - before, 4)
    diff = int(diff) if float(diff).is_integer() else diff
    pct = round((now - before) / abs(before) * 100, 1) if before else None
    return diff, pct


async def _fetch_all(ctx: CallContext, body: dict[str, Any], label: str, step: int, steps: int) -> Envelope:
    await ctx.progress(step, steps, f"report for {label}")
    return await ctx.post("/report/build", {**body, "limit": COMPARE_ROWS})


async def _compare_periods(ctx: CallContext, args: ComparePeriods) -> Envelope:
    problem = await runtime_check(ctx, args.dimensions, args.measures)
    if problem is not None:
        return problem
    tz = zone_for(args, ctx.tracker)
    (start, end), (b_start, b_end) = comparison_spans(args.period, args.against, tz)  # all_time refused by the model
    now_range = {"from": start.isoformat(), "to": end.isoformat(), "timezone": tz}
    before_range = {"from": b_start.isoformat(), "to": b_end.isoformat(), "timezone": tz}
    dims, measures = args.dimensions, args.measures
    shown = with_names(dims)  # rows are matched by the dimensions asked for; names ride along
    base = {**report_body(args, now_range), "dimensions": shown}
    sort = default_sort(dims, measures)
    if sort:
        base["sort"] = sort
    # Either report failing ends the call: a comparison with one side missing would show every row as new or gone.
    current = await _fetch_all(ctx, base, f"{start}..{end}", 0, 2)
    if not current["success"]:
        return read_failed(current, f"the report for {start}..{end} (the period)")
    previous = await _fetch_all(ctx, {**base, "range": before_range}, f"{b_start}..{b_end}", 1, 2)
    if not previous["success"]:
        return read_failed(previous, f"the report for {b_start}..{b_end} (the period compared against)")
    await ctx.progress(2, 2, "compared")
    now_answer, before_answer = answer_of(current), answer_of(previous)
    now_rows = {_key(r, dims): r for r in now_answer.get("rows") or [] if isinstance(r, dict)}
    before_rows = {_key(r, dims): r for r in before_answer.get("rows") or [] if isinstance(r, dict)}
    numeric = numeric_columns(shown, measures)
    columns = [*shown, "change"]
    for m in measures:
        columns += [m, f"{m}_before", f"{m}_diff", f"{m}_pct"]
    rows: list[list[Any]] = []
    for key in [*now_rows, *(k for k in before_rows if k not in now_rows)]:
        now, before = now_rows.get(key), before_rows.get(key)
        source = now or before or {}
        row: list[Any] = [to_number(source.get(d)) if d in numeric else source.get(d) for d in shown]
        row.append("new" if before is None else "gone" if now is None else None)
        for m in measures:
            a = to_number(now.get(m)) if now else 0
            b = to_number(before.get(m)) if before else 0
            row += [a, b, *_change(a, b)]
        rows.append(row)
    first = len(shown) + 3  # the first measure's diff

    def magnitude(row: list[Any]) -> float:
        value = row[first] if measures else 0
        return abs(value) if isinstance(value, int | float) else 0.0

    rows.sort(key=magnitude, reverse=True)
    total = len(rows)
    if args.limit:
        rows = rows[: args.limit]
    data: dict[str, Any] = {"columns": columns, "rows": rows}
    s_now, s_before = summary_of(now_answer, measures), summary_of(before_answer, measures)
    if s_now is not None and s_before is not None:
        summary: dict[str, Any] = {}
        for m in measures:
            a, b = s_now.get(m, 0), s_before.get(m, 0)
            diff, pct = _change(a, b)
            summary.update({m: a, f"{m}_before": b, f"{m}_diff": diff, f"{m}_pct": pct})
        data["summary"] = summary
    meta: dict[str, Any] = {"range": now_range, "against_range": before_range, "total": total}
    if total > len(rows):
        meta["truncated"] = True
    capped = [label for label, a in (("now", now_answer), ("before", before_answer)) if _more(a)]
    if capped:
        meta["note"] = f"only the first {COMPARE_ROWS} rows of {', '.join(capped)} were compared"
    envelope = current
    envelope["data"] = data
    envelope["meta"] = meta
    envelope["count"] = len(rows)
    return envelope


def _more(answer: dict[str, Any]) -> bool:
    total = to_number(answer.get("total"))
    return isinstance(total, int) and total > len(answer.get("rows") or [])


OPERATIONS = (
    report_op(name="compare_periods", resource="stats", operation="compare", path="/report/build",
              params=ComparePeriods, title="Compare periods", handler=_compare_periods),
)  # fmt: skip
