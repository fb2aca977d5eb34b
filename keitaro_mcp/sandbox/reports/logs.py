"""``POST /clicks/log`` and ``POST /conversions/log``: one row per click or conversion, newest first.

The click log's range is on the click time; the conversion log's on the postback time, with the
click's columns joined in. The click log needs a ``limit`` or a ``range``, as on a real tracker.
"""

from __future__ import annotations

from typing import Any

from keitaro_mcp.sandbox.errors import bad_request, invalid
from keitaro_mcp.sandbox.reports.columns import CLICK_MONEY, COLUMNS, CONVERSION_COLUMNS, Column, format_column
from keitaro_mcp.sandbox.reports.filters import SqlFilters
from keitaro_mcp.sandbox.reports.request import Source, meta, names, paging, sort
from keitaro_mcp.sandbox.store import JsonDict

__all__ = ["read_log"]

CLICK_DEFAULT = ["click_id", "sub_id", "datetime", "campaign", "campaign_id", "stream_id", "offer_id", "landing_id",
                 "ts_id", "country_code", "ip", "device_type", "os", "browser", "is_bot", "is_unique_campaign",
                 "cost", "revenue"]  # fmt: skip
CONVERSION_DEFAULT = ["conversion_id", "sub_id", "postback_datetime", "click_datetime", "campaign", "campaign_id",
                      "offer", "offer_id", "country_code", "status", "previous_status", "original_status", "tid",
                      "revenue"]  # fmt: skip


def read_log(source: Source, filters: SqlFilters, body: Any, conversions: bool) -> JsonDict:
    if not isinstance(body, dict):
        raise bad_request("Request body must be a JSON object")
    limit, offset = paging(body)
    if not conversions and limit is None and not body.get("range"):
        raise invalid("limit", "Either 'limit' or 'range' parameters are a must")
    columns = names(body, "columns") or (CONVERSION_DEFAULT if conversions else CLICK_DEFAULT)
    catalog: dict[str, Column] = dict(COLUMNS)
    if conversions:
        catalog.update(CONVERSION_COLUMNS)
    else:
        catalog.update({k: Column(k, v, "num") for k, v in CLICK_MONEY.items()})
    for name in columns:
        if name not in catalog:
            raise bad_request(f"Unknown column {name!r}. Valid columns: {', '.join(sorted(catalog))}")
    span = source.span(body)
    time_col = "v.postback_dt" if conversions else "c.dt"
    local = source.local(span, "c.dt")
    local_pb = source.local(span, "v.postback_dt") if conversions else local
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

    requested = body.get("filters") or []
    if not isinstance(requested, list):
        raise bad_request("filters must be an array")
    for flt in requested:
        fname = flt.get("name") if isinstance(flt, dict) else None
        if not isinstance(fname, str) or fname not in catalog:
            raise bad_request(f"Unknown filter column {fname!r}. Valid columns: {', '.join(sorted(catalog))}")
        col = catalog[fname]
        where.append(filters.sql(sql_of(col), col.kind, fname, flt, params))
    order_by = sort(body, set(catalog))
    base = "FROM conversions v JOIN clicks c ON c.id = v.click_id" if conversions else "FROM clicks c"
    cond = f" WHERE {' AND '.join(where)}" if where else ""
    order_terms = [f"{sql_of(catalog[n])} {o}" for n, o in order_by] or [f"{time_col} DESC", "c.id DESC"]
    select = ", ".join(sql_of(catalog[n]) for n in columns)
    sql = f"SELECT {select} {base}{cond} ORDER BY {', '.join(order_terms)} LIMIT ? OFFSET ?"
    rows = source.store.query(sql, [*params, -1 if limit is None else limit, offset])
    total_row = source.store.one(f"SELECT count(*) {base}{cond}", params)
    total = int(total_row[0]) if total_row else 0
    out = [{n: format_column(r[i], catalog[n]) for i, n in enumerate(columns)} for r in rows]
    return {"rows": out, "total": total, "meta": meta(span)}
