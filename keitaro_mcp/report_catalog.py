"""The report catalogue: measures, dimensions, filter operators and presets Keitaro's `POST /report/build` knows.

The static catalogue is the reference's (§5.2–§5.4: the spec's lists plus names seen on real trackers, `sub_id_1..30`).
Names are checked before anything is sent, so a typo comes back as `invalid_arguments` that names the closest valid
names instead of a tracker error. When the tracker offers its own catalogue (`GET /report/definition`, not in the
spec, shape unknown) it is read once per tracker and a name it does not list is refused too; a tracker without one
(it answers the unknown path with its HTML panel) falls back to the static catalogue silently.
"""

from __future__ import annotations

import difflib
import itertools
import re
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic_core import PydanticCustomError

from keitaro_mcp.periods import KEITARO_INTERVALS, OUR_PERIODS

if TYPE_CHECKING:
    from keitaro_mcp.context import CallContext
    from keitaro_mcp.tracker import Tracker
    from keitaro_mcp.transport import Transport

__all__ = [
    "CLICK_LOG_COLUMNS",
    "CONVERSION_DIMENSIONS",
    "CONVERSION_LOG_COLUMNS",
    "DIMENSIONS",
    "DIMENSIONS_URI",
    "DIMENSION_GROUPS",
    "EXPRESSION_SHAPES",
    "KEITARO_PRESETS",
    "MAX_COLUMNS",
    "MAX_DIMENSIONS",
    "MAX_FILTERS",
    "MAX_MEASURES",
    "MEASURES",
    "NUMERIC_DIMENSIONS",
    "OPERATORS",
    "PERIODS",
    "READING",
    "Catalog",
    "check_expression",
    "check_names",
    "runtime_catalog",
    "suggest",
    "unknown_name",
    "unknown_names",
]

MEASURES: dict[str, str] = {
    "clicks": "all clicks, bots included",
    "campaign_unique_clicks": "unique clicks in the campaign (bots excluded)",
    "stream_unique_clicks": "unique clicks in the flow",
    "global_unique_clicks": "unique clicks across the tracker",
    "uc_campaign_rate": "campaign unique clicks / clicks, %",
    "uc_stream_rate": "flow unique clicks / clicks, %",
    "uc_global_rate": "global unique clicks / clicks, %",
    "bots": "clicks detected as bots",
    "bot_share": "bots / clicks, %",
    "proxies": "clicks through proxies",
    "empty_referrers": "clicks without referrer",
    "conversions": "all conversions",
    "leads": "conversions now in status lead (hold)",
    "sales": "conversions in status sale (confirmed)",
    "rejected": "rejected conversions",
    "rebills": "repeat conversions (rebills)",
    "approve": "sales / (sales + rejected + leads), %",
    "lp_clicks": "clicks from landing to offer",
    "lp_views": "landing page views",
    "lp_ctr": "landing clicks / landing views, %",
    "landing_clicked_period": "time from landing view to click",
    "cr": "conversions / clicks, %",
    "crs": "sales / clicks, %",
    "crl": "leads / clicks, %",
    "roi": "profit / cost, %",
    "roi_confirmed": "confirmed profit / cost, %",
    "epc": "revenue / clicks",
    "epc_confirmed": "sale revenue / clicks",
    "cps": "cost per sale",
    "cpa": "cost per conversion",
    "cpc": "cost per click",
    "cpl": "cost per lead (not on every version)",
    "ecpc": "effective cost per click",
    "ecpm": "revenue per 1000 clicks",
    "ecpm_confirmed": "sale revenue per 1000 clicks",
    "ec": "effective cost",
    "ec_confirmed": "effective confirmed cost",
    "profitability": "profit / revenue, %",
    "cost": "traffic cost",
    "revenue": "all revenue, hold (lead) included",
    "profit": "revenue - cost",
    "lead_revenue": "revenue of leads (hold)",
    "sale_revenue": "revenue of sales (confirmed)",
    "rejected_revenue": "revenue of rejected conversions",
    "profit_confirmed": "sale revenue - cost",
}

