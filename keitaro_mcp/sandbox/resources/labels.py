"""Labels: white/black lists of a campaign's parameter values (``report/labels``)."""

from __future__ import annotations

from keitaro_mcp.sandbox.resources._common import (
    Call,
    JsonDict,
    Route,
    Tracker,
    coerce,
    invalid,
    label,
    require,
    require_body,
)

__all__ = ["ROUTES"]


def get_labels(t: Tracker, c: Call) -> JsonDict:
    query = c.query
    for key in ("campaign_id", "label_name", "ref_name"):
        if not query.get(key):
            raise invalid(key, f"{label(key)} is required")
    cid = coerce("campaign_id", "int", query["campaign_id"])
    rows = t.store.query(
        "SELECT value, label FROM labels WHERE campaign_id = ? AND ref_name = ? AND label = ? ORDER BY value",
        (cid, query["ref_name"], query["label_name"]),
    )
    return {str(r[0]): str(r[1]) for r in rows}


def update_labels(t: Tracker, c: Call) -> JsonDict:
    body = require_body(c.body)
    require(body, "campaign_id", "ref_name")
    cid = coerce("campaign_id", "int", body["campaign_id"])
    items = body.get("items")
    if not isinstance(items, dict):
        raise invalid("items", 'Items must be an object like {"value": "blacklist"}')
    for value, name in items.items():
        if name in (None, "", "none"):  # "none" removes the label
            t.store.execute(
                "DELETE FROM labels WHERE campaign_id = ? AND ref_name = ? AND value = ?",
                (cid, body["ref_name"], value),
            )
        elif name in ("whitelist", "blacklist"):
            t.store.execute(
                "INSERT OR REPLACE INTO labels VALUES (?, ?, ?, ?)", (cid, body["ref_name"], str(value), name)
            )
        else:
            raise invalid("items", "Label must be whitelist or blacklist")
    return {"success": True}


ROUTES = [
    Route("GET", "/report/labels", get_labels),
    Route("POST", "/report/labels", update_labels),
]
