"""What reports and logs can show: dimensions/columns (SQL over one click ``c`` or conversion ``v``),
the base aggregates of the grouped scan, and the measures computed from them.

Output formats (documented choice): counts are integers; money measures (cost, revenue, profit,
epc, cpc, ...) are numbers rounded to 4 decimals; percentages (cr, roi, approve, bot_share, ...)
are numbers rounded to 2 decimals; ids are integers; text columns are strings ("" for unset);
``day`` is ``YYYY-MM-DD``, ``hour`` 0-23, ``week`` the Monday of the week (``YYYY-MM-DD``),
``month`` ``YYYY-MM``, ``weekday`` 0 (Sunday) - 6, ``datetime`` ``YYYY-MM-DD HH:MM:SS`` — all in
the request's timezone.

Measure definitions: ``conversions`` = leads + sales + rejected (rebills counted apart);
``revenue`` = lead (hold) + sale revenue (incl. rebills); ``approve`` = sales / conversions;
``epc`` = revenue / clicks; ``ecpc`` = cost / unique clicks; ``ecpm`` = revenue per 1000 clicks;
``ec`` = revenue / conversions; ``profitability`` = profit / revenue.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from keitaro_mcp.sandbox.store import SUB_ID_COUNT

__all__ = [
    "BASE",
    "CLICK_MONEY",
    "COLUMNS",
    "CONVERSION_COLUMNS",
    "COUNTRY_NAMES",
    "MEASURES",
    "Column",
    "fill",
    "format_column",
    "format_measure",
    "ip_mask",
    "uses",
]

COUNTRY_NAMES = {
    "US": "United States", "DE": "Germany", "GB": "United Kingdom", "FR": "France", "BR": "Brazil", "IN": "India",
    "ID": "Indonesia", "MX": "Mexico", "CA": "Canada", "AU": "Australia", "IT": "Italy", "ES": "Spain",
    "PL": "Poland", "TR": "Turkey", "PH": "Philippines", "TH": "Thailand",
}  # fmt: skip


@dataclass(frozen=True)
class Column:
    """A dimension/column. ``sql`` reads one click (alias ``c``) or conversion (``v``); ``{L}``
    stands for the click's local epoch in the request's timezone."""

    name: str
    sql: str
    kind: str  # int, text, flag, num
    group_sql: str | None = None  # grouping key when the output is a lookup (entity names)
    lookup: str | None = None  # outer expression over the grouping key ``{k}``


def _entity(name: str, table: str, key: str) -> list[Column]:
    lookup = f"(SELECT name FROM {table} WHERE id = {{k}})"
    return [
        Column(f"{name}_id", f"c.{key}", "int"),
        Column(name, lookup.format(k=f"c.{key}"), "text", f"c.{key}", lookup),
    ]


def _columns() -> dict[str, Column]:
    cols: list[Column] = [
        Column("click_id", "c.id", "int"),
        Column("event_id", "c.id", "int"),
        Column("sub_id", "c.sub_id", "text"),
        Column("visitor_code", "c.visitor_code", "text"),
        *_entity("campaign", "campaigns", "campaign_id"),
        *_entity("parent_campaign", "campaigns", "parent_campaign_id"),
        *_entity("offer", "offers", "offer_id"),
        *_entity("landing", "landings", "landing_id"),
        *_entity("stream", "streams", "stream_id"),
        Column("ts_id", "c.ts_id", "int"),
        Column("ts", "(SELECT name FROM traffic_sources WHERE id = c.ts_id)", "text", "c.ts_id",
               "(SELECT name FROM traffic_sources WHERE id = {k})"),
        Column("campaign_group_id", "(SELECT json_extract(doc, '$.group_id') FROM campaigns WHERE id = c.campaign_id)",
               "int"),
        Column("campaign_group", "(SELECT g.name FROM campaigns x JOIN groups g ON g.id = json_extract(x.doc, "
               "'$.group_id') WHERE x.id = c.campaign_id)", "text"),
        Column("affiliate_network_id", "(SELECT json_extract(doc, '$.affiliate_network_id') FROM offers "
               "WHERE id = c.offer_id)", "int"),
        Column("affiliate_network", "(SELECT n.name FROM offers o JOIN affiliate_networks n ON n.id = "
               "json_extract(o.doc, '$.affiliate_network_id') WHERE o.id = c.offer_id)", "text"),
        Column("country", "CASE c.country_code " + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in COUNTRY_NAMES.items())
               + " ELSE c.country_code END", "text"),
        Column("datetime", "strftime('%Y-%m-%d %H:%M:%S', {L}, 'unixepoch')", "text"),
        Column("year", "CAST(strftime('%Y', {L}, 'unixepoch') AS INTEGER)", "int"),
        Column("month", "strftime('%Y-%m', {L}, 'unixepoch')", "text"),
        Column("week", "date({L}, 'unixepoch', '-6 days', 'weekday 1')", "text"),
        Column("weekday", "CAST(strftime('%w', {L}, 'unixepoch') AS INTEGER)", "int"),
        # Grouped by the integer day number (cheap arithmetic per click), formatted once per group.
        Column("day", "date({L}, 'unixepoch')", "text", "({L}) / 86400", "date({k} * 86400, 'unixepoch')"),
        Column("hour", "((({L}) % 86400) / 3600)", "int"),
        Column("day_hour", "strftime('%Y-%m-%d %H', {L}, 'unixepoch')", "text"),
        Column("landing_clicked_datetime", "CASE WHEN c.landing_clicked THEN strftime('%Y-%m-%d %H:%M:%S', "
               "{L} + c.landing_clicked_dt - c.dt, 'unixepoch') END", "text"),
        Column("ip_mask1", "ip_mask(c.ip, 1)", "text"),
        Column("ip_mask2", "ip_mask(c.ip, 2)", "text"),
        Column("is_unique_campaign", "c.is_unique_campaign", "flag"),
        Column("is_unique_stream", "c.is_unique_stream", "flag"),
        Column("is_unique_global", "c.is_unique_global", "flag"),
        Column("is_bot", "c.is_bot", "flag"),
        Column("is_using_proxy", "c.is_using_proxy", "flag"),
        Column("is_empty_referrer", "(COALESCE(c.referrer, '') = '')", "flag"),
        Column("landing_clicked", "c.landing_clicked", "flag"),
        Column("is_lead", "(c.leads > 0)", "flag"),
        Column("is_sale", "(c.sales > 0)", "flag"),
        Column("is_rejected", "(c.rejected > 0)", "flag"),
    ]  # fmt: skip
    cols.extend(Column(name, f"c.{name}", "text") for name in (
        "country_code", "region", "city", "language", "device_type", "device_model", "os", "os_version", "browser",
        "browser_version", "connection_type", "operator", "isp", "ip", "user_agent", "referrer", "source",
        "search_engine", "keyword", "destination", "ad_campaign_id", "external_id", "creative_id", "x_requested_with",
        *(f"sub_id_{i}" for i in range(1, SUB_ID_COUNT + 1)), *(f"extra_param_{i}" for i in range(1, 11)),
    ))  # fmt: skip
    return {c.name: c for c in cols}


COLUMNS = _columns()
# Per-click money columns: columns in the click log, measures in reports.
CLICK_MONEY = {
    "cost": "c.cost",
    "revenue": "(c.lead_revenue + c.sale_revenue)",
    "profit": "(c.lead_revenue + c.sale_revenue - c.cost)",
}
CONVERSION_COLUMNS = {
    "conversion_id": Column("conversion_id", "v.id", "int"),
    "click_datetime": Column("click_datetime", "strftime('%Y-%m-%d %H:%M:%S', {L}, 'unixepoch')", "text"),
    "postback_datetime": Column("postback_datetime", "strftime('%Y-%m-%d %H:%M:%S', {P}, 'unixepoch')", "text"),
    "datetime": Column("datetime", "strftime('%Y-%m-%d %H:%M:%S', {P}, 'unixepoch')", "text"),
    "sale_datetime": Column("sale_datetime", "strftime('%Y-%m-%d %H:%M:%S', {P} - v.postback_dt + v.sale_dt, "
                            "'unixepoch')", "text"),
    "sale_period": Column("sale_period", "(v.sale_dt - c.dt)", "int"),
    "tid": Column("tid", "v.tid", "text"),
    "status": Column("status", "v.status", "text"),
    "previous_status": Column("previous_status", "v.previous_status", "text"),
    "original_status": Column("original_status", "v.original_status", "text"),
    "params": Column("params", "v.params", "text"),
    "revenue": Column("revenue", "v.revenue", "num"),
    "cost": Column("cost", "v.cost", "num"),
    "profit": Column("profit", "(v.revenue - v.cost)", "num"),
    "is_lead": Column("is_lead", "(v.status = 'lead')", "flag"),
    "is_sale": Column("is_sale", "(v.status = 'sale')", "flag"),
    "is_rejected": Column("is_rejected", "(v.status = 'rejected')", "flag"),
}  # fmt: skip

# Base aggregates computed in the grouped scan.
BASE = {
    "clicks": "COUNT(*)",
    "campaign_unique_clicks": "SUM(c.is_unique_campaign)",
    "stream_unique_clicks": "SUM(c.is_unique_stream)",
    "global_unique_clicks": "SUM(c.is_unique_global)",
    "bots": "SUM(c.is_bot)",
    "proxies": "SUM(c.is_using_proxy)",
    "empty_referrers": "SUM(COALESCE(c.referrer, '') = '')",
    "conversions": "SUM(c.conversions)",
    "leads": "SUM(c.leads)",
    "sales": "SUM(c.sales)",
    "rejected": "SUM(c.rejected)",
    "rebills": "SUM(c.rebills)",
    "lp_clicks": "SUM(c.landing_clicked)",
    "lp_views": "SUM(c.landing_id > 0)",
    "lp_period": "SUM(CASE WHEN c.landing_clicked THEN c.landing_clicked_dt - c.dt ELSE 0 END)",
    "cost": "SUM(c.cost)",
    "lead_revenue": "SUM(c.lead_revenue)",
    "sale_revenue": "SUM(c.sale_revenue)",
    "rejected_revenue": "SUM(c.rejected_revenue)",
}


def _div(a: str, b: str, scale: str = "") -> str:
    return f"COALESCE(({a}){scale} / NULLIF({b}, 0), 0)"


REVENUE = "({lead_revenue} + {sale_revenue})"
PROFIT = f"({REVENUE} - {{cost}})"
PROFIT_CONFIRMED = "({sale_revenue} - {cost})"
# name -> (expression over base aggregates, format: int | money | pct)
MEASURES: dict[str, tuple[str, str]] = {
    **{name: (f"{{{name}}}", "int") for name in (
        "clicks", "campaign_unique_clicks", "stream_unique_clicks", "global_unique_clicks", "bots", "proxies",
        "empty_referrers", "conversions", "leads", "sales", "rejected", "rebills", "lp_clicks", "lp_views")},
    "uc_campaign_rate": (_div("{campaign_unique_clicks}", "{clicks}", " * 100.0"), "pct"),
    "uc_stream_rate": (_div("{stream_unique_clicks}", "{clicks}", " * 100.0"), "pct"),
    "uc_global_rate": (_div("{global_unique_clicks}", "{clicks}", " * 100.0"), "pct"),
    "bot_share": (_div("{bots}", "{clicks}", " * 100.0"), "pct"),
    "approve": (_div("{sales}", "{conversions}", " * 100.0"), "pct"),
    "lp_ctr": (_div("{lp_clicks}", "{clicks}", " * 100.0"), "pct"),
    "landing_clicked_period": (_div("{lp_period}", "{lp_clicks}", " * 1.0"), "money"),
    "cr": (_div("{conversions}", "{clicks}", " * 100.0"), "pct"),
    "crs": (_div("{sales}", "{clicks}", " * 100.0"), "pct"),
    "crl": (_div("{leads}", "{clicks}", " * 100.0"), "pct"),
    "roi": (_div(PROFIT, "{cost}", " * 100.0"), "pct"),
    "roi_confirmed": (_div(PROFIT_CONFIRMED, "{cost}", " * 100.0"), "pct"),
    "epc": (_div(REVENUE, "{clicks}"), "money"),
    "epc_confirmed": (_div("{sale_revenue}", "{clicks}"), "money"),
    "cpc": (_div("{cost}", "{clicks}"), "money"),
    "cpa": (_div("{cost}", "{conversions}"), "money"),
    "cps": (_div("{cost}", "{sales}"), "money"),
    "cpl": (_div("{cost}", "{leads}"), "money"),
    "ecpc": (_div("{cost}", "{campaign_unique_clicks}"), "money"),
    "ecpm": (_div(REVENUE, "{clicks}", " * 1000.0"), "money"),
    "ecpm_confirmed": (_div("{sale_revenue}", "{clicks}", " * 1000.0"), "money"),
    "ec": (_div(REVENUE, "{conversions}"), "money"),
    "ec_confirmed": (_div("{sale_revenue}", "{sales}"), "money"),
    "profitability": (_div(PROFIT, REVENUE, " * 100.0"), "pct"),
    "cost": ("{cost}", "money"),
    "revenue": (REVENUE, "money"),
    "profit": (PROFIT, "money"),
    "lead_revenue": ("{lead_revenue}", "money"),
    "sale_revenue": ("{sale_revenue}", "money"),
    "rejected_revenue": ("{rejected_revenue}", "money"),
    "profit_confirmed": (PROFIT_CONFIRMED, "money"),
}  # fmt: skip
_BASE_REF = re.compile(r"\{(\w+)\}")


def uses(expr: str) -> set[str]:
    """The base aggregates a measure expression reads."""
    return set(_BASE_REF.findall(expr))


def fill(expr: str, fmt: Callable[[str], str]) -> str:
    """The measure expression with each ``{base}`` replaced by ``fmt(base)``."""
    return _BASE_REF.sub(lambda m: fmt(m.group(1)), expr)


def format_measure(value: Any, kind: str) -> Any:
    if value is None:
        return 0 if kind in ("int", "money", "pct") else value
    if kind == "int":
        return int(value)
    if kind == "money":
        return round(float(value), 4)
    if kind == "pct":
        return round(float(value), 2)
    return value


def format_column(value: Any, col: Column) -> Any:
    if col.kind in ("int", "flag"):
        return int(value) if value is not None else 0
    if col.kind == "num":
        return round(float(value or 0), 4)
    return "" if value is None else value


def ip_mask(ip: Any, level: int) -> str:
    """SQL function ``ip_mask(ip, n)``: the IPv4 address with its last ``n`` octets zeroed."""
    parts = str(ip or "").split(".")
    if len(parts) != 4:
        return str(ip or "")
    keep = 4 - level
    return ".".join(parts[:keep] + ["0"] * level)