_ID_DIMENSIONS = (
    "click_id", "sub_id", "visitor_code", "campaign_id", "campaign_group_id", "parent_campaign_id", "landing_id",
    "offer_id", "ts_id", "stream_id", "language_id", "device_type_id", "affiliate_network_id", "destination_id",
)  # fmt: skip
_DATA_DIMENSIONS = (
    "campaign", "campaign_group", "parent_campaign", "landing", "landing_clicked", "landing_clicked_datetime",
    "landing_clicked_period", "offer", "ts", "stream", "affiliate_network", "language", "device_type",
    "connection_type", "ip", "ip_mask1", "ip_mask2", "country_code", "country", "region", "region_code", "city",
    "user_agent", "operator", "os", "os_version", "browser", "browser_version", "device_model", "isp", "source",
    "referrer", "search_engine", "keyword", "destination", "x_requested_with", "revenue", "cost", "profit",
    "ad_campaign_id", "external_id", "creative_id", "parent_sub_id", "label",
    *(f"sub_id_{i}" for i in range(1, 31)),
    *(f"extra_param_{i}" for i in range(1, 11)),
)  # fmt: skip
_FLAG_DIMENSIONS = (
    "is_unique_stream", "is_unique_campaign", "is_unique_global", "is_lead", "is_sale", "is_rejected", "is_bot",
    "is_using_proxy", "is_empty_referrer",
)  # fmt: skip
_TIME_DIMENSIONS = ("datetime", "year", "month", "week", "weekday", "day", "hour", "day_hour")

DIMENSION_GROUPS: dict[str, tuple[str, ...]] = {
    "ids": _ID_DIMENSIONS,
    "data": _DATA_DIMENSIONS,
    "flags": _FLAG_DIMENSIONS,
    "time": _TIME_DIMENSIONS,
}
DIMENSIONS: tuple[str, ...] = (*_ID_DIMENSIONS, *_DATA_DIMENSIONS, *_FLAG_DIMENSIONS, *_TIME_DIMENSIONS)
"""Report columns (`dimensions`). The pairs campaign/campaign_id, offer/offer_id, ... give the name or the id."""

CONVERSION_DIMENSIONS: tuple[str, ...] = (
    "conversion_id", "click_datetime", "postback_datetime", "sale_datetime", "sale_period", "tid", "status",
    "previous_status", "original_status", "params",
)  # fmt: skip
"""Columns of conversion-scoped queries only (the conversion log), not of /report/build."""
CLICK_LOG_COLUMNS: tuple[str, ...] = (*DIMENSIONS, "event_id")
"""Columns `/clicks/log` takes: the report's dimensions, and `event_id`, the click id's name on some builds."""
CONVERSION_LOG_COLUMNS: tuple[str, ...] = (*DIMENSIONS, *CONVERSION_DIMENSIONS)
"""Columns `/conversions/log` takes: the click's dimensions and the conversion's own."""

NUMERIC_DIMENSIONS: frozenset[str] = frozenset(
    {"campaign_id", "campaign_group_id", "parent_campaign_id", "landing_id", "offer_id", "ts_id", "stream_id",
     "language_id", "device_type_id", "affiliate_network_id", "destination_id", "revenue", "cost", "profit",
     "year", "month", "week", "weekday", "hour", *_FLAG_DIMENSIONS}
)  # fmt: skip
"""Dimensions whose values are numbers (Keitaro may send them as strings); sub_id_N and the like stay text."""

ExpressionKind = Literal["scalar", "number", "text", "list", "pair", "none", "label"]

OPERATORS: dict[str, ExpressionKind] = {
    "EQUALS": "scalar",
    "NOT_EQUAL": "scalar",
    "GREATER_THAN": "number",
    "LESS_THAN": "number",
    "EQUALS_OR_GREATER_THAN": "number",
    "EQUALS_OR_LESS_THAN": "number",
    "CONTAINS": "text",
    "NOT_CONTAIN": "text",
    "BEGINS_WITH": "text",
    "ENDS_WITH": "text",
    "MATCH_REGEXP": "text",
    "NOT_MATCH_REGEXP": "text",
    "IN_LIST": "list",
    "NOT_IN_LIST": "list",
    "BETWEEN": "pair",
    "IS_SET": "none",
    "IS_NOT_SET": "none",
    "IS_TRUE": "none",
    "IS_FALSE": "none",
    "HAS_LABEL": "label",
    "NOT_HAS_LABEL": "label",
}

EXPRESSION_SHAPES: dict[ExpressionKind, str] = {
    "scalar": "a number or a string, e.g. 12",
    "number": "a number, e.g. 10",
    "text": "a string, e.g. abc",
    "list": "a non-empty list, e.g. [1, 2]",
    "pair": "a list of two values [from, to]",
    "none": "no expression",
    "label": "whitelist or blacklist",
}

