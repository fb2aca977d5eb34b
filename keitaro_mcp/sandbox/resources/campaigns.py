"""Campaigns: list, create, read, edit, clone, disable/enable, archive/restore, empty the archive,
their flows and their costs.

Live behaviour (reference §4.1, §12.5): create needs ``alias`` and ``name`` (422 keyed by field; the
API does not generate an alias, the UI does); aliases are unique; ``DELETE`` archives and answers
a list; ``streams_count`` is a string; S2S postbacks are part of the campaign document.
"""

from __future__ import annotations

from typing import Any

from keitaro_mcp.sandbox import models
from keitaro_mcp.sandbox.reports import costs
from keitaro_mcp.sandbox.resources._common import (
    Call,
    Fields,
    JsonDict,
    Route,
    Tracker,
    apply_fields,
    bad_request,
    invalid,
    require,
    require_body,
)
from keitaro_mcp.sandbox.resources.flows import copy_flow, stream_view

__all__ = ["ROUTES", "campaign_view"]

CAMPAIGN_FIELDS: Fields = {
    "alias": "str",
    "type": ("position", "weight"),
    "name": "str",
    "cookies_ttl": "int",
    "state": ("active", "disabled", "deleted"),
    "cost_type": ("CPC", "CPUC", "CPM", "RevShare", "CPA", "CPS", "CPUV", "CPV"),
    "cost_value": "dec4",
    "cost_currency": "str",
    "cost_auto": "bool",
    "group_id": "int",
    "bind_visitors": ("", "s", "sl", "slo", None),
    "traffic_source_id": "int",
    "parameters": "obj",
    "token": "str",
    "domain_id": "int",
    "postbacks": "list",
    "notes": "str",
    "uniqueness_method": ("ip", "ip_ua", "cookies", "get_parameter"),
    "uniqueness_use_cookies": "bool",
    "traffic_loss": "dec2",
    "position": "int",
}


def campaign_view(t: Tracker, doc: JsonDict) -> JsonDict:
    out = dict(doc)
    domain_id = out.pop("domain_id", 0)
    domain = t.store.get_doc("domains", int(domain_id)) if domain_id else None
    out["domain"] = f"https://{domain['name']}/" if domain else None
    out["group"] = t.group_name(doc.get("group_id"))
    source = t.store.get_doc("traffic_sources", int(doc.get("traffic_source_id") or 0))
    out["ts"] = source["name"] if source else ""
    row = t.store.one("SELECT count(*) FROM streams WHERE parent_id = ? AND state != 'deleted'", (doc["id"],))
    out["streams_count"] = str(row[0] if row else 0)  # a count sent as a string (S14)
    return out


def list_campaigns(t: Tracker, c: Call) -> list[JsonDict]:
    docs = t.live("campaigns")
    try:
        offset = int(c.query.get("offset") or 0)
        limit = int(c.query["limit"]) if c.query.get("limit") else None
    except ValueError:
        raise bad_request("offset and limit must be integers") from None
    if offset < 0 or (limit is not None and limit < 0):
        raise bad_request("offset and limit must be >= 0")
    docs = docs[offset:] if limit is None else docs[offset : offset + limit]
    return [campaign_view(t, d) for d in docs]


def _alias_taken(t: Tracker, alias: str, except_id: int = 0) -> bool:
    return any(d["alias"] == alias and d["id"] != except_id for d in t.store.list_docs("campaigns"))


def _postbacks(t: Tracker, campaign_id: int, items: list[Any]) -> list[JsonDict]:
    out = []
    for item in items:
        if not isinstance(item, dict) or not item.get("url"):
            raise invalid("postbacks", "Postback URL is required")
        statuses = item.get("statuses") or ["lead", "sale", "rejected"]
        if not isinstance(statuses, list) or any(s not in ("lead", "sale", "rejected", "rebill") for s in statuses):
            raise invalid("postbacks", "Statuses must be lead, sale, rejected or rebill")
        method = str(item.get("method") or "GET").upper()
        if method not in ("GET", "POST"):
            raise invalid("postbacks", "Method must be GET or POST")
        out.append(
            {
                "id": int(item.get("id") or t.store.next_id("postbacks", 1000)),
                "campaign_id": campaign_id,
                "method": method,
                "statuses": statuses,
                "url": str(item["url"]),
            }
        )
    return out


def create_campaign(t: Tracker, c: Call) -> JsonDict:
    body = require_body(c.body)
    require(body, "alias", status=422)
    require(body, "name", status=422)
    doc = models.campaign(t.store.next_id("campaigns"), t.now(), t.rng)
    apply_fields(doc, body, CAMPAIGN_FIELDS)
    if _alias_taken(t, doc["alias"]):
        raise invalid("alias", "Alias has already used", 422)
    doc["parameters"] = models.default_parameters(doc["parameters"])
    doc["postbacks"] = _postbacks(t, doc["id"], doc["postbacks"])
    t.store.save_doc("campaigns", doc)
    return campaign_view(t, doc)


