"""The tracker's own logs (system, traffic, postbacks, ssl, sent postbacks): types, read, clear."""

from __future__ import annotations

from typing import Any

from keitaro_mcp.sandbox.resources._common import Call, JsonDict, Route, Tracker, bad_request, coerce, invalid
from keitaro_mcp.sandbox.store import fmt_ts

__all__ = ["LOG_TYPES", "ROUTES"]

LOG_TYPES = ["system", "traffic", "postbacks", "ssl", "sent_postbacks"]


def _log_type(c: Call) -> str:
    log_type = str(c.params["type"])
    if log_type not in LOG_TYPES:
        raise bad_request(f"Unknown log type {log_type!r}; valid: {', '.join(LOG_TYPES)}")
    return log_type


def get_log(t: Tracker, c: Call) -> list[JsonDict]:
    log_type = _log_type(c)
    query = c.query
    if not query.get("limit"):
        raise invalid("limit", "Limit is required")
    limit = coerce("limit", "int", query["limit"])
    offset = coerce("offset", "int", query.get("offset") or 0)
    sql = "SELECT dt, jid, message FROM logs WHERE type = ?"
    params: list[Any] = [log_type]
    if query.get("query"):
        sql += " AND instr(lower(message), lower(?)) > 0"
        params.append(query["query"])
    sql += " ORDER BY id DESC LIMIT ? OFFSET ?"
    rows = t.store.query(sql, [*params, max(limit, 0), max(offset, 0)])
    return [{"datetime": fmt_ts(r[0]), "jid": r[1], "message": r[2]} for r in rows]


def clear_log(t: Tracker, c: Call) -> JsonDict:
    t.store.execute("DELETE FROM logs WHERE type = ?", (_log_type(c),))
    return {"success": True}


ROUTES = [
    Route("POST", "/logs/types", lambda t, c: LOG_TYPES),  # a POST in Keitaro's API, though it only reads
    Route("GET", "/logs/{type}", get_log),
    Route("DELETE", "/logs/{type}", clear_log),
]