PERIODS: dict[str, str] = {
    "today": "today, midnight to now",
    "yesterday": "the whole of yesterday",
    "last_N_days": "the last N calendar days, today included (last_7_days, last_30_days)",
    "this_week": "Monday to today",
    "last_week": "last Monday to Sunday",
    "this_month": "the 1st of this month to today",
    "last_month": "the whole previous month",
    "all_time": "everything; meta.range says the span the data covers",
    "YYYY-MM-DD": "one day",
    "FROM..TO": "from and to inclusive, each YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS]",
}
"""What the `period` argument takes (its description lists the same names); days are counted in the timezone."""
READING: dict[str, str] = {
    "filters": "A filter on a measure (clicks, revenue, roi, ...) keeps the grouped rows whose value matches; a "
    "filter on a dimension selects the clicks before they are grouped.",
    "summary": "data.summary: the totals of every row the filters keep, over all pages, not only the rows shown.",
    "conversions": "Counted on their click's date and in its row (Keitaro's attribution by click).",
    "empty": 'A "" (or 0 for an id) row groups the clicks without a value: no offer, no sub_id_1, no landing.',
    "time": "day YYYY-MM-DD; week: the Monday it starts on, counting only the period's days (a first or last week "
    "may be partial); month YYYY-MM; hour 0-23; weekday 0 (Sunday)-6; all in meta.range's timezone.",
    "range": "meta.range: the dates the result covers, from and to inclusive (all_time: from the first click); "
    "meta.currency: the currency of revenue, cost, profit, epc and the like.",
    "comparison": "compare_periods: per measure m, m (this period), m_before, m_diff (m - m_before), m_pct "
    "(% of m_before; null when it is 0); change: new (only this period), gone (only before), null (both).",
}
"""How report results read (the keitaro://catalog/reports resource): what the numbers mean beyond their names."""
KEITARO_PRESETS: dict[str, str] = {
    "7_days_ago": "last_7_days",
    "first_day_of_this_week": "this_week",
    "1_month_ago": "the same day last month to today",
    "first_day_of_this_month": "this_month",
    "1_year_ago": "the same day last year to today",
    "first_day_of_this_year": "1 January to today",
}
"""Keitaro's own preset names, accepted as they are (sent to the tracker as its `interval`)."""
assert set(KEITARO_INTERVALS) <= set(PERIODS) | set(KEITARO_PRESETS) and set(OUR_PERIODS) <= set(PERIODS)

# Names people (and older scripts) use for something Keitaro spells differently.
_ALIASES: dict[str, str] = {
    "sale_cr": "crs",
    "payout": "revenue",
    "unique_clicks": "campaign_unique_clicks",
    "uniques": "campaign_unique_clicks",
    "date": "day",
    "domain": "source or referrer (there is no domain column)",
    "traffic_source": "ts",
    "traffic_source_id": "ts_id",
    "flow": "stream",
    "flow_id": "stream_id",
    "landing_page": "landing",
    "NOT_EQUALS": "NOT_EQUAL",
    "NOT_CONTAINS": "NOT_CONTAIN",
    "IN": "IN_LIST",
    "NOT_IN": "NOT_IN_LIST",
}


MAX_DIMENSIONS = 20
MAX_MEASURES = len(MEASURES)
MAX_COLUMNS = 60
MAX_FILTERS = 30
"""Names one call may list (a name may not repeat, so a longer list can only be a mistake or an attack)."""
MAX_SUGGESTED = 3
"""Unknown names that get a did-you-mean in one message; the rest are counted (difflib per name is the cost)."""
_MAX_POOL = 2_000
DIMENSIONS_URI = "keitaro://catalog/dimensions"
_MAX_SHOWN = 60


def suggest(name: str, valid: Iterable[str], n: int = 3) -> list[str]:
    """The closest valid names (difflib), an alias first when the name is a known misspelling; bounded work: a name
    longer than any catalogue name gets none, and at most the first 2,000 valid names are compared."""
    if len(name) > _MAX_SHOWN:
        return []
    pool = list(itertools.islice(valid, _MAX_POOL))
    found: list[str] = []
    alias = _ALIASES.get(name) or _ALIASES.get(name.lower()) or _ALIASES.get(name.upper())
    if alias:
        found.append(alias)
    lowered = {v.lower(): v for v in pool}
    for match in difflib.get_close_matches(name.lower(), list(lowered), n=n, cutoff=0.6):
        if lowered[match] not in found:
            found.append(lowered[match])
    return found[:n]


def unknown_name(kind: str, name: str, valid: Iterable[str], where: str) -> str:
    """`unknown measure 'sale_cr'; did you mean crs? All names: keitaro://catalog/measures`."""
    close = suggest(name, valid)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    if name in CONVERSION_DIMENSIONS:
        hint = "; it is a conversion-log column (list_conversions), not a report column"
    shown = name if len(name) <= _MAX_SHOWN else name[:_MAX_SHOWN] + "..."
    end = "" if hint.endswith("?") else "."
    return f"unknown {kind} {shown!r}{hint}{end} All names: {where}"


