"""Affiliate networks: list, create, read, edit, clone, archive."""

from __future__ import annotations

from keitaro_mcp.sandbox import models
from keitaro_mcp.sandbox.resources._archivable import archive, clone, crud_routes
from keitaro_mcp.sandbox.resources._common import Fields, Route

__all__ = ["ROUTES"]

NETWORK_FIELDS: Fields = {
    "name": "str",
    "postback_url": "str",
    "offer_param": "str",
    "notes": "str",
    "template_name": "str",
}

ROUTES = [
    *crud_routes("/affiliate_networks", "affiliate_networks", NETWORK_FIELDS, models.affiliate_network),
    Route("DELETE", "/affiliate_networks/{id}", lambda t, c: archive(t, "affiliate_networks", c.id())),
    Route("POST", "/affiliate_networks/{id}/clone", lambda t, c: clone(t, "affiliate_networks", c.id())),
]
