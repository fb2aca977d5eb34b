"""Domains: list, create, read, edit, check, archive/restore, the archive."""

from __future__ import annotations

from keitaro_mcp.sandbox import models
from keitaro_mcp.sandbox.resources._archivable import archive, restore, update
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

__all__ = ["ROUTES"]

DOMAIN_FIELDS: Fields = {
    "name": "str",
    "default_campaign_id": "int",
    "wildcard": "bool",
    "catch_not_found": "bool",
    "notes": "str",
    "ssl_redirect": "bool",
    "allow_indexing": "bool",
    "is_ssl": "bool",
    "state": ("active", "deleted"),
    "group_id": "int",
}


def domain_view(t: Tracker, doc: JsonDict) -> JsonDict:
    row = t.store.query("SELECT doc FROM campaigns WHERE state != 'deleted'")
    count = sum(1 for r in row if f'"domain_id": {doc["id"]},' in r[0])
    return {**doc, "default_campaign": doc.get("default_campaign_id", 0), "campaigns_count": count}


def create_domain(t: Tracker, c: Call) -> list[JsonDict]:
    body = require_body(c.body)
    require(body, "name")
    name = str(body["name"]).strip().lower()
    if any(d["name"] == name for d in t.live("domains")):
        raise invalid("name", "Domain already exists")
    doc = models.domain(t.store.next_id("domains"), t.now())
    apply_fields(doc, body, DOMAIN_FIELDS)
    doc["name"] = name
    doc["default_campaign"] = doc["default_campaign_id"]
    t.store.save_doc("domains", doc)
    # The spec declares the create response as an array of domains.
    return [domain_view(t, doc)]


def check_domain(t: Tracker, c: Call) -> JsonDict:
    doc = t.get_live("domains", c.id())
    doc["network_status"] = "active"
    doc["updated_at"] = t.now()
    t.store.save_doc("domains", doc)
    return domain_view(t, doc)


ROUTES = [
    Route("GET", "/domains", lambda t, c: [domain_view(t, d) for d in t.live("domains")]),
    Route("POST", "/domains", create_domain),
    Route("GET", "/domains/deleted", lambda t, c: [domain_view(t, d) for d in t.deleted("domains")]),
    Route("GET", "/domains/{id}", lambda t, c: domain_view(t, t.get_live("domains", c.id()))),
    Route("PUT", "/domains/{id}", lambda t, c: domain_view(t, update(t, "domains", c.id(), c.body, DOMAIN_FIELDS))),
    Route("DELETE", "/domains/{id}", lambda t, c: domain_view(t, archive(t, "domains", c.id()))),
    Route("POST", "/domains/{id}/check", check_domain),
    Route("POST", "/domains/{id}/restore", lambda t, c: domain_view(t, restore(t, "domains", c.id()))),
]
