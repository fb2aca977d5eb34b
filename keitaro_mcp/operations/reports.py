"""Reports: build_report, compare_periods, debug_conversions, export_report, export_clicks.

Every report goes through `POST /report/build` (a read) in the current dialect (`dimensions`/`measures`, reference
§5.1) with an explicit timezone. Names are checked against the catalogue first (report_catalog.py), periods come
from periods.py, and answers are compact tables (compact.py): `data: {columns, rows, summary}`.
"""

from __future__ import annotations

import csv
import gc
import json
import operator
import os
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import anyio
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from keitaro_mcp.compact import compact_rows, to_number
from keitaro_mcp.envelope import Envelope, error_envelope
from keitaro_mcp.operations._common import CampaignId, Params
from keitaro_mcp.periods import (
    KEITARO_INTERVALS,
    PeriodArgs,
    field_error,
    parse_period,
    period_dates,
    resolve_range,
    zone_for,
)
from keitaro_mcp.registry import Operation
from keitaro_mcp.report_catalog import (
    DIMENSIONS,
    MEASURES,
    NUMERIC_DIMENSIONS,
    OPERATORS,
    check_expression,
    runtime_catalog,
    unknown_name,
)

if TYPE_CHECKING:
    from keitaro_mcp.client import CallContext

__all__ = [
    "DEFAULT_MEASURES",
    "OPERATIONS",
    "BuildReport",
    "ComparePeriods",
    "DebugConversions",
    "ExportClicks",
    "ExportReport",
    "ReportFilter",
]

DEFAULT_MEASURES = ["clicks", "campaign_unique_clicks", "conversions", "revenue", "cost", "profit", "roi"]
DEFAULT_LIMIT = 500
"""Rows asked for when no limit is given; the result budget cuts further (meta.next_offset continues)."""
COMPARE_ROWS = 5_000
REPORT_PAGE = 5_000
CLICK_PAGE = 10_000
TIME_DIMENSIONS = ("day", "hour", "day_hour", "datetime", "week", "month", "year", "weekday")
MEASURES_URI = "keitaro://catalog/measures"
DIMENSIONS_URI = "keitaro://catalog/dimensions"
OPERATORS_URI = "keitaro://catalog/operators"

ExportFormat = Literal["csv", "jsonl"]
SORT = re.compile(r"^-?[a-z][a-z0-9_]*$")


# -- arguments ------------------------------------------------------------------------------------------------


class ReportFilter(Params):
    """One filter (internal form): column, operator, expression. Tools take [name, OPERATOR, value] triples."""

    name: str
    operator: str
    expression: Any = None

    @model_validator(mode="after")
    def _check(self) -> ReportFilter:
        operator = self.operator.strip().upper()
        if operator not in OPERATORS:
            raise field_error("operator", "unknown", unknown_name("operator", self.operator, OPERATORS, OPERATORS_URI))
        self.operator = operator
        if self.name not in DIMENSIONS and self.name not in MEASURES:
            message = unknown_name("column", self.name, (*DIMENSIONS, *MEASURES), DIMENSIONS_URI)
            raise field_error("name", "unknown", message, self.name)
        try:
            self.expression = check_expression(operator, self.expression)
        except ValueError as exc:
            raise field_error("expression", "expression", str(exc)) from None
        return self


FILTERS_DOC = "[[name, OPERATOR, value]]; " + OPERATORS_URI
Filters = Annotated[list[Any], Field(description=FILTERS_DOC)]


def _check_filters(items: list[Any] | None) -> list[Any] | None:
    """[name, OPERATOR, value] triples (or n8n's {name, operator, expression}) -> checked filter objects."""
    if items is None:
        return None
    out: list[Any] = []
    for i, item in enumerate(items):
        if isinstance(item, list | tuple) and len(item) in (2, 3) and all(isinstance(v, str) for v in item[:2]):
            raw = {"name": item[0], "operator": item[1], "expression": item[2] if len(item) == 3 else None}
        elif isinstance(item, dict):
            raw = item
        else:
            raise field_error(str(i), "filter", "a filter is [name, OPERATOR, value] or {name, operator, expression}")
        try:
            out.append(ReportFilter.model_validate(raw).model_dump(exclude_none=True))
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            raise field_error(f"{i}.{where}" if where else str(i), "filter", err["msg"]) from None
    return out


def _check_names(names: list[str], valid: Any, kind: str, uri: str) -> list[str]:
    problems = [unknown_name(kind, n, valid, uri) for n in names if n not in valid]
    if problems:
        raise PydanticCustomError("unknown", "{problems}", {"problems": "; ".join(problems)})
    if len(set(names)) != len(names):
        raise PydanticCustomError("duplicate", "names must not repeat")
    return names


