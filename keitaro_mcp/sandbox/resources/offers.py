"""Offers: list, create, read, edit, clone, archive, and the local offer's files."""

from __future__ import annotations

from keitaro_mcp.sandbox import models
from keitaro_mcp.sandbox.resources._archivable import archive, clone, crud_routes
from keitaro_mcp.sandbox.resources._common import Fields, JsonDict, Route, Tracker
from keitaro_mcp.sandbox.resources._files import file_routes

__all__ = ["ROUTES"]

OFFER_FIELDS: Fields = {
    "name": "str",
    "group_id": "int",
    "offer_type": ("local", "external", "preloaded", "action"),
    "action_type": "str",
    "action_payload": "any",
    "action_options": "any",
    "affiliate_network_id": "int",
    "payout_value": "num",
    "payout_currency": "str",
    "payout_type": ("CPA", "CPC"),
    "state": ("active", "deleted"),
    "payout_auto": "bool",
    "payout_upsell": "bool",
    "country": "list",
    "notes": "str",
    "archive": "str",
    "conversion_cap_enabled": "bool",
    "daily_cap": "num",
    "conversion_timezone": "str",
    "alternative_offer_id": "int",
}


def offer_view(t: Tracker, doc: JsonDict) -> JsonDict:
    out = dict(doc)
    network = t.store.get_doc("affiliate_networks", int(doc.get("affiliate_network_id") or 0))
    out["affiliate_network"] = network["name"] if network else ""
    out["group"] = t.group_name(doc.get("group_id"))
    return out


ROUTES = [
    *crud_routes("/offers", "offers", OFFER_FIELDS, models.offer, offer_view),
    # Offers archive on their own path; a plain DELETE /offers/{id} is not an Admin API operation.
    Route("DELETE", "/offers/{id}/archive", lambda t, c: offer_view(t, archive(t, "offers", c.id()))),
    Route("POST", "/offers/{id}/clone", lambda t, c: offer_view(t, clone(t, "offers", c.id()))),
    *file_routes("/offers", "offers"),
]
