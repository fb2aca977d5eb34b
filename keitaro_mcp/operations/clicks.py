"""Clicks: the click log, a click's conversion and cost, bulk costs, and wiping stats.

Keitaro has no click resource to update (`PUT /clicks/{id}` does not exist): a click's conversion changes through
the tracker postback keyed by its sub_id, and its cost through `POST /clicks/update_costs`, whose filters can only
name traffic values (sub_id_N, external_id, source, ...), never the click itself. `update_click` composes those.
The helpers here (report filters, the log request) are shared with conversions.py.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from keitaro_mcp.compact import DEFAULT_MAX_TOKENS, compact_rows
from keitaro_mcp.envelope import Envelope, read_failed
from keitaro_mcp.operations._common import (
    CampaignId,
    CountryCode,
    Currency,
    DateTimeMinute,
    FlowId,
    LandingId,
    Limit,
    OfferId,
    Offset,
    Params,
    Sort,
    Text,
    Timezone,
    check_date_order,
    sort_body,
)
from keitaro_mcp.operations._counts import Traffic, campaigns_text, period_text, traffic
from keitaro_mcp.operations._entity import operation_factory
from keitaro_mcp.operations.campaigns import ConversionStatus
from keitaro_mcp.periods import PeriodArgs, resolve_range
from keitaro_mcp.postback import postback_params, send_postback
from keitaro_mcp.registry import Impact, RequestParts, Shaped
from keitaro_mcp.report_catalog import (
    CLICK_LOG_COLUMNS,
    DIMENSIONS_URI,
    MAX_COLUMNS,
    MEASURES,
    NUMERIC_DIMENSIONS,
    check_names,
)

if TYPE_CHECKING:
    from keitaro_mcp.context import CallContext
    from keitaro_mcp.tracker import Tracker

__all__ = [
    "DEFAULT_LIMIT",
    "OPERATIONS",
    "LogArgs",
    "SubIds",
    "equals_filters",
    "flag_filter",
    "log_request",
    "log_rows",
    "report_filter",
]

DEFAULT_LIMIT = 100
ALL_TIME = {"interval": "all_time", "timezone": "UTC"}

_SUB_ID_KEY = re.compile(r"^sub_id_([1-9]|[12][0-9]|30)$")


def _sub_id_keys(value: dict[str, str]) -> dict[str, str]:
    bad = [key for key in value if not _SUB_ID_KEY.match(key)]
    if bad:
        raise ValueError(f"unknown key(s) {', '.join(bad)}; allowed sub_id_1..sub_id_30")
    return value


SubIds = Annotated[dict[str, str], AfterValidator(_sub_id_keys)]

CLICK_COLUMNS = (
    "sub_id", "datetime", "campaign_id", "offer_id", "country_code", "is_bot", "is_lead", "is_sale", "revenue", "cost",
)  # fmt: skip
"""What a person scans a click by (20 clicks in under 1,000 tokens); stream_id, landing_id, ip, is_unique_campaign
and the rest of the catalogue on demand (`columns`)."""
COST_TARGET_KEYS = (
    "external_id", *(f"sub_id_{i}" for i in range(1, 16)), "creative_id", "ad_campaign_id", "keyword", "source",
)  # fmt: skip
"""Click values that `POST /clicks/update_costs` filters can name (FilterCostRequest; sub_id_1..15 in the spec)."""


def report_filter(name: str, operator: str, expression: Any = None) -> dict[str, Any]:
    """Keitaro's report/log filter `{name, operator, expression}` (reference §5.2)."""
    entry: dict[str, Any] = {"name": name, "operator": operator}
    if expression is not None:
        entry["expression"] = expression
    return entry


def flag_filter(name: str, value: bool) -> dict[str, Any]:
    return report_filter(name, "IS_TRUE" if value else "IS_FALSE")


def equals_filters(pairs: dict[str, Any]) -> list[dict[str, Any]]:
    return [report_filter(name, "EQUALS", value) for name, value in pairs.items() if value is not None]