class _ReportArgs(PeriodArgs):
    dimensions: list[str] = Field(default_factory=list)
    """e.g. campaign, day, country_code. keitaro://catalog/dimensions"""
    measures: list[str] = Field(default_factory=lambda: list(DEFAULT_MEASURES))
    """Default: clicks, uniques, conversions, revenue, cost, profit, roi. keitaro://catalog/measures"""
    filters: Filters | None = None

    @field_validator("dimensions")
    @classmethod
    def _dimensions(cls, names: list[str]) -> list[str]:
        return _check_names(names, DIMENSIONS, "dimension", DIMENSIONS_URI)

    @field_validator("measures")
    @classmethod
    def _measures(cls, names: list[str]) -> list[str]:
        return _check_names(names, MEASURES, "measure", MEASURES_URI)

    @field_validator("filters")
    @classmethod
    def _filters(cls, items: list[Any] | None) -> list[Any] | None:
        return _check_filters(items)

    @model_validator(mode="after")
    def _some_column(self) -> _ReportArgs:
        # Found by the fuzzer: a report with neither dimensions nor measures has no column to show or export.
        if not self.dimensions and not self.measures and getattr(self, "body", None) is None:
            raise ValueError("measures: give at least one measure (or a dimension); e.g. clicks, revenue")
        return self


_BODY_KEYS = frozenset(
    {"range", "dimensions", "measures", "grouping", "metrics", "columns", "filters", "sort", "limit", "offset",
     "summary"}
)  # fmt: skip


class BuildReport(_ReportArgs):
    """Keitaro report (dimensions x measures over a period): compact rows plus totals."""

    sort: str | None = None
    """Column, -column for descending; default time, else -first measure."""
    limit: int | None = Field(default=None, ge=1, le=10_000)
    offset: int | None = Field(default=None, ge=0)
    body: dict[str, Any] | None = None
    """Raw /report/build JSON (n8n); replaces other fields."""

    @model_validator(mode="after")
    def _check(self) -> BuildReport:
        if self.body is not None:
            given = [n for n in ("dimensions", "filters", "sort", "limit", "offset") if getattr(self, n)]
            if "measures" in self.model_fields_set:
                given.append("measures")
            if given:
                raise field_error("body", "body", f"body replaces the other fields; drop {', '.join(given)}")
            _check_body(self.body, has_period=self.has_period())
        if self.sort is not None:
            name = self.sort.lstrip("-")
            if not SORT.match(self.sort):
                raise field_error("sort", "sort", "a column name, or -name for descending", self.sort)
            if name not in self.dimensions and name not in self.measures:
                raise field_error("sort", "sort", f"sort by {name!r}: not among the requested dimensions or measures")
        return self


def _check_body(body: dict[str, Any], *, has_period: bool) -> None:
    """Light checks on a raw body: known keys, container types, a range with a valid period, known operators."""
    unknown = sorted(set(body) - _BODY_KEYS)
    if unknown:
        raise field_error("body", "body", f"unknown keys {unknown}; allowed: {', '.join(sorted(_BODY_KEYS))}")
    for key in ("dimensions", "measures", "grouping", "metrics", "columns"):
        value = body.get(key)
        if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise field_error("body", "body", f"{key} must be a list of names")
    range_ = body.get("range")
    if range_ is not None:
        if has_period:
            raise field_error("body", "body", "give the period in body.range or in period, not both")
        if not isinstance(range_, dict):
            raise field_error("body", "body", "range must be an object {from, to, timezone} or {interval, timezone}")
        interval = range_.get("interval")
        if interval is not None and interval not in KEITARO_INTERVALS:
            raise field_error("body", "body", f"range.interval {interval!r}; allowed: {', '.join(KEITARO_INTERVALS)}")
        given = {k: range_.get(k) for k in ("from", "to", "timezone") if range_.get(k) is not None}
        try:
            PeriodArgs.model_validate(given)
        except ValidationError as exc:
            problem = exc.errors()[0]
            raise field_error("body", "body", f"range.{problem['loc'][0]}: {problem['msg']}") from None
        if interval is None and not (range_.get("from") and range_.get("to")):
            raise field_error("body", "body", "range needs interval, or from and to")
    filters = body.get("filters")
    if filters is not None:
        if not isinstance(filters, list) or not all(isinstance(f, dict) for f in filters):
            raise field_error("body", "body", "filters must be a list of {name, operator, expression}")
        for flt in filters:
            if str(flt.get("operator", "")).upper() not in OPERATORS:
                message = unknown_name("operator", str(flt.get("operator")), OPERATORS, OPERATORS_URI)
                raise field_error("body", "body", f"filters: {message}")


class ComparePeriods(_ReportArgs):
    """What changed between two periods: per-row values, change, %, rows new or gone."""

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


class DebugConversions(PeriodArgs):
    """Why conversions are missing: clicks, conversions, postback logs, where the chain broke."""

    sub_id: str | None = Field(default=None, min_length=1, max_length=100)
    """The click's subid."""
    campaign_id: CampaignId | None = None

    @model_validator(mode="after")
    def _one(self) -> DebugConversions:
        if (self.sub_id is None) == (self.campaign_id is None):
            raise field_error("sub_id", "target", "give sub_id or campaign_id (one of them)")
        return self