def check_names(names: list[str], valid: Any, kind: str, uri: str, cap: int) -> list[str]:
    """The names, each known and none repeated, at most `cap` of them (checked first: the work stays bounded)."""
    if len(names) > cap:
        raise PydanticCustomError("too_many", "{n} names; at most {cap}", {"n": len(names), "cap": cap})
    problems = unknown_names(kind, names, valid, uri)
    if problems:
        raise PydanticCustomError("unknown", "{problems}", {"problems": "; ".join(problems)})
    if len(set(names)) != len(names):
        raise PydanticCustomError("duplicate", "names must not repeat")
    return names


def unknown_names(kind: str, names: Iterable[str], valid: Iterable[str], where: str) -> list[str]:
    """One message per unknown name for the first few, then how many more (bounded work and text)."""
    known = frozenset(valid)
    unknown = [n for n in names if n not in known]
    problems = [unknown_name(kind, n, valid, where) for n in unknown[:MAX_SUGGESTED]]
    if len(unknown) > MAX_SUGGESTED:
        problems.append(f"and {len(unknown) - MAX_SUGGESTED:,} more unknown {kind}s")
    return problems


_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def check_expression(operator: str, expression: Any) -> Any:
    """The expression the operator needs (numbers from numeric strings); ValueError naming the expected shape."""
    kind = OPERATORS[operator]
    shape = EXPRESSION_SHAPES[kind]
    bad = ValueError(f"{operator} takes {shape}; got {expression!r}")
    if kind == "none":
        if expression not in (None, ""):
            raise bad
        return None
    if expression is None:
        raise bad
    if kind == "scalar":
        if not _scalar(expression):
            raise bad
        return expression
    if kind == "number":
        if isinstance(expression, str) and _NUMBER.match(expression.strip()):
            number = float(expression)
            return int(number) if number.is_integer() and "." not in expression else number
        if isinstance(expression, bool) or not isinstance(expression, int | float):
            raise bad
        return expression
    if kind == "text":
        if not _scalar(expression):
            raise bad
        return str(expression)
    if kind == "label":
        if expression not in ("whitelist", "blacklist"):
            raise bad
        return expression
    if not isinstance(expression, list) or not all(_scalar(v) for v in expression):
        raise bad
    if kind == "pair" and len(expression) != 2:
        raise bad
    if kind == "list" and not expression:
        raise bad
    return expression


@dataclass(frozen=True)
class Catalog:
    """Names a tracker lists in `GET /report/definition`."""

    dimensions: frozenset[str]
    measures: frozenset[str]


def _names(node: Any) -> set[str]:
    """Names from a list of strings, a list of {name|key|id: ...} objects, or a mapping keyed by name."""
    out: set[str] = set()
    if isinstance(node, Mapping):
        out.update(k for k in node if isinstance(k, str))
    elif isinstance(node, list):
        for item in node:
            if isinstance(item, str):
                out.add(item)
            elif isinstance(item, Mapping):
                for key in ("name", "key", "id", "alias"):
                    if isinstance(item.get(key), str):
                        out.add(item[key])
                        break
    return out


def parse_definition(data: Any) -> Catalog | None:
    """A catalogue from the tracker's definition, or None when its shape is not recognised."""
    if isinstance(data, Mapping) and isinstance(data.get("data"), Mapping):
        data = data["data"]
    if not isinstance(data, Mapping):
        return None
    dims: set[str] = set()
    measures: set[str] = set()
    for key in ("dimensions", "columns", "grouping"):
        dims |= _names(data.get(key))
    for key in ("measures", "metrics"):
        measures |= _names(data.get(key))
    # A partial or unfamiliar answer would refuse good names: trust only a catalogue that looks complete.
    if len(dims) < 10 or len(measures) < 5 or "clicks" not in measures:
        return None
    return Catalog(frozenset(dims), frozenset(measures))


_CACHE: weakref.WeakKeyDictionary[Transport, dict[Tracker, Catalog | None]] = weakref.WeakKeyDictionary()
"""Per server (its transport), per tracker as the caller reaches it (a key's rights may hide the catalogue)."""


async def runtime_catalog(ctx: CallContext) -> Catalog | None:
    """The call's tracker's own catalogue, read once per server and tracker; None when it has none."""
    known = _CACHE.setdefault(ctx.transport, {})
    if ctx.tracker in known:
        return known[ctx.tracker]
    envelope = await ctx.read("/report/definition")
    catalog = parse_definition(envelope["data"]) if envelope["success"] else None
    # Only a definite answer is cached: a timeout or a 5xx may pass, a 200 HTML page (no catalogue) will not.
    if envelope["success"] or envelope.get("error", {}).get("kind") in ("not_json", "not_found", "forbidden"):
        known[ctx.tracker] = catalog
    return catalog
