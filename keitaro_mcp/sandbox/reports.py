"""Report engine: ``POST /report/build``, ``/clicks/log``, ``/conversions/log`` in SQL.

Conversions are attributed to the click (Keitaro's default "by click date"): their counts and
revenue are folded into the click row, so a report is one grouped scan of ``clicks``. The
grouped result goes to a temporary table once; rows, ``total`` and ``summary`` are read from it.

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

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from keitaro_mcp.sandbox.errors import HttpError, bad_request, invalid
from keitaro_mcp.sandbox.store import SUB_ID_COUNT, JsonDict, Store
from keitaro_mcp.sandbox.timeranges import RangeError, Span, local_time_sql, parse_local, resolve, zone

COUNTRY_NAMES = {
    "US": "United States", "DE": "Germany", "GB": "United Kingdom", "FR": "France", "BR": "Brazil", "IN": "India",
    "ID": "Indonesia", "MX": "Mexico", "CA": "Canada", "AU": "Australia", "IT": "Italy", "ES": "Spain",
    "PL": "Poland", "TR": "Turkey", "PH": "Philippines", "TH": "Thailand",
}  # fmt: skip
OPERATORS = (
    "EQUALS", "NOT_EQUAL", "EQUALS_OR_GREATER_THAN", "EQUALS_OR_LESS_THAN", "GREATER_THAN", "LESS_THAN",
    "MATCH_REGEXP", "NOT_MATCH_REGEXP", "BEGINS_WITH", "ENDS_WITH", "CONTAINS", "NOT_CONTAIN", "IN_LIST",
    "NOT_IN_LIST", "BETWEEN", "IS_SET", "IS_NOT_SET", "IS_TRUE", "IS_FALSE", "HAS_LABEL", "NOT_HAS_LABEL",
)  # fmt: skip
CURRENCY_TO_USD = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27, "RUB": 0.011, "UAH": 0.025, "BRL": 0.2, "INR": 0.012}
COST_FILTER_KEYS = (
    "keyword",
    "external_id",
    "creative_id",
    "ad_campaign_id",
    "source",
    *(f"sub_id_{i}" for i in range(1, SUB_ID_COUNT + 1)),
)


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


def _uses(expr: str) -> set[str]:
    return set(_BASE_REF.findall(expr))


def _fill(expr: str, fmt: Callable[[str], str]) -> str:
    return _BASE_REF.sub(lambda m: fmt(m.group(1)), expr)


def _format(value: Any, kind: str) -> Any:
    if value is None:
        return 0 if kind in ("int", "money", "pct") else value
    if kind == "int":
        return int(value)
    if kind == "money":
        return round(float(value), 4)
    if kind == "pct":
        return round(float(value), 2)
    return value


def _format_column(value: Any, col: Column) -> Any:
    if col.kind in ("int", "flag"):
        return int(value) if value is not None else 0
    if col.kind == "num":
        return round(float(value or 0), 4)
    return "" if value is None else value


def _regexp(pattern: str) -> re.Pattern[str]:
    flags = 0
    m = re.fullmatch(r"/(.*)/([a-z]*)", pattern, re.S)
    if m:
        pattern = m.group(1)
        if "i" in m.group(2):
            flags |= re.I
    try:
        return re.compile(pattern, flags)
    except re.error as exc:
        raise bad_request(f"Invalid regular expression {pattern!r}: {exc}") from None


class Reports:
    def __init__(self, store: Store, clock: Callable[[], int]) -> None:
        self.store = store
        self.clock = clock
        self._tmp = itertools.count(1)
        self._patterns: dict[str, re.Pattern[str]] = {}
        store.conn.create_function("regexp_match", 2, self._regexp_match, deterministic=True)
        store.conn.create_function("ip_mask", 2, self._ip_mask, deterministic=True)

    def _regexp_match(self, pattern: str, value: Any) -> int:
        compiled = self._patterns.get(pattern)
        if compiled is None:
            compiled = self._patterns[pattern] = _regexp(pattern)
        return 1 if compiled.search("" if value is None else str(value)) else 0

    @staticmethod
    def _ip_mask(ip: Any, level: int) -> str:
        parts = str(ip or "").split(".")
        if len(parts) != 4:
            return str(ip or "")
        keep = 4 - level
        return ".".join(parts[:keep] + ["0"] * level)

    # -- shared -----------------------------------------------------------------------------
    def _span(self, body: JsonDict) -> Span:
        try:
            return resolve(body.get("range"), datetime.fromtimestamp(self.clock(), UTC))
        except RangeError as exc:
            raise bad_request(str(exc)) from None
        except KeyError as exc:
            raise bad_request(f"Bad range: {exc}") from None

    def _local(self, span: Span, column: str) -> str:
        lo, hi = span.start, span.end
        if lo is None or hi is None:
            row = self.store.one("SELECT min(dt), max(dt) FROM clicks")
            data_lo = int(row[0]) if row and row[0] is not None else self.clock()
            data_hi = int(row[1]) if row and row[1] is not None else self.clock()
            lo = data_lo if lo is None else lo
            hi = max(data_hi, self.clock()) if hi is None else hi
        return local_time_sql(column, span.tz, lo, hi)

    def _filter_sql(self, col_sql: str, kind: str, col_name: str, flt: Any, params: list[Any]) -> str:
        if not isinstance(flt, dict) or "operator" not in flt:
            raise bad_request("Each filter needs name, operator and expression")
        op = flt["operator"]
        if op not in OPERATORS:
            raise bad_request(f"Unknown operator {op!r}; valid: {', '.join(OPERATORS)}")
        expr = flt.get("expression")
        text = kind == "text"
        e = f"COALESCE({col_sql}, '')" if text else f"COALESCE({col_sql}, 0)"

        def scalar(value: Any) -> Any:
            if isinstance(value, (list, dict)):
                raise bad_request(f"Operator {op} needs a single value for {col_name}")
            if text:
                return "" if value is None else str(value)
            if isinstance(value, bool):
                return int(value)
            if isinstance(value, (int, float)):
                return value
            try:
                return float(value) if "." in str(value) else int(str(value))
            except ValueError:
                raise bad_request(f"Filter {col_name} expects a number, got {value!r}") from None

        if op in ("EQUALS", "NOT_EQUAL", "GREATER_THAN", "LESS_THAN", "EQUALS_OR_GREATER_THAN", "EQUALS_OR_LESS_THAN"):
            sign = {"EQUALS": "=", "NOT_EQUAL": "!=", "GREATER_THAN": ">", "LESS_THAN": "<",
                    "EQUALS_OR_GREATER_THAN": ">=", "EQUALS_OR_LESS_THAN": "<="}[op]  # fmt: skip
            params.append(scalar(expr))
            return f"{e} {sign} ?"
        if op in ("MATCH_REGEXP", "NOT_MATCH_REGEXP"):
            if not isinstance(expr, str) or not expr:
                raise bad_request(f"Operator {op} needs a regular expression")
            self._patterns.setdefault(expr, _regexp(expr))
            params.append(expr)
            return f"regexp_match(?, {col_sql}) = {1 if op == 'MATCH_REGEXP' else 0}"
        if op in ("BEGINS_WITH", "ENDS_WITH", "CONTAINS", "NOT_CONTAIN"):
            needle = str(scalar(expr) if text else expr).lower()
            hay = f"lower(CAST({e} AS TEXT))"
            if op == "BEGINS_WITH":
                params.extend([len(needle), needle])
                return f"substr({hay}, 1, ?) = ?"
            if op == "ENDS_WITH":
                if not needle:
                    return "1"
                params.extend([-len(needle), needle])
                return f"substr({hay}, ?) = ?"
            params.append(needle)
            return f"instr({hay}, ?) {'>' if op == 'CONTAINS' else '='} 0"
        if op in ("IN_LIST", "NOT_IN_LIST"):
            values = expr if isinstance(expr, list) else [v for v in str(expr or "").split(",") if v != ""]
            if not values:
                return "0" if op == "IN_LIST" else "1"
            params.extend(scalar(v) for v in values)
            marks = ", ".join("?" * len(values))
            return f"{e} {'IN' if op == 'IN_LIST' else 'NOT IN'} ({marks})"
        if op == "BETWEEN":
            if not isinstance(expr, list) or len(expr) != 2:
                raise bad_request("Operator BETWEEN needs [from, to]")
            params.extend([scalar(expr[0]), scalar(expr[1])])
            return f"{e} BETWEEN ? AND ?"
        if op in ("IS_SET", "IS_NOT_SET"):
            empty = "''" if text else "0"
            return f"{e} {'!=' if op == 'IS_SET' else '='} {empty}"
        if op in ("IS_TRUE", "IS_FALSE"):
            return f"{e} {'!=' if op == 'IS_TRUE' else '='} 0"
        # HAS_LABEL / NOT_HAS_LABEL: labels are per campaign and parameter (report/labels).
        if expr not in ("whitelist", "blacklist"):
            raise bad_request(f"Operator {op} needs whitelist or blacklist")
        params.extend([col_name, expr])
        exists = (
            f"EXISTS (SELECT 1 FROM labels l WHERE l.campaign_id = c.campaign_id AND l.ref_name = ? "
            f"AND l.value = {e} AND l.label = ?)"
        )
        return exists if op == "HAS_LABEL" else f"NOT {exists}"

    @staticmethod
    def _names(body: JsonDict, *keys: str) -> list[str]:
        for key in keys:
            if key in body and body[key] is not None:
                value = body[key]
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise bad_request(f"{key} must be an array of strings")
                return list(dict.fromkeys(value))
        return []

    @staticmethod
    def _paging(body: JsonDict) -> tuple[int | None, int]:
        try:
            limit = None if body.get("limit") in (None, "") else int(body["limit"])
            offset = int(body.get("offset") or 0)
        except (TypeError, ValueError):
            raise bad_request("limit and offset must be integers") from None
        if (limit is not None and limit < 0) or offset < 0:
            raise bad_request("limit and offset must be >= 0")
        return limit, offset

    @staticmethod
    def _sort(body: JsonDict, allowed: set[str]) -> list[tuple[str, str]]:
        sort = body.get("sort") or []
        if isinstance(sort, dict):
            sort = [sort]
        if not isinstance(sort, list):
            raise bad_request("sort must be an array of {name, order}")
        out = []
        for item in sort:
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                raise bad_request("sort must be an array of {name, order}")
            order = str(item.get("order") or "ASC").upper()
            if order not in ("ASC", "DESC"):
                raise bad_request(f"Sort order must be ASC or DESC, got {item.get('order')!r}")
            if item["name"] not in allowed:
                raise bad_request(
                    f"Cannot sort by {item['name']!r}: not among the requested columns ({', '.join(sorted(allowed))})"
                )
            out.append((item["name"], order))
        return out

    # -- POST /report/build -----------------------------------------------------------------
    def build(self, body: Any) -> JsonDict:
        if not isinstance(body, dict):
            raise bad_request("Request body must be a JSON object")
        # Both dialects: current dimensions/measures, 2022 grouping/metrics.
        dims = self._names(body, "dimensions", "grouping")
        measures = self._names(body, "measures", "metrics")
        if not dims and not measures:
            measures = ["clicks"]
        for name in dims:
            if name not in COLUMNS:
                raise bad_request(f"Unknown dimension {name!r}. Valid dimensions: {', '.join(sorted(COLUMNS))}")
        for name in measures:
            if name not in MEASURES:
                raise bad_request(f"Unknown measure {name!r}. Valid measures: {', '.join(sorted(MEASURES))}")
        span = self._span(body)
        local = self._local(span, "c.dt")
        params: list[Any] = []
        where = []
        if span.start is not None:
            where.append("c.dt >= ?")
            params.append(span.start)
        if span.end is not None:
            where.append("c.dt < ?")
            params.append(span.end)
        having: list[str] = []
        having_params: list[Any] = []
        filters = body.get("filters") or []
        if not isinstance(filters, list):
            raise bad_request("filters must be an array")
        needed = {b for m in measures for b in _uses(MEASURES[m][0])}
        for flt in filters:
            fname = flt.get("name") if isinstance(flt, dict) else None
            if isinstance(fname, str) and fname in MEASURES:  # a measure filter applies to grouped rows
                expr, _ = MEASURES[fname]
                needed |= _uses(expr)
                having.append(self._filter_sql(_fill(expr, lambda b: f"g.{b}"), "num", fname, flt, having_params))
            elif isinstance(fname, str) and fname in COLUMNS:
                col = COLUMNS[fname]
                where.append(self._filter_sql(col.sql.replace("{L}", local), col.kind, fname, flt, params))
            else:
                valid = ", ".join(sorted(set(COLUMNS) | set(MEASURES)))
                raise bad_request(f"Unknown filter column {fname!r}. Valid columns: {valid}")
        sort = self._sort(body, set(dims) | set(measures))
        limit, offset = self._paging(body)
        needed = needed or {"clicks"}
        inner_cols = []
        group_keys = []
        for i, name in enumerate(dims):
            col = COLUMNS[name]
            inner_cols.append(f"{(col.group_sql or col.sql).replace('{L}', local)} AS d{i}")
            group_keys.append(f"d{i}")
        inner_cols += [f"{BASE[b]} AS {b}" for b in sorted(needed)]
        inner_cols.append("COUNT(*) AS _n")
        table = f"temp.report_{next(self._tmp)}"
        sql = (
            f"CREATE TABLE {table} AS SELECT {', '.join(inner_cols)} FROM clicks c"
            + (f" WHERE {' AND '.join(where)}" if where else "")
            + (f" GROUP BY {', '.join(group_keys)}" if group_keys else "")
        )
        outer_dims = []
        for i, name in enumerate(dims):
            col = COLUMNS[name]
            outer_dims.append(col.lookup.format(k=f"g.d{i}") if col.lookup else f"g.d{i}")
        outer_measures = [_fill(MEASURES[m][0], lambda b: f"g.{b}") for m in measures]
        cond = " AND ".join(having) if having else "1"
        selected = [*dims, *measures]
        order = ", ".join(f'"{n}" {o}' for n, o in sort) or ", ".join(f'"{d}"' for d in dims) or "1"
        with self.store.lock:
            conn = self.store.conn
            try:
                conn.execute(sql, params)
                if not group_keys:
                    # An ungrouped aggregate yields one row even over nothing: no traffic, no row.
                    conn.execute(f"DELETE FROM {table} WHERE _n = 0")
                exprs = ", ".join(
                    f'{e} AS "{n}"' for e, n in zip([*outer_dims, *outer_measures], selected, strict=True)
                )
                rows_sql = f"SELECT {exprs} FROM {table} g WHERE {cond} ORDER BY {order}"
                page_params: list[Any] = list(having_params)
                if limit is not None or offset:
                    rows_sql += " LIMIT ? OFFSET ?"
                    page_params += [-1 if limit is None else limit, offset]
                rows = conn.execute(rows_sql, page_params).fetchall()
                total = conn.execute(f"SELECT count(*) FROM {table} g WHERE {cond}", having_params).fetchone()[0]
                summary_exprs = [_fill(MEASURES[m][0], lambda b: f"SUM(g.{b})") for m in measures]
                summary_row = (
                    conn.execute(
                        f"SELECT {', '.join(summary_exprs)} FROM {table} g WHERE {cond}", having_params
                    ).fetchone()
                    if measures
                    else ()
                )
            finally:
                conn.execute(f"DROP TABLE IF EXISTS {table}")
        out_rows = []
        for row in rows:
            item: JsonDict = {}
            for i, name in enumerate(dims):
                item[name] = _format_column(row[i], COLUMNS[name])
            for j, name in enumerate(measures):
                item[name] = _format(row[len(dims) + j], MEASURES[name][1])
            out_rows.append(item)
        summary: JsonDict = dict.fromkeys(dims)
        for j, name in enumerate(measures):
            summary[name] = _format(summary_row[j], MEASURES[name][1])
        return {"rows": out_rows, "total": int(total), "summary": summary, "meta": self._meta(span)}

    def _meta(self, span: Span) -> JsonDict:
        return {
            "timezone": str(span.tz.key),
            "from": _local_str(span.start, span),
            "to": _local_str(span.end, span),
            "attribution": "click_date",
        }

    # -- POST /clicks/log, /conversions/log ------------------------------------------------
    def log(self, body: Any, conversions: bool) -> JsonDict:
        if not isinstance(body, dict):
            raise bad_request("Request body must be a JSON object")
        limit, offset = self._paging(body)
        if not conversions and limit is None and not body.get("range"):
            raise invalid("limit", "Either 'limit' or 'range' parameters are a must")
        default = (
            ["conversion_id", "sub_id", "postback_datetime", "click_datetime", "campaign", "campaign_id", "offer",
             "offer_id", "country_code", "status", "previous_status", "original_status", "tid", "revenue"]
            if conversions
            else ["click_id", "sub_id", "datetime", "campaign", "campaign_id", "stream_id", "offer_id", "landing_id",
                  "ts_id", "country_code", "ip", "device_type", "os", "browser", "is_bot", "is_unique_campaign",
                  "cost", "revenue"]
        )  # fmt: skip
        columns = self._names(body, "columns") or default
        catalog: dict[str, Column] = dict(COLUMNS)
        if conversions:
            catalog.update(CONVERSION_COLUMNS)
        else:
            catalog.update({k: Column(k, v, "num") for k, v in CLICK_MONEY.items()})
        for name in columns:
            if name not in catalog:
                raise bad_request(f"Unknown column {name!r}. Valid columns: {', '.join(sorted(catalog))}")
        span = self._span(body)
        time_col = "v.postback_dt" if conversions else "c.dt"
        local = self._local(span, "c.dt")
        local_pb = self._local(span, "v.postback_dt") if conversions else local
        params: list[Any] = []
        where = []
        if span.start is not None:
            where.append(f"{time_col} >= ?")
            params.append(span.start)
        if span.end is not None:
            where.append(f"{time_col} < ?")
            params.append(span.end)

        def sql_of(col: Column) -> str:
            return col.sql.replace("{L}", local).replace("{P}", local_pb)

        filters = body.get("filters") or []
        if not isinstance(filters, list):
            raise bad_request("filters must be an array")
        for flt in filters:
            fname = flt.get("name") if isinstance(flt, dict) else None
            if not isinstance(fname, str) or fname not in catalog:
                raise bad_request(f"Unknown filter column {fname!r}. Valid columns: {', '.join(sorted(catalog))}")
            col = catalog[fname]
            where.append(self._filter_sql(sql_of(col), col.kind, fname, flt, params))
        sort = self._sort(body, set(catalog))
        base = "FROM conversions v JOIN clicks c ON c.id = v.click_id" if conversions else "FROM clicks c"
        cond = f" WHERE {' AND '.join(where)}" if where else ""
        order_terms = [f"{sql_of(catalog[n])} {o}" for n, o in sort] or [f"{time_col} DESC", "c.id DESC"]
        select = ", ".join(sql_of(catalog[n]) for n in columns)
        sql = f"SELECT {select} {base}{cond} ORDER BY {', '.join(order_terms)} LIMIT ? OFFSET ?"
        rows = self.store.query(sql, [*params, -1 if limit is None else limit, offset])
        total_row = self.store.one(f"SELECT count(*) {base}{cond}", params)
        total = int(total_row[0]) if total_row else 0
        out = [{n: _format_column(r[i], catalog[n]) for i, n in enumerate(columns)} for r in rows]
        return {"rows": out, "total": total, "meta": self._meta(span)}

    # -- costs ------------------------------------------------------------------------------
    def update_costs(self, campaign_ids: list[int], entries: list[JsonDict], defaults: JsonDict, uniques: bool) -> None:
        """Spread each entry's cost evenly over the matching clicks (overwriting their cost: a
        re-push is idempotent; a cost with no matching clicks is silently dropped)."""
        for entry in entries:
            for key in ("start_date", "end_date", "cost"):
                if entry.get(key) in (None, ""):
                    raise invalid(key, f"{key.replace('_', ' ').capitalize()} is required")
            try:
                tz = zone(entry.get("timezone") or defaults.get("timezone"))
                start = parse_local(entry["start_date"], tz, end=False)
                end = parse_local(entry["end_date"], tz, end=True)
            except RangeError as exc:
                raise invalid("start_date", str(exc)) from None
            try:
                cost = float(entry["cost"])
            except (TypeError, ValueError):
                raise invalid("cost", "Cost must be a number") from None
            currency = str(entry.get("currency") or defaults.get("currency") or "USD").upper()
            if currency not in CURRENCY_TO_USD:
                raise invalid("currency", f"Unknown currency {currency}")
            cost *= CURRENCY_TO_USD[currency]  # converted to the tracker currency (USD)
            where = [f"campaign_id IN ({', '.join('?' * len(campaign_ids))})", "dt >= ?", "dt < ?"]
            params: list[Any] = [*campaign_ids, start, end]
            filters = entry.get("filters") or {}
            if not isinstance(filters, dict):
                raise invalid("filters", 'Filters must be an object like {"sub_id_1": "a,b"}')
            for key, value in filters.items():
                if key in ("cost", "currency"):
                    continue
                if key not in COST_FILTER_KEYS:
                    raise invalid("filters", f"Unknown cost filter {key!r}; valid: {', '.join(COST_FILTER_KEYS)}")
                values = [v.strip() for v in str(value).split(",") if v.strip()]
                if values:
                    where.append(f"{key} IN ({', '.join('?' * len(values))})")
                    params += values
            cond = " AND ".join(where)
            with self.store.transaction() as conn:
                if uniques:
                    n = conn.execute(f"SELECT count(*) FROM clicks WHERE {cond} AND is_unique_campaign = 1", params)
                    count = n.fetchone()[0]
                    if count:
                        conn.execute(f"UPDATE clicks SET cost = 0 WHERE {cond}", params)
                        conn.execute(
                            f"UPDATE clicks SET cost = ? WHERE {cond} AND is_unique_campaign = 1",
                            [cost / count, *params],
                        )
                else:
                    count = conn.execute(f"SELECT count(*) FROM clicks WHERE {cond}", params).fetchone()[0]
                    if count:
                        conn.execute(f"UPDATE clicks SET cost = ? WHERE {cond}", [cost / count, *params])

    def clean(self, body: Any) -> JsonDict:
        if not isinstance(body, dict):
            raise bad_request("Request body must be a JSON object")
        for key in ("start_date", "end_date"):
            if not body.get(key):
                raise invalid(key, f"{key.replace('_', ' ').capitalize()} is required")
        try:
            tz = zone(body.get("timezone"))
            start = parse_local(body["start_date"], tz, end=False)
            end = parse_local(body["end_date"], tz, end=True)
        except RangeError as exc:
            raise invalid("start_date", str(exc)) from None
        where = "dt >= ? AND dt < ?"
        params: list[Any] = [start, end]
        if body.get("campaign_id") not in (None, ""):
            try:
                params.append(int(body["campaign_id"]))
            except (TypeError, ValueError):
                raise invalid("campaign_id", "Campaign id must be an integer") from None
            where += " AND campaign_id = ?"
        with self.store.transaction() as conn:
            conn.execute(f"DELETE FROM conversions WHERE click_id IN (SELECT id FROM clicks WHERE {where})", params)
            conn.execute(f"DELETE FROM clicks WHERE {where}", params)
        return {"success": True}


def _local_str(epoch: int | None, span: Span) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, span.tz).strftime("%Y-%m-%d %H:%M:%S")


def cost_request(body: Any, campaign_id: int | None) -> tuple[list[int], list[JsonDict], JsonDict, bool]:
    """Normalise both cost endpoints' bodies."""
    if not isinstance(body, dict):
        raise bad_request("Request body must be a JSON object")
    uniques = body.get("only_campaign_uniques") in (True, 1, "1", "true")
    if campaign_id is not None:
        return [campaign_id], [body], body, uniques
    ids = body.get("campaign_ids")
    if not isinstance(ids, list) or not ids:
        raise invalid("campaign_ids", "Campaign ids are required")
    try:
        campaign_ids = [int(i) for i in ids]
    except (TypeError, ValueError):
        raise invalid("campaign_ids", "Campaign ids must be integers") from None
    costs = body.get("costs")
    if isinstance(costs, dict):  # some clients send one object instead of an array
        costs = [costs]
    if not isinstance(costs, list) or not costs or not all(isinstance(c, dict) for c in costs):
        raise invalid("costs", "Costs are required")
    return campaign_ids, costs, body, uniques


__all__ = ["COLUMNS", "MEASURES", "OPERATORS", "HttpError", "Reports", "cost_request"]
