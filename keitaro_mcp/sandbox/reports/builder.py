"""``POST /report/build``: one grouped scan of ``clicks`` into a temporary table, then rows, ``total``
and ``summary`` read from it.

Conversions are attributed to the click (Keitaro's default "by click date"): their counts and
revenue are folded into the click row, so a report never joins conversions. A filter on a measure
applies to the grouped rows (HAVING); a filter on a column to the clicks (WHERE).
"""

from __future__ import annotations

from typing import Any

from keitaro_mcp.sandbox.errors import bad_request
from keitaro_mcp.sandbox.reports.columns import BASE, COLUMNS, MEASURES, fill, format_column, format_measure, uses
from keitaro_mcp.sandbox.reports.filters import SqlFilters
from keitaro_mcp.sandbox.reports.request import Source, meta, names, paging, sort
from keitaro_mcp.sandbox.store import JsonDict

__all__ = ["build"]


def build(source: Source, filters: SqlFilters, table: str, body: Any) -> JsonDict:
    """The report for ``body``, computed in the temporary ``table`` (dropped before returning)."""
    if not isinstance(body, dict):
        raise bad_request("Request body must be a JSON object")
    # Both dialects: current dimensions/measures, 2022 grouping/metrics.
    dims = names(body, "dimensions", "grouping")
    measures = names(body, "measures", "metrics")
    if not dims and not measures:
        measures = ["clicks"]
    for name in dims:
        if name not in COLUMNS:
            raise bad_request(f"Unknown dimension {name!r}. Valid dimensions: {', '.join(sorted(COLUMNS))}")
    for name in measures:
        if name not in MEASURES:
            raise bad_request(f"Unknown measure {name!r}. Valid measures: {', '.join(sorted(MEASURES))}")
    span = source.span(body)
    local = source.local(span, "c.dt")
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
    requested = body.get("filters") or []
    if not isinstance(requested, list):
        raise bad_request("filters must be an array")
    needed = {b for m in measures for b in uses(MEASURES[m][0])}
    for flt in requested:
        fname = flt.get("name") if isinstance(flt, dict) else None
        if isinstance(fname, str) and fname in MEASURES:  # a measure filter applies to grouped rows
            expr, _ = MEASURES[fname]
            needed |= uses(expr)
            having.append(filters.sql(fill(expr, lambda b: f"g.{b}"), "num", fname, flt, having_params))
        elif isinstance(fname, str) and fname in COLUMNS:
            col = COLUMNS[fname]
            where.append(filters.sql(col.sql.replace("{L}", local), col.kind, fname, flt, params))
        else:
            valid = ", ".join(sorted(set(COLUMNS) | set(MEASURES)))
            raise bad_request(f"Unknown filter column {fname!r}. Valid columns: {valid}")
    order_by = sort(body, set(dims) | set(measures))
    limit, offset = paging(body)
    needed = needed or {"clicks"}
    inner_cols = []
    group_keys = []
    for i, name in enumerate(dims):
        col = COLUMNS[name]
        inner_cols.append(f"{(col.group_sql or col.sql).replace('{L}', local)} AS d{i}")
        group_keys.append(f"d{i}")
    inner_cols += [f"{BASE[b]} AS {b}" for b in sorted(needed)]
    inner_cols.append("COUNT(*) AS _n")
    sql = (
        f"CREATE TABLE {table} AS SELECT {', '.join(inner_cols)} FROM clicks c"
        + (f" WHERE {' AND '.join(where)}" if where else "")
        + (f" GROUP BY {', '.join(group_keys)}" if group_keys else "")
    )
    outer_dims = []
    for i, name in enumerate(dims):
        col = COLUMNS[name]
        outer_dims.append(col.lookup.format(k=f"g.d{i}") if col.lookup else f"g.d{i}")
    outer_measures = [fill(MEASURES[m][0], lambda b: f"g.{b}") for m in measures]
    cond = " AND ".join(having) if having else "1"
    selected = [*dims, *measures]
    order = ", ".join(f'"{n}" {o}' for n, o in order_by) or ", ".join(f'"{d}"' for d in dims) or "1"
    store = source.store
    with store.lock:
        conn = store.conn
        try:
            conn.execute(sql, params)
            if not group_keys:
                # An ungrouped aggregate yields one row even over nothing: no traffic, no row.
                conn.execute(f"DELETE FROM {table} WHERE _n = 0")
            exprs = ", ".join(f'{e} AS "{n}"' for e, n in zip([*outer_dims, *outer_measures], selected, strict=True))
            rows_sql = f"SELECT {exprs} FROM {table} g WHERE {cond} ORDER BY {order}"
            page_params: list[Any] = list(having_params)
            if limit is not None or offset:
                rows_sql += " LIMIT ? OFFSET ?"
                page_params += [-1 if limit is None else limit, offset]
            rows = conn.execute(rows_sql, page_params).fetchall()
            total = conn.execute(f"SELECT count(*) FROM {table} g WHERE {cond}", having_params).fetchone()[0]
            summary_exprs = [fill(MEASURES[m][0], lambda b: f"SUM(g.{b})") for m in measures]
            summary_row = (
                conn.execute(f"SELECT {', '.join(summary_exprs)} FROM {table} g WHERE {cond}", having_params).fetchone()
                if measures
                else ()
            )
        finally:
            conn.execute(f"DROP TABLE IF EXISTS {table}")
    out_rows = []
    for row in rows:
        item: JsonDict = {}
        for i, name in enumerate(dims):
            item[name] = format_column(row[i], COLUMNS[name])
        for j, name in enumerate(measures):
            item[name] = format_measure(row[len(dims) + j], MEASURES[name][1])
        out_rows.append(item)
    summary: JsonDict = dict.fromkeys(dims)
    for j, name in enumerate(measures):
        summary[name] = format_measure(summary_row[j], MEASURES[name][1])
    return {"rows": out_rows, "total": int(total), "summary": summary, "meta": meta(span)}
