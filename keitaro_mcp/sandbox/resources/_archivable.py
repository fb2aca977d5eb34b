"""Shared by the archivable entities (offers, landing pages, affiliate networks, traffic sources,
domains): create, partial update, archive, restore and clone, and the four routes they all have.

Live behaviour (reference §4): create answers 200 with the object; ``DELETE`` archives; a clone
is named "Copy of ..." and copies the entity's local files.
"""

from __future__ import annotations

from collections.abc import Callable

from keitaro_mcp.sandbox.resources._common import (
    Fields,
    JsonDict,
    Route,
    Tracker,
    apply_fields,
    invalid,
    require,
    require_body,
)

__all__ = ["Factory", "Hook", "View", "archive", "clone", "create", "crud_routes", "restore", "update"]

Factory = Callable[[int, str], JsonDict]
View = Callable[[Tracker, JsonDict], JsonDict]
Hook = Callable[[JsonDict, JsonDict], None]
"""Called with (document, request body) after the fields are applied, before saving."""


def _plain(t: Tracker, doc: JsonDict) -> JsonDict:
    return doc


def create(
    t: Tracker, table: str, body: object, fields: Fields, factory: Factory, hook: Hook | None = None
) -> JsonDict:
    body = require_body(body)
    require(body, "name")
    doc = factory(t.store.next_id(table), t.now())
    apply_fields(doc, body, fields)
    if hook:
        hook(doc, body)
    t.store.save_doc(table, doc)
    return doc


def update(t: Tracker, table: str, entity_id: int, body: object, fields: Fields, hook: Hook | None = None) -> JsonDict:
    body = require_body(body)
    doc = t.get_live(table, entity_id)
    if "name" in body and not body["name"]:
        raise invalid("name", "Name is required")
    apply_fields(doc, body, fields)
    if hook:
        hook(doc, body)
    if "updated_at" in doc:
        doc["updated_at"] = t.now()
    t.store.save_doc(table, doc)
    return doc


def archive(t: Tracker, table: str, entity_id: int) -> JsonDict:
    doc = t.get_live(table, entity_id)
    doc["state"] = "deleted"
    if "updated_at" in doc:
        doc["updated_at"] = t.now()
    t.store.save_doc(table, doc)
    return doc


def restore(t: Tracker, table: str, entity_id: int) -> JsonDict:
    doc = t.get_any(table, entity_id)
    doc["state"] = "active"
    t.store.save_doc(table, doc)
    return doc


def clone(t: Tracker, table: str, entity_id: int) -> JsonDict:
    src = t.get_live(table, entity_id)
    doc = dict(src)
    doc.update(id=t.store.next_id(table), name=f"Copy of {src['name']}")
    if "created_at" in doc:
        doc["created_at"] = doc["updated_at"] = t.now()
    t.store.save_doc(table, doc)
    for row in t.store.query("SELECT path, data FROM files WHERE owner = ? AND owner_id = ?", (table, entity_id)):
        t.store.execute("INSERT INTO files VALUES (?, ?, ?, ?)", (table, doc["id"], row[0], row[1]))
    return doc


def crud_routes(
    base: str, table: str, fields: Fields, factory: Factory, view: View = _plain, hook: Hook | None = None
) -> list[Route]:
    """``GET base`` (live entities), ``POST base``, ``GET base/{id}``, ``PUT base/{id}``."""
    return [
        Route("GET", base, lambda t, c: [view(t, d) for d in t.live(table)]),
        Route("POST", base, lambda t, c: view(t, create(t, table, c.body, fields, factory, hook))),
        Route("GET", f"{base}/{{id}}", lambda t, c: view(t, t.get_live(table, c.id()))),
        Route("PUT", f"{base}/{{id}}", lambda t, c: view(t, update(t, table, c.id(), c.body, fields, hook))),
    ]