def get_campaign(t: Tracker, c: Call) -> JsonDict:
    return campaign_view(t, t.get_live("campaigns", c.id()))


def update_campaign(t: Tracker, c: Call) -> JsonDict:
    body = require_body(c.body)
    cid = c.id()
    doc = t.get_live("campaigns", cid)
    if "alias" in body and not body["alias"]:
        raise invalid("alias", "Alias is required", 422)
    apply_fields(doc, body, CAMPAIGN_FIELDS)
    if _alias_taken(t, doc["alias"], cid):
        raise invalid("alias", "Alias has already used", 422)
    if "parameters" in body:
        doc["parameters"] = models.default_parameters(doc["parameters"])
    if "postbacks" in body:
        doc["postbacks"] = _postbacks(t, cid, doc["postbacks"])
    doc["updated_at"] = t.now()
    t.store.save_doc("campaigns", doc)
    return campaign_view(t, doc)


def set_state(t: Tracker, cid: int, state: str) -> JsonDict:
    doc = t.get_any("campaigns", cid) if state == "active" else t.get_live("campaigns", cid)
    doc["state"] = state
    doc["updated_at"] = t.now()
    t.store.save_doc("campaigns", doc)
    return campaign_view(t, doc)


def delete_campaign(t: Tracker, c: Call) -> list[JsonDict]:
    # Archive, not a hard delete; the campaign moves to /campaigns/deleted.
    return [set_state(t, c.id(), "deleted")]


def restore_campaign(t: Tracker, c: Call) -> JsonDict:
    doc = t.get_any("campaigns", c.id())
    if doc["state"] != "deleted":
        return campaign_view(t, doc)
    return set_state(t, c.id(), "active")


def clone_campaign(t: Tracker, c: Call) -> JsonDict:
    cid = c.id()
    src = t.get_live("campaigns", cid)
    doc = dict(src)
    doc.update(
        id=t.store.next_id("campaigns"),
        name=f"Copy of {src['name']}",
        alias=models.random_alias(t.rng),
        token=models.random_token(t.rng),
        created_at=t.now(),
        updated_at=t.now(),
    )
    doc["postbacks"] = _postbacks(t, doc["id"], [{k: v for k, v in p.items() if k != "id"} for p in src["postbacks"]])
    t.store.save_doc("campaigns", doc)
    for stream in t.store.list_docs("streams", "parent_id = ? AND state != 'deleted'", (cid,)):
        copy_flow(t, stream, doc["id"])
    return campaign_view(t, doc)


def campaign_flows(t: Tracker, c: Call) -> list[JsonDict]:
    cid = c.id()
    t.get_live("campaigns", cid)
    docs = t.store.list_docs("streams", "parent_id = ? AND state != 'deleted'", (cid,))
    return [stream_view(t, d) for d in sorted(docs, key=lambda d: (d.get("position", 0), d["id"]))]


def clean_archive(t: Tracker, c: Call) -> JsonDict:
    # Empties the whole campaign archive (reference §3.2: the new spec's clean_archive).
    for doc in t.deleted("campaigns"):
        t.store.delete_doc("campaigns", doc["id"])
        t.store.execute("DELETE FROM streams WHERE parent_id = ?", (doc["id"],))
    return {"success": True}


def update_costs(t: Tracker, c: Call) -> JsonDict:
    t.get_live("campaigns", c.id())
    return costs.update_costs(t.store, c.body, c.id())


ROUTES = [
    Route("GET", "/campaigns", list_campaigns),
    Route("POST", "/campaigns", create_campaign),
    Route("GET", "/campaigns/deleted", lambda t, c: [campaign_view(t, d) for d in t.deleted("campaigns")]),
    Route("POST", "/campaigns/clean_archive", clean_archive),
    Route("GET", "/campaigns/{id}", get_campaign),
    Route("PUT", "/campaigns/{id}", update_campaign),
    Route("DELETE", "/campaigns/{id}", delete_campaign),
    Route("POST", "/campaigns/{id}/clone", clone_campaign),
    Route("POST", "/campaigns/{id}/disable", lambda t, c: set_state(t, c.id(), "disabled")),
    Route("POST", "/campaigns/{id}/enable", lambda t, c: set_state(t, c.id(), "active")),
    Route("POST", "/campaigns/{id}/restore", restore_campaign),
    Route("GET", "/campaigns/{id}/streams", campaign_flows),
    Route("POST", "/campaigns/{id}/update_costs", update_costs),
]