class LogArgs(Params, PeriodArgs):
    """Shared arguments of the click and conversion logs (period, paging, columns)."""

    LOG_COLUMNS: ClassVar[tuple[str, ...]] = CLICK_LOG_COLUMNS
    DEFAULT_COLUMNS: ClassVar[tuple[str, ...]] = ()
    """What a log shows when `columns` is not given."""
    columns: list[str] | None = None
    """Default: a compact set."""
    limit: Limit | None = None
    offset: Offset | None = None

    @field_validator("columns")
    @classmethod
    def _columns(cls, names: list[str] | None) -> list[str] | None:
        return None if names is None else check_names(names, cls.LOG_COLUMNS, "column", DIMENSIONS_URI, MAX_COLUMNS)


MIN_CELL_TOKENS = 3
"""The fewest cl100k tokens one cell of a log row costs in a result (`"ip":"1.2.3.4",` is more): rows beyond
budget / (cells x this) could never be shown."""


def page_size(args: LogArgs) -> int:
    """Rows one log call shows: the limit asked for (default DEFAULT_LIMIT), never more than the result budget could
    show of rows this wide. A period alone no longer fetches the whole period (300k clicks for 43 rows shown)."""
    cells = len(args.columns or args.DEFAULT_COLUMNS) or 1
    fits = max(1, DEFAULT_MAX_TOKENS // (MIN_CELL_TOKENS * cells + 2))
    return min(args.limit or DEFAULT_LIMIT, fits)


def log_request(
    args: LogArgs, tracker: Tracker, *, filters: list[dict[str, Any]], sort: str, what: str
) -> RequestParts:
    """A log query's body (`/clicks/log`, `/conversions/log`): the page shown plus one row, to know whether more
    exist; meta says the range sent, or that the default limit applied."""
    body: dict[str, Any] = {}
    meta: dict[str, Any] = {}
    if args.has_period():
        body["range"] = meta["range"] = resolve_range(args, tracker)
    if args.limit is None:
        meta["notes"] = [f"The latest {DEFAULT_LIMIT} {what} unless limit is given (offset pages on)."]
    body["columns"] = list(args.columns or args.DEFAULT_COLUMNS)
    if filters:
        body["filters"] = filters
    body["sort"] = sort_body(sort)
    body["limit"] = page_size(args) + 1
    if args.offset is not None:
        body["offset"] = args.offset
    return RequestParts(body=body, meta=meta or None)


def log_rows(answer: Any, args: LogArgs) -> Shaped:
    """A log answer as a report is: `{columns, rows}` in the columns asked for (the names said once, not in every
    row), numbers as numbers; meta.total is Keitaro's total, meta.next_offset continues when the extra row came
    back."""
    rows = answer.get("rows", []) if isinstance(answer, dict) else answer
    rows = rows if isinstance(rows, list) else []
    meta = {"total": answer["total"]} if isinstance(answer, dict) and "total" in answer else {}
    page = page_size(args)
    if len(rows) > page:
        rows = rows[:page]
        meta |= {"truncated": True, "next_offset": (args.offset or 0) + page}
    columns = list(args.columns or type(args).DEFAULT_COLUMNS)
    objects = [r for r in rows if isinstance(r, dict)]
    numeric = {c for c in columns if c in NUMERIC_DIMENSIONS or c in MEASURES}
    return Shaped({"columns": columns, "rows": compact_rows(objects, columns, numeric)}, meta)


# -- list_clicks ----------------------------------------------------------------------------------------------------


class ListClicks(LogArgs):
    """Click log, newest first; 100 rows unless limit is given."""

    DEFAULT_COLUMNS = CLICK_COLUMNS

    campaign_id: CampaignId | None = None
    flow_id: FlowId | None = None
    landing_id: LandingId | None = None
    offer_id: OfferId | None = None
    country_code: CountryCode | None = None
    ip: str | None = None
    sub_id: str | None = None
    is_bot: bool | None = None
    is_unique: bool | None = None
    conversion: Literal["lead", "sale", "rejected", "none"] | None = None
    sub_ids: SubIds | None = None
    """Keys sub_id_1..30, string values."""
    sort: Sort | None = None
    """Default -datetime."""


def click_filters(args: ListClicks) -> list[dict[str, Any]]:
    filters = equals_filters(
        {
            "campaign_id": args.campaign_id,
            "stream_id": args.flow_id,
            "landing_id": args.landing_id,
            "offer_id": args.offer_id,
            "country_code": args.country_code,
            "ip": args.ip,
            "sub_id": args.sub_id,
            **(args.sub_ids or {}),
        }
    )
    for name, flag in (("is_bot", args.is_bot), ("is_unique_campaign", args.is_unique)):
        if flag is not None:
            filters.append(flag_filter(name, flag))
    # The click log has one flag per conversion status (is_lead, is_sale, is_rejected) and ANDs its filters, so
    # "has a conversion" is asked per status; "none" is all three false.
    if args.conversion == "none":
        filters += [flag_filter(name, False) for name in ("is_lead", "is_sale", "is_rejected")]
    elif args.conversion is not None:
        filters.append(flag_filter(f"is_{args.conversion}", True))
    return filters


def _list_clicks(args: ListClicks, tracker: Tracker) -> RequestParts:
    return log_request(args, tracker, filters=click_filters(args), sort=args.sort or "-datetime", what="clicks")


# -- update_click ---------------------------------------------------------------------------------------------------


class UpdateClick(Params):
    """Set one click's cost (needs a sub_id_N/external_id unique in its minute); status changes its conversion as
    update_conversion does."""

    sub_id: Text
    status: ConversionStatus | None = None
    payout: float | None = Field(default=None, ge=0)
    tid: str | None = None
    cost: float | None = Field(default=None, ge=0)
    currency: Currency | None = None

    @model_validator(mode="after")
    def _something_to_change(self) -> UpdateClick:
        if self.status is None and self.cost is None:
            raise ValueError("give status (with payout, tid) and/or cost")
        if self.status is None and (self.payout is not None or self.tid is not None):
            raise ValueError("status: required with payout or tid (they change a conversion)")
        if self.cost is not None and self.currency is None:
            raise ValueError("currency: required with cost (Keitaro converts it to the tracker's currency)")
        return self


def _minute(datetime_text: str) -> str:
    return datetime_text[:16]


async def _update_click(ctx: CallContext, args: UpdateClick) -> Envelope:
    """POST /clicks/log (find the click), tracker postback for status, POST /clicks/update_costs for cost."""
    columns = ["sub_id", "datetime", "campaign_id", "is_lead", "is_sale", "is_rejected", "revenue", "cost"]
    if args.cost is not None:
        columns += COST_TARGET_KEYS
    lookup = {
        "range": ALL_TIME, "columns": columns, "filters": [report_filter("sub_id", "EQUALS", args.sub_id)], "limit": 1,
    }  # fmt: skip
    envelope, rows = await ctx.rows("/clicks/log", lookup)
    if not envelope["success"]:
        return read_failed(envelope, "the click log", nothing_changed=True)
    if not rows:
        message = f"No click with sub_id {args.sub_id!r} in the click log"
        return ctx.fail("not_found", message, request=envelope["request"])
    click = rows[0]
    done: dict[str, Any] = {"click": click}
    costs: dict[str, Any] | None = None
    if args.cost is not None:
        # update_costs spreads a cost over every click matching a time range and filters: target this click by
        # its minute and its own traffic values, and check first that no other click matches them.
        targets = {
            k: str(click[k]) for k in COST_TARGET_KEYS if click.get(k) not in (None, "") and "," not in str(click[k])
        }
        minute = _minute(str(click.get("datetime", "")))
        campaign_id = click.get("campaign_id")
        if not targets or not minute or campaign_id in (None, ""):
            message = (
                f"Cannot target click {args.sub_id} with update_costs: it has no sub_id_N, external_id, creative_id, "
                "ad_campaign_id, keyword or source value to filter on. Nothing was changed."
            )
            return ctx.fail("validation", message, request=envelope["request"])
        probe = {
            "range": {"from": minute, "to": minute, "timezone": "UTC"},
            "columns": ["sub_id"],
            "filters": equals_filters({"campaign_id": campaign_id, **targets}),
            "limit": 2,
        }
        envelope, matches = await ctx.rows("/clicks/log", probe)
        if not envelope["success"]:
            return read_failed(envelope, f"the click log (clicks sharing {minute})", nothing_changed=True)
        if len(matches) != 1:
            message = (
                f"Cannot target click {args.sub_id} alone with update_costs: {len(matches)} clicks in {minute} UTC "
                f"share its values {targets}. Nothing was changed."
            )
            return ctx.fail("validation", message, request=envelope["request"])
        entry: dict[str, Any] = {"start_date": minute, "end_date": minute, "cost": args.cost, "timezone": "UTC"}
        if args.currency:
            entry["currency"] = args.currency
        entry["filters"] = targets
        costs = {"campaign_ids": [int(campaign_id)], "costs": [entry], "timezone": "UTC"}
        if args.currency:
            costs["currency"] = args.currency
    if args.status is not None:
        params = postback_params(
            args.sub_id, status=args.status, payout=args.payout, tid=args.tid, currency=args.currency
        )
        envelope = await send_postback(ctx, params)
        if not envelope["success"]:
            return envelope
        done["conversion"] = {"sent": params, "answer": envelope["data"]}
    if costs is not None:
        envelope = await ctx.send("POST", "/clicks/update_costs", body=costs, retry=ctx.op.idempotent)
        if not envelope["success"]:
            if "conversion" in done:
                envelope["error"]["message"] += " (the conversion postback was sent before; only the cost failed)"
            return envelope
        done["cost"] = {"sent": costs, "answer": envelope["data"]}
    envelope["data"] = done
    envelope["meta"] = {"notes": ["Keitaro applies postbacks and costs asynchronously; list_clicks shows them soon."]}
    ctx.observe(_click_view(click), _click_view(click, args))
    return envelope


def _click_view(click: dict[str, Any], change: UpdateClick | None = None) -> dict[str, Any]:
    """What a receipt shows of a click: before, as the log has it; after, with what was asked applied."""
    status = next((s for s in ("sale", "rejected", "lead") if click.get(f"is_{s}") in (1, True, "1")), None)
    view = {"sub_id": click.get("sub_id"), "status": status, "revenue": click.get("revenue"), "cost": click.get("cost")}
    if change is not None:
        if change.status is not None:
            view["status"] = change.status
            if change.payout is not None:
                view["revenue"] = change.payout
        if change.cost is not None:
            view["cost"] = f"{change.cost} {change.currency}"
    return view


# -- update_costs, clean_stats --------------------------------------------------------------------------------------


class CostEntry(Params):
    start_date: DateTimeMinute
    """YYYY-MM-DD[ HH:MM]"""
    end_date: DateTimeMinute
    cost: float = Field(ge=0)
    """Spread over the matching clicks."""
    filters: dict[str, str] | None = None
    """e.g. {"sub_id_1": "a,b", "source": "x"}."""

    @model_validator(mode="after")
    def _ordered(self) -> CostEntry:
        check_date_order(self.start_date, self.end_date)
        return self


class UpdateCosts(Params):
    """Bulk-set click costs; overwrites earlier costs, applied asynchronously."""

    campaign_ids: list[CampaignId] = Field(min_length=1)
    costs: list[CostEntry] = Field(min_length=1)
    timezone: Timezone = "UTC"
    currency: Currency
    """Currency of the costs; Keitaro converts it."""
    only_campaign_uniques: bool | None = None


def _update_costs_body(args: UpdateCosts, tracker: Tracker) -> RequestParts:
    top: dict[str, Any] = {"campaign_ids": args.campaign_ids, "timezone": args.timezone, "currency": args.currency}
    costs = []
    for entry in args.costs:
        item: dict[str, Any] = entry.model_dump(mode="json", exclude_none=True)
        # The spec lists timezone and currency as required per entry but defines them at the top: send both.
        item["timezone"] = args.timezone
        item["currency"] = args.currency
        costs.append(item)
    top["costs"] = costs
    if args.only_campaign_uniques is not None:
        top["only_campaign_uniques"] = int(args.only_campaign_uniques)  # the spec's 1/0
    return RequestParts(body=top)


async def _costs_impact(ctx: CallContext, args: UpdateCosts) -> Impact | Envelope:
    """Count the clicks each cost entry will spread over, and the cost they carry now."""
    clicks, cost = 0, 0.0
    for entry in args.costs:
        found = await traffic(
            ctx, start=entry.start_date, end=entry.end_date, timezone=args.timezone, campaign_ids=args.campaign_ids,
            filters=entry.filters, uniques=bool(args.only_campaign_uniques),
        )  # fmt: skip
        if not isinstance(found, Traffic):
            return found
        clicks += found.clicks
        cost += found.cost
    new = round(sum(entry.cost for entry in args.costs), 2)
    where = campaigns_text(args.campaign_ids)
    periods = period_text(args.costs[0].start_date, args.costs[-1].end_date, args.timezone)
    question = (
        f"Overwrite the cost of {clicks:,} clicks of {where} {periods}: {cost:,.2f} now (tracker currency), "
        f"{new:,.2f} {args.currency} after. Earlier costs are not kept."
    )
    return Impact(
        question=question, scope={"campaign_ids": args.campaign_ids, "clicks": clicks},
        before={"cost": round(cost, 2)}, after={"cost": f"{new} {args.currency}"},
        effects=("Keitaro spreads it over the clicks in a background job; reports show it within minutes.",),
    )  # fmt: skip


class CleanStats(Params):
    """Permanently delete clicks and conversions in a period (all campaigns unless one is given)."""

    start_date: DateTimeMinute
    """YYYY-MM-DD[ HH:MM]"""
    end_date: DateTimeMinute
    campaign_id: CampaignId | None = None
    timezone: Timezone | None = None
    """Default: the tracker's (KEITARO_TIMEZONE), else UTC."""

    @model_validator(mode="after")
    def _ordered(self) -> CleanStats:
        check_date_order(self.start_date, self.end_date)
        return self


def _clean_zone(args: CleanStats, tracker: Tracker) -> str:
    return args.timezone or tracker.timezone or "UTC"


def _clean_body(args: CleanStats, tracker: Tracker) -> RequestParts:
    # The zone is always sent: what is deleted is exactly the period the person confirmed, counted in that zone.
    body: dict[str, Any] = {"start_date": args.start_date, "end_date": args.end_date}
    if args.campaign_id is not None:
        body["campaign_id"] = args.campaign_id
    body["timezone"] = _clean_zone(args, tracker)
    return RequestParts(body=body)


async def _clean_impact(ctx: CallContext, args: CleanStats) -> Impact | Envelope:
    """Count the clicks and conversions the clean deletes (one report over the same period and campaign)."""
    zone = _clean_zone(args, ctx.tracker)
    ids = [args.campaign_id] if args.campaign_id is not None else None
    found = await traffic(ctx, start=args.start_date, end=args.end_date, timezone=zone, campaign_ids=ids)
    if not isinstance(found, Traffic):
        return found
    clicks, conversions = found.clicks, found.conversions
    period = period_text(args.start_date, args.end_date, zone)
    question = (
        f"Delete all clicks and conversions of {campaigns_text(ids)} {period}: {clicks:,} clicks, "
        f"{conversions:,} conversions. This cannot be undone."
    )
    scope = {"campaign_id": args.campaign_id, "from": args.start_date, "to": args.end_date, "timezone": zone}
    return Impact(
        question=question, scope={k: v for k, v in scope.items() if v is not None},
        before={"clicks": clicks, "conversions": conversions}, after={"clicks": 0, "conversions": 0},
        effects=("Keitaro deletes them in a background job; reports show it within minutes.",),
    )  # fmt: skip


_click = operation_factory("click", "clicks")

OPERATIONS = (
    _click(name="list_clicks", operation="getAll", method="POST", path="/clicks/log", params=ListClicks,
           title="List clicks", read_only=True, build=_list_clicks, shape=log_rows),
    _click(name="update_click", operation="update", method="POST", path="/clicks/update_costs", params=UpdateClick,
           title="Update click", effect="update", idempotent=True, handler=_update_click),
    # A bulk overwrite, not an everyday edit: beside update_campaign_costs in campaigns_admin (the default surface
    # keeps update_click for one click).
    _click(name="update_costs", operation="updateCosts", method="POST", path="/clicks/update_costs", params=UpdateCosts,
           title="Update click costs", effect="replace", toolset="campaigns_admin", idempotent=True,
           build=_update_costs_body, impact=_costs_impact),
    # Wipes data: kept out of the default toolsets (clicks is one of them), beside the other admin wipes.
    _click(name="clean_stats", operation="clean", method="POST", path="/clicks/clean", params=CleanStats,
           title="Clean stats", effect="wipe", toolset="campaigns_admin", idempotent=True, build=_clean_body,
           impact=_clean_impact),
)  # fmt: skip
