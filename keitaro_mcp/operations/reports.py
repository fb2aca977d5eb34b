"""build_report, and what every report tool shares: the report arguments, their filters, the request body.

Every report goes through `POST /report/build` (a read) in the current dialect (`dimensions`/`measures`, reference
§5.1) with an explicit timezone. Names are checked against the catalogue first (report_catalog.py), periods come
from periods.py, and answers are compact tables (compact.py): `data: {columns, rows, summary}`. Period comparison,
conversion debugging and exports build on these pieces in their own modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from keitaro_mcp.compact import compact_rows, to_number
from keitaro_mcp.envelope import Envelope
from keitaro_mcp.operations._common import Limit, Offset, Params, Sort, sort_body
from keitaro_mcp.periods import KEITARO_INTERVALS, PeriodArgs, field_error, resolve_range, zone_for
from keitaro_mcp.registry import Handler, Operation
from keitaro_mcp.report_catalog import (
    DIMENSIONS,
    DIMENSIONS_URI,
    MAX_DIMENSIONS,
    MAX_FILTERS,
    MAX_MEASURES,
    MEASURES,
    NUMERIC_DIMENSIONS,
    OPERATORS,
    check_expression,
    check_names,
    runtime_catalog,
    unknown_name,
    unknown_names,
)

if TYPE_CHECKING:
    from keitaro_mcp.context import CallContext

__all__ = [
    "DEFAULT_MEASURES",
    "DIMENSIONS_URI",
    "OPERATIONS",
    "BuildReport",
    "Filters",
    "ReportArgs",
    "ReportFilter",
    "answer_of",
    "check_filters",
    "check_names",
    "default_sort",
    "filters_body",
    "numeric_columns",
    "report_body",
    "report_op",
    "runtime_check",
    "summary_of",
]

M = TypeVar("M", bound=BaseModel)

DEFAULT_MEASURES = ["clicks", "campaign_unique_clicks", "conversions", "revenue", "cost", "profit", "roi"]
DEFAULT_LIMIT = 500
"""Rows asked for when no limit is given; the result budget cuts further (meta.next_offset continues)."""
TIME_DIMENSIONS = ("day", "hour", "day_hour", "datetime", "week", "month", "year", "weekday")
MEASURES_URI = "keitaro://catalog/measures"
OPERATORS_URI = "keitaro://catalog/operators"


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
FILTER_ITEM = {"type": "array", "prefixItems": [{"type": "string"}, {"type": "string"}]}
"""A filter as the schema publishes it: [name, OPERATOR] or [name, OPERATOR, value]. n8n's {name, operator,
expression} objects are accepted too, unadvertised (check_filters)."""
Filters = Annotated[list[Any], Field(description=FILTERS_DOC, json_schema_extra={"items": FILTER_ITEM})]


def check_filters(items: list[Any] | None) -> list[Any] | None:
    """[name, OPERATOR, value] triples (or n8n's {name, operator, expression}) -> checked filter objects."""
    if items is None:
        return None
    if len(items) > MAX_FILTERS:
        raise PydanticCustomError("too_many", "{n} filters; at most {cap}", {"n": len(items), "cap": MAX_FILTERS})
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


class ReportArgs(PeriodArgs):
    dimensions: list[str] = Field(default_factory=list)
    """e.g. campaign, day, country_code. keitaro://catalog/dimensions"""
    measures: list[str] = Field(default_factory=lambda: list(DEFAULT_MEASURES))
    """Default: clicks, campaign_unique_clicks, conversions, revenue, cost, profit, roi. keitaro://catalog/measures"""
    filters: Filters | None = None

    @field_validator("dimensions")
    @classmethod
    def _dimensions(cls, names: list[str]) -> list[str]:
        return check_names(names, DIMENSIONS, "dimension", DIMENSIONS_URI, MAX_DIMENSIONS)

    @field_validator("measures")
    @classmethod
    def _measures(cls, names: list[str]) -> list[str]:
        return check_names(names, MEASURES, "measure", MEASURES_URI, MAX_MEASURES)

    @field_validator("filters")
    @classmethod
    def _filters(cls, items: list[Any] | None) -> list[Any] | None:
        return check_filters(items)

    @model_validator(mode="after")
    def _some_column(self) -> ReportArgs:
        # Found by the fuzzer: a report with neither dimensions nor measures has no column to show or export.
        if not self.dimensions and not self.measures and getattr(self, "body", None) is None:
            raise ValueError("measures: give at least one measure (or a dimension); e.g. clicks, revenue")
        return self


_BODY_KEYS = frozenset(
    {"range", "dimensions", "measures", "grouping", "metrics", "columns", "filters", "sort", "limit", "offset",
     "summary"}
)  # fmt: skip


class BuildReport(ReportArgs):
    """Keitaro report (dimensions x measures over a period): rows plus totals. Reading: keitaro://catalog/reports"""

    sort: Sort | None = None
    """Column, -column for descending; default time, else -first measure."""
    limit: Limit | None = None
    offset: Offset | None = None
    body: dict[str, Any] | None = None
    """Raw /report/build body (n8n); replaces the rest."""

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


# -- shared helpers -------------------------------------------------------------------------------------------


async def runtime_check(ctx: CallContext, dimensions: list[str], measures: list[str]) -> Envelope | None:
    """Refuse names the tracker's own catalogue does not list (when it has one)."""
    catalog = await runtime_catalog(ctx)
    if catalog is None:
        return None
    where = "the tracker's catalogue"
    problems = [
        {"field": "dimensions", "problem": p} for p in unknown_names("dimension", dimensions, catalog.dimensions, where)
    ] + [{"field": "measures", "problem": p} for p in unknown_names("measure", measures, catalog.measures, where)]
    if not problems:
        return None
    listed = "; ".join(f"{p['field']}: {p['problem']}" for p in problems)
    return ctx.invalid(f"Invalid arguments for {ctx.op.name}: {listed}", problems)


def default_sort(dimensions: list[str], measures: list[str]) -> list[dict[str, str]]:
    times = [d for d in dimensions if d in TIME_DIMENSIONS]
    if times:
        return [{"name": times[0], "order": "ASC"}]
    if measures:
        return [{"name": measures[0], "order": "DESC"}]
    return [{"name": dimensions[0], "order": "ASC"}] if dimensions else []


def filters_body(filters: list[Any] | None) -> list[dict[str, Any]]:
    return [dict(f) for f in filters or []]


def report_body(args: ReportArgs, range_: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"range": range_, "dimensions": args.dimensions, "measures": args.measures}
    if args.filters:
        body["filters"] = filters_body(args.filters)
    return body


def numeric_columns(columns: list[str], measures: list[str]) -> set[str]:
    return {c for c in columns if c in NUMERIC_DIMENSIONS} | set(measures)


def summary_of(answer: dict[str, Any], measures: list[str]) -> dict[str, Any] | None:
    raw = answer.get("summary")
    if not isinstance(raw, dict):
        return None
    return {k: to_number(v) for k, v in raw.items() if v is not None and (k in measures or not measures)}


def answer_of(envelope: Envelope) -> dict[str, Any]:
    data = envelope["data"]
    if isinstance(data, list):  # older builds may answer a bare array
        return {"rows": data, "total": len(data)}
    return data if isinstance(data, dict) else {"rows": []}


# -- build_report ---------------------------------------------------------------------------------------------


async def _build_report(ctx: CallContext, args: BuildReport) -> Envelope:
    if args.body is not None:
        return await _build_raw(ctx, args)
    problem = await runtime_check(ctx, args.dimensions, args.measures)
    if problem is not None:
        return problem
    range_ = resolve_range(args, ctx.tracker)
    body = report_body(args, range_)
    sort = sort_body(args.sort) if args.sort else default_sort(args.dimensions, args.measures)
    if sort:
        body["sort"] = sort
    body["limit"] = args.limit or DEFAULT_LIMIT
    if args.offset:
        body["offset"] = args.offset
    envelope = await ctx.post("/report/build", body)
    if not envelope["success"]:
        return envelope
    return _shape_report(envelope, args.dimensions, args.measures, range_, args.offset or 0)


def _shape_report(
    envelope: Envelope, dimensions: list[str], measures: list[str], range_: dict[str, Any], offset: int
) -> Envelope:
    answer = answer_of(envelope)
    rows = [r for r in answer.get("rows") or [] if isinstance(r, dict)]
    columns = [*dimensions, *measures] or (list(rows[0]) if rows else [])
    data: dict[str, Any] = {"columns": columns, "rows": compact_rows(rows, columns, numeric_columns(columns, measures))}
    summary = summary_of(answer, measures)
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
    range_ = dict(body.get("range") or resolve_range(args, ctx.tracker))
    # Keitaro's day boundaries depend on user settings without a timezone: always send one.
    range_.setdefault("timezone", zone_for(args, ctx.tracker))
    body["range"] = range_
    envelope = await ctx.post("/report/build", body)
    if not envelope["success"]:
        return envelope
    dims = list(body.get("dimensions") or body.get("grouping") or [])
    measures = list(body.get("measures") or body.get("metrics") or [])
    raw_offset = body.get("offset")
    offset = raw_offset if isinstance(raw_offset, int) else 0
    return _shape_report(envelope, dims, measures, range_, offset)


# -- entries --------------------------------------------------------------------------------------------------


def report_op(
    *,
    name: str,
    resource: str,
    operation: str,
    path: str,
    params: type[M],
    title: str,
    handler: Handler[M],
    effect: Literal["read", "export"] = "read",
) -> Operation[M]:
    """A report tool: a POST read (reports and logs are reads), in the reports toolset; an export also writes a new
    local file."""
    return Operation(
        name=name, resource=resource, operation=operation, method="POST", path=path, params=params,
        toolset="reports", effect=effect, idempotent=effect == "read", title=title, handler=handler,
    )  # fmt: skip


OPERATIONS = (
    report_op(name="build_report", resource="stats", operation="getAll", path="/report/build", params=BuildReport,
              title="Build report", handler=_build_report),
)  # fmt: skip
