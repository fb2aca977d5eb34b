"""Flows (Keitaro's "streams"): create, read, edit, disable/enable, archive/restore, search, and the
catalogues of flow types, schemas, actions and filters.

Live behaviour (reference §4.2): PUT replaces the offer and landing sets whole; a binding to the
same offer/landing keeps its id and ``created_at``; duplicates in a request collapse into one.
The read schema spells the trigger target "taget": both keys are sent.
"""

from __future__ import annotations

from typing import Any

from keitaro_mcp.sandbox import models
from keitaro_mcp.sandbox.resources._common import (
    Call,
    Fields,
    JsonDict,
    Route,
    Tracker,
    apply_fields,
    coerce,
    invalid,
    label,
    require,
    require_body,
)
from keitaro_mcp.sandbox.resources.flow_catalogs import STREAM_ACTIONS, STREAM_FILTERS, STREAM_SCHEMAS, STREAM_TYPES

__all__ = ["ROUTES", "copy_flow", "stream_view"]

STREAM_FIELDS: Fields = {
    "campaign_id": "int",
    "type": ("forced", "regular", "default"),
    "name": "str",
    "position": "int",
    "weight": "num",
    "action_options": "any",
    "comments": "any",
    "state": ("active", "disabled", "deleted"),
    "action_type": "str",
    "action_payload": "any",
    "schema": ("landings", "redirect", "action"),
    "collect_clicks": "bool",
    "filter_or": "bool",
    "offer_selection": ("before_click", "after_click"),
    "filters": "list",
    "triggers": "list",
    "landings": "list",
    "offers": "list",
}


def stream_view(t: Tracker, doc: JsonDict) -> JsonDict:
    out = dict(doc)
    out["triggers"] = [{**tr, "taget": tr.get("target", "")} for tr in doc.get("triggers", [])]
    return out


def _filters(t: Tracker, sid: int, items: Any) -> list[JsonDict]:
    if not isinstance(items, list):
        raise invalid("filters", "Filters must be an array")
    out = []
    for item in items:
        if not isinstance(item, dict):
            raise invalid("filters", "Filter must be an object")
        require(item, "name", "mode")
        if item["mode"] not in ("accept", "reject"):
            raise invalid("mode", "Mode must be accept or reject")
        payload = item.get("payload")
        out.append(
            {
                "id": t.store.next_id("filters", 5000),
                "stream_id": sid,
                "name": str(item["name"]),
                "mode": item["mode"],
                "payload": payload,  # returned as sent (array or string)
                "oid": "",
            }
        )
    return out


def _triggers(t: Tracker, sid: int, items: Any) -> list[JsonDict]:
    if not isinstance(items, list):
        raise invalid("triggers", "Triggers must be an array")
    out = []
    for item in items:
        if not isinstance(item, dict):
            raise invalid("triggers", "Trigger must be an object")
        target = item.get("target", item.get("taget"))
        require({**item, "target": target}, "condition", "target", "action")
        trig = {
            "id": t.store.next_id("triggers", 700),
            "stream_id": sid,
            "oid": 0,
            "target": target,
            "condition": item["condition"],
            "action": item["action"],
            "selected_page": str(item.get("selected_page") or ""),
            "pattern": str(item.get("pattern") or ""),
            "interval": coerce("interval", "int", item.get("interval", 3600)),
            "next_run_at": t.clock() + 3600,
            "alternative_urls": str(item.get("alternative_urls") or ""),
            "grab_from_page": str(item.get("grab_from_page") or ""),
            "av_settings": str(item.get("av_settings") or ""),
            "reverse": bool(item.get("reverse", False)),
            "enabled": True,
            "scan_page": bool(item.get("scan_page", False)),
        }
        out.append(trig)
    return out


def _bindings(t: Tracker, sid: int, items: Any, existing: list[JsonDict], key: str, field: str) -> list[JsonDict]:
    """Replace a flow's offer or landing set (see the module docstring)."""
    if not isinstance(items, list):
        raise invalid(field, f"{label(field)} must be an array")
    by_ref = {int(b[key]): b for b in existing}
    seen: set[int] = set()
    out = []
    now = t.now()
    for item in items:
        if not isinstance(item, dict):
            raise invalid(field, f"{label(field)} item must be an object")
        require(item, key)
        ref = coerce(key, "int", item[key])
        share = coerce("share", "int", item.get("share", 100))
        state = item.get("state") or "active"
        if state not in ("active", "disabled"):
            raise invalid("state", "State must be active or disabled")
        if ref in seen:
            continue
        seen.add(ref)
        old = by_ref.get(ref)
        out.append(
            {
                "id": old["id"] if old else t.store.next_id("bindings"),
                "stream_id": sid,
                key: ref,
                "state": state,
                "share": share,
                "created_at": old["created_at"] if old else now,
                "updated_at": now,
            }
        )
    return out