class _ExportTarget(Params):
    format: ExportFormat = "csv"
    file: str | None = None
    """Default: new file in KEITARO_EXPORT_DIR."""


class ExportReport(_ExportTarget, _ReportArgs):
    """Write a whole report to a local CSV/JSONL file; returns path, row count, preview."""


CLICK_EXPORT_COLUMNS = [
    "click_id", "sub_id", "datetime", "campaign_id", "stream_id", "offer_id", "landing_id", "ts_id", "country_code",
    "device_type", "os", "browser", "ip", "source", "keyword", "external_id", "is_bot", "is_unique_campaign",
    "is_lead", "is_sale", "cost", "revenue",
]  # fmt: skip


class ExportClicks(_ExportTarget, PeriodArgs):
    """Write the click log to a local CSV/JSONL file; returns path, row count, preview."""

    campaign_id: CampaignId | None = None
    columns: list[str] | None = None
    filters: Filters | None = None

    @field_validator("columns")
    @classmethod
    def _columns(cls, names: list[str] | None) -> list[str] | None:
        if names is None:
            return None
        return _check_names(names, (*DIMENSIONS, "event_id"), "column", DIMENSIONS_URI)

    @field_validator("filters")
    @classmethod
    def _filters(cls, items: list[Any] | None) -> list[Any] | None:
        return _check_filters(items)


# -- shared helpers -------------------------------------------------------------------------------------------


def _invalid(ctx: CallContext, message: str, fields: list[dict[str, str]]) -> Envelope:
    op = ctx.op
    info = ctx.client.request_info(op.method, ctx.client.base_url + op.path)
    envelope = error_envelope(info, op.resource, op.operation, "invalid_arguments", message)
    envelope["error"]["responseData"] = fields
    return envelope


async def _runtime_check(ctx: CallContext, dimensions: list[str], measures: list[str]) -> Envelope | None:
    """Refuse names the tracker's own catalogue does not list (when it has one)."""
    catalog = await runtime_catalog(ctx.client)
    if catalog is None:
        return None
    problems = [
        {"field": "dimensions", "problem": unknown_name("dimension", n, catalog.dimensions, "the tracker's catalogue")}
        for n in dimensions
        if n not in catalog.dimensions
    ] + [
        {"field": "measures", "problem": unknown_name("measure", n, catalog.measures, "the tracker's catalogue")}
        for n in measures
        if n not in catalog.measures
    ]
    if not problems:
        return None
    listed = "; ".join(f"{p['field']}: {p['problem']}" for p in problems)
    return _invalid(ctx, f"Invalid arguments for {ctx.op.name}: {listed}", problems)


def _default_sort(dimensions: list[str], measures: list[str]) -> list[dict[str, str]]:
    times = [d for d in dimensions if d in TIME_DIMENSIONS]
    if times:
        return [{"name": times[0], "order": "ASC"}]
    if measures:
        return [{"name": measures[0], "order": "DESC"}]
    return [{"name": dimensions[0], "order": "ASC"}] if dimensions else []


def _filters_body(filters: list[Any] | None) -> list[dict[str, Any]]:
    return [dict(f) for f in filters or []]


def _report_body(args: _ReportArgs, range_: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"range": range_, "dimensions": args.dimensions, "measures": args.measures}
    if args.filters:
        body["filters"] = _filters_body(args.filters)
    return body


def _numeric(columns: list[str], measures: list[str]) -> set[str]:
    return {c for c in columns if c in NUMERIC_DIMENSIONS} | set(measures)


def _summary(answer: dict[str, Any], measures: list[str]) -> dict[str, Any] | None:
    raw = answer.get("summary")
    if not isinstance(raw, dict):
        return None
    return {k: to_number(v) for k, v in raw.items() if v is not None and (k in measures or not measures)}


async def _post_report(ctx: CallContext, body: dict[str, Any], operation: str | None = None) -> Envelope:
    return await ctx.client.request(
        "POST", "/report/build", resource=ctx.op.resource, operation=operation or ctx.op.operation, body=body,
        retry=True,
    )  # fmt: skip


def _answer(envelope: Envelope) -> dict[str, Any]:
    data = envelope["data"]
    if isinstance(data, list):  # older builds may answer a bare array
        return {"rows": data, "total": len(data)}
    return data if isinstance(data, dict) else {"rows": []}


# -- build_report ---------------------------------------------------------------------------------------------


async def _build_report(ctx: CallContext, args: BuildReport) -> Envelope:
    if args.body is not None:
        return await _build_raw(ctx, args)
    problem = await _runtime_check(ctx, args.dimensions, args.measures)
    if problem is not None:
        return problem
    range_ = resolve_range(args, ctx.settings)
    body = _report_body(args, range_)
    sort = (
        [{"name": args.sort.lstrip("-"), "order": "DESC" if args.sort.startswith("-") else "ASC"}]
        if args.sort
        else _default_sort(args.dimensions, args.measures)
    )
    if sort:
        body["sort"] = sort
    body["limit"] = args.limit or DEFAULT_LIMIT
    if args.offset:
        body["offset"] = args.offset
    envelope = await _post_report(ctx, body)
    if not envelope["success"]:
        return envelope
    return _shape_report(envelope, args.dimensions, args.measures, range_, args.offset or 0)


