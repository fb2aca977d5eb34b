"""Groups of campaigns, offers, landing pages and domains: list by type, create, rename, delete."""

from __future__ import annotations

from keitaro_mcp.sandbox import models
from keitaro_mcp.sandbox.resources._common import (
    Call,
    Fields,
    JsonDict,
    Route,
    Tracker,
    apply_fields,
    invalid,
    require,
    require_body,
)

__all__ = ["GROUP_TYPES", "ROUTES"]

GROUP_TYPES = ("campaigns", "offers", "landings", "domains")
GROUP_FIELDS: Fields = {"name": "str", "type": GROUP_TYPES, "position": "int"}


def list_groups(t: Tracker, c: Call) -> list[JsonDict]:
    gtype = c.query.get("type")
    if not gtype:
        raise invalid("type", "Type is required")
    if gtype not in GROUP_TYPES:
        raise invalid("type", f"Type must be one of: {', '.join(GROUP_TYPES)}")
    return [g for g in t.store.list_docs("groups") if g["type"] == gtype]


def create_group(t: Tracker, c: Call) -> JsonDict:
    body = require_body(c.body)
    require(body, "name", "type")
    doc = models.group(t.store.next_id("groups"))
    apply_fields(doc, body, GROUP_FIELDS)
    t.store.save_doc("groups", doc)
    return doc


def update_group(t: Tracker, c: Call) -> JsonDict:
    body = require_body(c.body)
    doc = t.get_any("groups", c.id())
    apply_fields(doc, body, GROUP_FIELDS)
    t.store.save_doc("groups", doc)
    return doc


def delete_group(t: Tracker, c: Call) -> JsonDict:
    # A real delete (groups have no archive); members keep their group_id.
    doc = t.get_any("groups", c.id())
    t.store.delete_doc("groups", c.id())
    return doc


ROUTES = [
    Route("GET", "/groups", list_groups),
    Route("POST", "/groups", create_group),
    Route("PUT", "/groups/{id}", update_group),
    Route("DELETE", "/groups/{id}/delete", delete_group),
]