def copy_flow(t: Tracker, stream: JsonDict, campaign_id: int) -> None:
    """Save a copy of a flow (new ids for it, its filters, triggers and bindings) under another campaign."""
    copy = dict(stream)
    copy.update(id=t.store.next_id("streams"), campaign_id=campaign_id, updated_at=t.now())
    copy["filters"] = _filters(t, copy["id"], stream.get("filters", []))
    copy["triggers"] = _triggers(t, copy["id"], stream.get("triggers", []))
    copy["offers"] = _bindings(t, copy["id"], stream.get("offers", []), [], "offer_id", "offers")
    copy["landings"] = _bindings(t, copy["id"], stream.get("landings", []), [], "landing_id", "landings")
    t.store.save_doc("streams", copy, campaign_id)


def _apply(t: Tracker, doc: JsonDict, body: JsonDict, new: bool) -> None:
    simple = {k: v for k, v in body.items() if k not in ("filters", "triggers", "offers", "landings", "campaign_id")}
    apply_fields(doc, simple, STREAM_FIELDS)
    sid = doc["id"]
    if "filters" in body:
        doc["filters"] = _filters(t, sid, body["filters"] or [])
    if "triggers" in body:
        doc["triggers"] = _triggers(t, sid, body["triggers"] or [])
    if "offers" in body:
        doc["offers"] = _bindings(t, sid, body["offers"] or [], [] if new else doc["offers"], "offer_id", "offers")
    if "landings" in body:
        existing = [] if new else doc["landings"]
        doc["landings"] = _bindings(t, sid, body["landings"] or [], existing, "landing_id", "landings")
    doc["updated_at"] = t.now()


def create_flow(t: Tracker, c: Call) -> JsonDict:
    body = require_body(c.body)
    require(body, "campaign_id", "schema", "type", "name", "action_type")
    cid = coerce("campaign_id", "int", body["campaign_id"])
    if t.store.get_doc("campaigns", cid) is None:
        raise invalid("campaign_id", "Campaign not found", 422)
    doc = models.stream(t.store.next_id("streams"), cid, t.now())
    _apply(t, doc, body, new=True)
    t.store.save_doc("streams", doc, cid)
    return stream_view(t, doc)


def get_flow(t: Tracker, c: Call) -> JsonDict:
    return stream_view(t, t.get_live("streams", c.id()))


def update_flow(t: Tracker, c: Call) -> JsonDict:
    body = require_body(c.body)
    doc = t.get_live("streams", c.id())
    if "campaign_id" in body:
        cid = coerce("campaign_id", "int", body["campaign_id"])
        if t.store.get_doc("campaigns", cid) is None:
            raise invalid("campaign_id", "Campaign not found", 422)
        doc["campaign_id"] = cid
    _apply(t, doc, body, new=False)
    t.store.save_doc("streams", doc, doc["campaign_id"])
    return stream_view(t, doc)


def set_state(t: Tracker, sid: int, state: str, allow_deleted: bool = False) -> JsonDict:
    doc = t.get_any("streams", sid) if allow_deleted else t.get_live("streams", sid)
    doc["state"] = state
    doc["updated_at"] = t.now()
    t.store.save_doc("streams", doc, doc["campaign_id"])
    return stream_view(t, doc)


def search_flows(t: Tracker, c: Call) -> list[JsonDict]:
    query = c.query.get("query", "")
    if not query:
        raise invalid("query", "Query is required")
    needle = query.lower()
    hits = []
    for doc in t.live("streams"):
        text = " ".join(str(doc.get(k) or "") for k in ("name", "action_payload", "comments")).lower()
        if needle in text or needle == str(doc["id"]):
            hits.append(stream_view(t, doc))
    return hits


ROUTES = [
    Route("POST", "/streams", create_flow),
    Route("GET", "/streams/deleted", lambda t, c: [stream_view(t, d) for d in t.deleted("streams")]),
    Route("GET", "/streams/search", search_flows),
    Route("GET", "/streams/{id}", get_flow),
    Route("PUT", "/streams/{id}", update_flow),
    Route("DELETE", "/streams/{id}", lambda t, c: set_state(t, c.id(), "deleted")),
    Route("POST", "/streams/{id}/disable", lambda t, c: set_state(t, c.id(), "disabled")),
    Route("POST", "/streams/{id}/enable", lambda t, c: set_state(t, c.id(), "active")),
    Route("POST", "/streams/{id}/restore", lambda t, c: set_state(t, c.id(), "active", allow_deleted=True)),
    Route("GET", "/streams/{id}/events", get_flow),
    Route("GET", "/stream_types", lambda t, c: STREAM_TYPES),
    Route("GET", "/stream_schemas", lambda t, c: STREAM_SCHEMAS),
    Route("GET", "/streams_actions", lambda t, c: STREAM_ACTIONS),
    Route("GET", "/stream_filters", lambda t, c: STREAM_FILTERS),
]