def _shape_report(
    envelope: Envelope, dimensions: list[str], measures: list[str], range_: dict[str, Any], offset: int
) -> Envelope:
    answer = _answer(envelope)
    rows = [r for r in answer.get("rows") or [] if isinstance(r, dict)]
    columns = [*dimensions, *measures] or (list(rows[0]) if rows else [])
    data: dict[str, Any] = {"columns": columns, "rows": compact_rows(rows, columns, _numeric(columns, measures))}
    summary = _summary(answer, measures)
    if summary:
        data["summary"] = summary
    total = to_number(answer.get("total"))
    meta: dict[str, Any] = {"range": range_}
    if isinstance(total, int):
        meta["total"] = total
        if offset + len(rows) < total:
            meta["next_offset"] = offset + len(rows)
    envelope["data"] = data
    envelope["meta"] = meta
    envelope["count"] = len(rows)
    return envelope


async def _build_raw(ctx: CallContext, args: BuildReport) -> Envelope:
    assert args.body is not None
    body = dict(args.body)
    range_ = dict(body.get("range") or resolve_range(args, ctx.settings))
    # Keitaro's day boundaries depend on user settings without a timezone: always send one.
    range_.setdefault("timezone", zone_for(args, ctx.settings))
    body["range"] = range_
    envelope = await _post_report(ctx, body)
    if not envelope["success"]:
        return envelope
    dims = list(body.get("dimensions") or body.get("grouping") or [])
    measures = list(body.get("measures") or body.get("metrics") or [])
    raw_offset = body.get("offset")
    offset = raw_offset if isinstance(raw_offset, int) else 0
    return _shape_report(envelope, dims, measures, range_, offset)


# -- compare_periods ------------------------------------------------------------------------------------------


def _span_of(args: ComparePeriods, ctx: CallContext) -> tuple[date, date, str]:
    """Both periods are compared as explicit dates (so the two ranges sent are exact and comparable)."""
    tz = zone_for(args, ctx.settings)
    span = period_dates(args.period or "today", tz)
    assert span is not None  # all_time is refused by the model
    return span[0], span[1], tz


def _shift_months(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    for d in (day.day, 31, 30, 29, 28):
        try:
            return date(year, month + 1, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def _previous(args: ComparePeriods, start: date, end: date) -> tuple[date, date]:
    """The same length just before; weeks and months shift by one week or month (this_month 1-4 -> last month 1-4)."""
    if args.period in ("this_week", "first_day_of_this_week", "last_week"):
        return start - timedelta(days=7), end - timedelta(days=7)
    if args.period in ("this_month", "first_day_of_this_month"):
        return _shift_months(start, 1), _shift_months(end, 1)
    if args.period == "last_month":
        prev_end = start - timedelta(days=1)
        return prev_end.replace(day=1), prev_end
    length = (end - start).days + 1
    return start - timedelta(days=length), start - timedelta(days=1)


def _against_span(args: ComparePeriods, start: date, end: date, tz: str) -> tuple[date, date]:
    if args.against == "previous":
        return _previous(args, start, end)
    span = period_dates(args.against, tz)
    assert span is not None
    return span


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
    return await _post_report(ctx, {**body, "limit": COMPARE_ROWS})


async def _compare_periods(ctx: CallContext, args: ComparePeriods) -> Envelope:
    problem = await _runtime_check(ctx, args.dimensions, args.measures)
    if problem is not None:
        return problem
    start, end, tz = _span_of(args, ctx)
    b_start, b_end = _against_span(args, start, end, tz)
    now_range = {"from": start.isoformat(), "to": end.isoformat(), "timezone": tz}
    before_range = {"from": b_start.isoformat(), "to": b_end.isoformat(), "timezone": tz}
    dims, measures = args.dimensions, args.measures
    base = _report_body(args, now_range)
    sort = _default_sort(dims, measures)
    if sort:
        base["sort"] = sort
    current = await _fetch_all(ctx, base, f"{start}..{end}", 0, 2)
    if not current["success"]:
        return current
    previous = await _fetch_all(ctx, {**base, "range": before_range}, f"{b_start}..{b_end}", 1, 2)
    if not previous["success"]:
        return previous
    await ctx.progress(2, 2, "compared")
    now_answer, before_answer = _answer(current), _answer(previous)
    now_rows = {_key(r, dims): r for r in now_answer.get("rows") or [] if isinstance(r, dict)}
    before_rows = {_key(r, dims): r for r in before_answer.get("rows") or [] if isinstance(r, dict)}
    numeric = _numeric(dims, measures)
    columns = [*dims, "change"]
    for m in measures:
        columns += [m, f"{m}_before", f"{m}_diff", f"{m}_pct"]
    rows: list[list[Any]] = []
    for key in [*now_rows, *(k for k in before_rows if k not in now_rows)]:
        now, before = now_rows.get(key), before_rows.get(key)
        source = now or before or {}
        row: list[Any] = [to_number(source.get(d)) if d in numeric else source.get(d) for d in dims]
        row.append("new" if before is None else "gone" if now is None else None)
        for m in measures:
            a = to_number(now.get(m)) if now else 0
            b = to_number(before.get(m)) if before else 0
            row += [a, b, *_change(a, b)]
        rows.append(row)
    first = len(dims) + 3  # the first measure's diff

    def magnitude(row: list[Any]) -> float:
        value = row[first] if measures else 0
        return abs(value) if isinstance(value, int | float) else 0.0

    rows.sort(key=magnitude, reverse=True)
    total = len(rows)
    if args.limit:
        rows = rows[: args.limit]
    data: dict[str, Any] = {"columns": columns, "rows": rows}
    s_now, s_before = _summary(now_answer, measures), _summary(before_answer, measures)
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


# -- debug_conversions ----------------------------------------------------------------------------------------

CLICK_DEBUG_COLUMNS = ["sub_id", "datetime", "campaign_id", "campaign", "ts_id", "offer_id", "is_bot"]
CONVERSION_DEBUG_COLUMNS = ["sub_id", "conversion_id", "status", "revenue", "postback_datetime", "tid", "campaign_id"]
LOG_LIMIT = 200
DEBUG_ROWS = 20
_SUBID_IN_LOG = re.compile(r"subid[=\s\"']+([^&\s\"']+)", re.IGNORECASE)
_REFUSED = re.compile(r"not found|ignored|not allowed|unknown status|invalid", re.IGNORECASE)


async def _get(ctx: CallContext, path: str, query: dict[str, Any] | None = None) -> Envelope:
    return await ctx.client.request(
        "GET", path, resource=ctx.op.resource, operation=ctx.op.operation, query=query, retry=True
    )


async def _log_query(ctx: CallContext, path: str, body: dict[str, Any]) -> Envelope:
    return await ctx.client.request(
        "POST", path, resource=ctx.op.resource, operation=ctx.op.operation, body=body, retry=True
    )


def _rows(envelope: Envelope) -> list[dict[str, Any]]:
    return [r for r in _answer(envelope).get("rows") or [] if isinstance(r, dict)]


_POSTBACK_KEY_IN_URL = re.compile(r"/[^/\s?]+/postback")


def _lines(envelope: Envelope) -> list[str]:
    """Log lines, oldest first (Keitaro lists newest first); the postback key in logged URLs is masked."""
    data = envelope["data"] if envelope["success"] else None
    if not isinstance(data, list):
        return []
    lines = [f"{r.get('datetime', '')} {r.get('message', '')}".strip()[:300] for r in data if isinstance(r, dict)]
    return [_POSTBACK_KEY_IN_URL.sub("/***/postback", line) for line in reversed(lines)]


def _postbacks(lines: list[str]) -> list[list[str]]:
    """Received-postback log lines grouped per postback (each starts with "Received postback")."""
    groups: list[list[str]] = []
    for line in lines:
        if "received postback" in line.lower() or not groups:
            groups.append([])
        groups[-1].append(line)
    return groups


def _mentions(line: str, sub_ids: set[str]) -> bool:
    found = _SUBID_IN_LOG.findall(line)
    return any(s in sub_ids for s in found) or any(f'"{s}"' in line or f"subid {s}" in line for s in sub_ids)


async def _debug_conversions(ctx: CallContext, args: DebugConversions) -> Envelope:
    steps = 5
    if args.sub_id is not None:
        # A click can be old: without an explicit period, look at all time.
        range_ = resolve_range(args, ctx.settings, default="all_time")
        flt: list[dict[str, Any]] = [{"name": "sub_id", "operator": "EQUALS", "expression": args.sub_id}]
    else:
        range_ = resolve_range(args, ctx.settings, default="7_days_ago")
        flt = [{"name": "campaign_id", "operator": "EQUALS", "expression": args.campaign_id}]
    await ctx.progress(0, steps, "clicks")
    clicks = await _log_query(
        ctx, "/clicks/log",
        {"range": range_, "columns": CLICK_DEBUG_COLUMNS, "filters": flt, "limit": DEBUG_ROWS,
         "sort": [{"name": "datetime", "order": "DESC"}]},
    )  # fmt: skip
    if not clicks["success"]:
        return clicks
    await ctx.progress(1, steps, "conversions")
    # Conversions of this click whenever they arrived (the conversion log filters by postback time).
    all_time = {"interval": "all_time", "timezone": range_["timezone"]}
    conversions = await _log_query(
        ctx, "/conversions/log",
        {"range": all_time if args.sub_id else range_, "columns": CONVERSION_DEBUG_COLUMNS, "filters": flt,
         "limit": DEBUG_ROWS, "sort": [{"name": "postback_datetime", "order": "DESC"}]},
    )  # fmt: skip
    if not conversions["success"]:
        return conversions
    await ctx.progress(2, steps, "postback logs")
    # The recent log groups each postback with the lines after it ("Unknown status ... ignored" names no subid);
    # a search by subid finds older ones.
    recent = _lines(await _get(ctx, "/logs/postbacks", {"limit": LOG_LIMIT}))
    found = (
        _lines(await _get(ctx, "/logs/postbacks", {"limit": LOG_LIMIT, "query": args.sub_id})) if args.sub_id else []
    )
    sent = await _get(ctx, "/logs/sent_postbacks", {"limit": LOG_LIMIT, **_q(args.sub_id)})
    click_rows, conv_rows = _rows(clicks), _rows(conversions)
    await ctx.progress(3, steps, "S2S postback settings")
    s2s = await _s2s_targets(ctx, args.campaign_id, click_rows)
    await ctx.progress(steps, steps, "done")
    sub_ids = {str(r.get("sub_id")) for r in [*click_rows, *conv_rows] if r.get("sub_id")}
    if args.sub_id is not None:
        sub_ids.add(args.sub_id)
    groups = _postbacks(recent)
    ours = [g for g in groups if any(_mentions(line, sub_ids) for line in g)]
    mine = list(dict.fromkeys([*(line for line in found if _mentions(line, sub_ids)), *(x for g in ours for x in g)]))
    refused = [line for line in mine if _REFUSED.search(line)]
    unmatched = [
        line for g in groups if g not in ours for line in g if "subid not found" in line.lower()
    ]  # fmt: skip
    sent_mine = [line for line in _lines(sent) if _mentions(line, sub_ids)]
    click_total = to_number(_answer(clicks).get("total"))
    conv_total = to_number(_answer(conversions).get("total"))
    verdict, explanation = _verdict(
        clicks=click_total if isinstance(click_total, int) else len(click_rows),
        conversions=conv_total if isinstance(conv_total, int) else len(conv_rows),
        received=len(mine), refused=refused, unmatched=len(unmatched), sent=len(sent_mine), s2s=bool(s2s),
        sent_log=sent["success"], target=f"sub_id {args.sub_id}" if args.sub_id else "the campaign in this period",
    )  # fmt: skip
    data = {
        "verdict": verdict,
        "explanation": explanation,
        "clicks": _table(click_rows, CLICK_DEBUG_COLUMNS),
        "conversions": _table(conv_rows, CONVERSION_DEBUG_COLUMNS),
        "received_postbacks": mine[:DEBUG_ROWS],
        "unmatched_postbacks": unmatched[:5],
        "sent_postbacks": sent_mine[:DEBUG_ROWS],
        "s2s_postbacks": s2s,
    }
    envelope = clicks
    envelope["data"] = data
    envelope["meta"] = {
        "range": range_,
        "counts": {"clicks": click_total, "conversions": conv_total, "received": len(mine), "sent": len(sent_mine)},
    }
    return envelope


def _q(sub_id: str | None) -> dict[str, str]:
    return {"query": sub_id} if sub_id else {}


async def _s2s_targets(ctx: CallContext, campaign_id: int | None, clicks: list[dict[str, Any]]) -> list[str]:
    """The S2S postback URLs that should fire: the campaign's, else its traffic source's."""
    cid = campaign_id or (to_number(clicks[0].get("campaign_id")) if clicks else None)
    if not isinstance(cid, int):
        return []
    got = await _get(ctx, f"/campaigns/{cid}")
    campaign = got["data"] if got["success"] and isinstance(got["data"], dict) else {}
    urls = [f"{p.get('url')} ({','.join(p.get('statuses') or [])})" for p in campaign.get("postbacks") or []]
    if urls:
        return urls
    ts_id = to_number(clicks[0].get("ts_id")) if clicks else to_number(campaign.get("traffic_source_id"))
    if not isinstance(ts_id, int) or ts_id < 1:
        return []
    source = await _get(ctx, f"/traffic_sources/{ts_id}")
    doc = source["data"] if source["success"] and isinstance(source["data"], dict) else {}
    url = doc.get("postback_url")
    return [f"{url} ({','.join(doc.get('postback_statuses') or [])}) [traffic source]"] if url else []


def _table(rows: list[dict[str, Any]], columns: list[str]) -> dict[str, Any]:
    return {"columns": columns, "rows": compact_rows(rows, columns, _numeric(columns, ["revenue"]))}


def _verdict(
    *, clicks: int, conversions: int, received: int, refused: list[str], unmatched: int, sent: int, s2s: bool,
    sent_log: bool, target: str,
) -> tuple[str, str]:  # fmt: skip
    if not clicks:
        return "no_clicks", (
            f"No click for {target}: the visitor never reached the tracker through this campaign, or the subid "
            "passed to the offer is not the click's {subid}."
        )
    if not conversions and not received:
        extra = f" {unmatched} other postback(s) named a subid the tracker does not know." if unmatched else ""
        return "no_postback_received", (
            "Clicks exist but no postback for them reached the tracker: check the postback URL at the affiliate "
            f"network (https://<tracker>/<postback_key>/postback?subid={{subid}}&status=...).{extra}"
        )
    if not conversions:
        why = f" The log says: {refused[0]}" if refused else ""
        return "postback_not_matched", (
            "Postbacks arrived but no conversion was recorded (subid not found, status ignored or unknown, or a "
            f"transition not allowed).{why}"
        )
    if sent:
        return "ok", "Clicks, conversions and the postbacks to the traffic source line up."
    if s2s and sent_log:
        return "not_sent_to_source", (
            "Conversions are recorded but no postback to the traffic source appears in the sent postbacks log: check "
            "the S2S postback URL and its statuses (only the listed statuses are sent)."
        )
    return "ok_no_s2s", "Conversions are recorded; no S2S postback to the traffic source is configured."


# -- exports --------------------------------------------------------------------------------------------------

PREVIEW_ROWS = 5


def _export_path(ctx: CallContext, args: _ExportTarget, stem: str) -> Path | str:
    """A new, writable file (never overwrites); a message when it cannot be written."""
    root = Path(ctx.settings.export_dir or Path.cwd() / "keitaro-exports").expanduser()
    if args.file:
        path = Path(args.file).expanduser()
        path = path if path.is_absolute() else root / path
        if path.suffix.lower() not in (".csv", ".jsonl", ".json", ".txt"):
            path = path.with_name(path.name + f".{args.format}")
    else:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        path = root / f"{stem}-{stamp}.{args.format}"
    path = path.resolve()
    if path.exists():
        if args.file:
            return f"file: {path} already exists; give a new name (exports never overwrite)"
        n = 2
        while path.with_name(f"{path.stem}-{n}{path.suffix}").exists():
            n += 1
        path = path.with_name(f"{path.stem}-{n}{path.suffix}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8"):
            pass
    except OSError as exc:
        return f"file: cannot write {path}: {exc.strerror or exc}; give a writable file or set KEITARO_EXPORT_DIR"
    return path


class _Writer:
    """Streams rows to CSV or JSON Lines; keeps only the preview in memory."""

    def __init__(self, path: Path, fmt: ExportFormat, columns: list[str], numeric: set[str]) -> None:
        self.file = path.open("w", encoding="utf-8", newline="")
        self.fmt = fmt
        self.columns = columns
        self.numeric = numeric
        self.rows = 0
        self.preview: list[list[Any]] = []
        self._csv = csv.writer(self.file) if fmt == "csv" else None
        self._get = operator.itemgetter(*columns)
        self._numeric_at = [i for i, c in enumerate(columns) if c in numeric]
        if self._csv is not None:
            self._csv.writerow(columns)

    def write(self, rows: list[dict[str, Any]]) -> None:
        values = self._values(rows)
        if len(self.preview) < PREVIEW_ROWS:
            self.preview.extend(list(v) for v in values[: PREVIEW_ROWS - len(self.preview)])
        if self._csv is not None:
            self._csv.writerows(values)
        else:
            dumps = json.dumps
            cols = self.columns
            self.file.write("".join(dumps(dict(zip(cols, v, strict=True)), ensure_ascii=False) + "\n" for v in values))
        self.rows += len(values)

    def _values(self, rows: list[dict[str, Any]]) -> list[Any]:
        """Rows as tuples in column order (C-speed itemgetter); numeric columns converted only where a page has
        numbers as strings."""
        try:
            values: list[Any] = (
                [self._get(r) for r in rows] if len(self.columns) > 1 else [(r[self.columns[0]],) for r in rows]
            )
        except KeyError:
            return compact_rows(rows, self.columns, self.numeric)
        stringly = [i for i in self._numeric_at if any(type(v[i]) is str for v in values)]
        if stringly:
            values = [list(v) for v in values]
            for v in values:
                for i in stringly:
                    v[i] = to_number(v[i])
        return values

    def close(self) -> None:
        self.file.close()


def _next_page(
    body: dict[str, Any], rows: list[dict[str, Any]], page: int, total: int | None, done: int, key: str | None
) -> dict[str, Any] | None:
    """The next page's body, or None after the last page. With `key` (click_id) pages are keyed: `key > last`
    costs the tracker one page each time, where a deep offset makes it walk every row before it."""
    if len(rows) < page or (total is not None and done >= total and key is None):
        return None
    if key is not None:
        last = rows[-1].get(key)
        if last is None:
            return None
        keyed = [*body.get("filters", []), {"name": key, "operator": "GREATER_THAN", "expression": last}]
        return {**body, "filters": keyed}
    return {**body, "offset": done}


GC_EVERY_PAGES = 4
"""A full collection costs tens of milliseconds on a large heap; every 4th page keeps memory flat at a few more MB."""


async def _export(
    ctx: CallContext, args: _ExportTarget, stem: str, api_path: str, body: dict[str, Any], columns: list[str],
    numeric: set[str], page: int, key: str | None = None,
) -> Envelope:  # fmt: skip
    target = _export_path(ctx, args, stem)
    if isinstance(target, str):
        return _invalid(ctx, f"Invalid arguments for {ctx.op.name}: {target}", [{"field": "file", "problem": target}])
    writer = _Writer(target, args.format, columns, numeric)
    first = {**body, "limit": page} if key else {**body, "limit": page, "offset": 0}
    fetched: dict[str, Envelope] = {}

    async def fetch(next_body: dict[str, Any]) -> None:
        fetched["next"] = await _log_query(ctx, api_path, next_body)

    envelope = await _log_query(ctx, api_path, first)
    total: int | None = None
    pages = 0
    try:
        while envelope["success"]:
            answer = _answer(envelope)
            rows = [r for r in answer.get("rows") or [] if isinstance(r, dict)]
            if total is None:
                count = to_number(answer.get("total"))
                total = count if isinstance(count, int) else None
            nxt = _next_page(first, rows, page, total, writer.rows + len(rows), key)
            # The next page is fetched while this one is written (bounded: one page in flight, one being written).
            async with anyio.create_task_group() as tg:
                if nxt is not None:
                    tg.start_soon(fetch, nxt)
                await anyio.to_thread.run_sync(writer.write, rows)
            await ctx.progress(writer.rows, total, f"{writer.rows} rows written")
            if nxt is None:
                break
            envelope = fetched.pop("next")
            # httpx keeps each response in a reference cycle (response <-> stream) with its multi-MB body; only the
            # cyclic collector frees it, so collect once per page to keep memory flat over millions of rows.
            del answer, rows
            pages += 1
            if pages % GC_EVERY_PAGES == 0:
                gc.collect()
    finally:
        writer.close()
    if not envelope["success"]:
        target.unlink(missing_ok=True)
        return envelope
    envelope["data"] = {
        "path": str(target),
        "format": args.format,
        "rows": writer.rows,
        "bytes": os.path.getsize(target),
        "columns": columns,
        "preview": writer.preview,
    }
    envelope["meta"] = {"range": body["range"]}
    return envelope


async def _export_report(ctx: CallContext, args: ExportReport) -> Envelope:
    problem = await _runtime_check(ctx, args.dimensions, args.measures)
    if problem is not None:
        return problem
    body = _report_body(args, resolve_range(args, ctx.settings))
    sort = _default_sort(args.dimensions, args.measures)
    if sort:
        body["sort"] = sort
    columns = [*args.dimensions, *args.measures]
    numeric = _numeric(columns, args.measures)
    return await _export(ctx, args, "report", "/report/build", body, columns, numeric, REPORT_PAGE)


async def _export_clicks(ctx: CallContext, args: ExportClicks) -> Envelope:
    columns = args.columns or CLICK_EXPORT_COLUMNS
    filters = _filters_body(args.filters)
    if args.campaign_id is not None:
        filters.insert(0, {"name": "campaign_id", "operator": "EQUALS", "expression": args.campaign_id})
    # Pages keyed by click_id in ascending order: none skipped or repeated, each page as cheap as the first.
    wanted = columns if "click_id" in columns else [*columns, "click_id"]
    body: dict[str, Any] = {"range": resolve_range(args, ctx.settings), "columns": wanted}
    if filters:
        body["filters"] = filters
    body["sort"] = [{"name": "click_id", "order": "ASC"}]
    numeric = {c for c in columns if c in NUMERIC_DIMENSIONS or c in ("click_id", "event_id")}
    return await _export(ctx, args, "clicks", "/clicks/log", body, columns, numeric, CLICK_PAGE, key="click_id")


# -- entries --------------------------------------------------------------------------------------------------


def _report_op(name: str, resource: str, operation: str, path: str, params: type[BaseModel], title: str,
               handler: Any) -> Operation:  # fmt: skip
    return Operation(
        name=name, resource=resource, operation=operation, method="POST", path=path, params=params,
        toolset="reports", read_only=True, destructive=False, idempotent=True, title=title, handler=handler,
    )  # fmt: skip


OPERATIONS = (
    _report_op("build_report", "stats", "getAll", "/report/build", BuildReport, "Build report", _build_report),
    _report_op("compare_periods", "stats", "compare", "/report/build", ComparePeriods, "Compare periods",
               _compare_periods),
    _report_op("debug_conversions", "conversion", "debug", "/conversions/log", DebugConversions,
               "Debug missing conversions", _debug_conversions),
    _report_op("export_report", "stats", "export", "/report/build", ExportReport, "Export report to file",
               _export_report),
    _report_op("export_clicks", "click", "export", "/clicks/log", ExportClicks, "Export clicks to file",
               _export_clicks),
)  # fmt: skip
