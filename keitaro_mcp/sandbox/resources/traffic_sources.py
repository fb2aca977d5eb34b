"""Traffic sources: list, create, read, edit, clone, archive."""

from __future__ import annotations

from keitaro_mcp.sandbox import models
from keitaro_mcp.sandbox.resources._archivable import archive, clone, crud_routes
from keitaro_mcp.sandbox.resources._common import Fields, JsonDict, Route

__all__ = ["ROUTES"]

SOURCE_FIELDS: Fields = {
    "name": "str",
    "postback_url": "str",
    "postback_statuses": "list",
    "template_name": "str",
    "accept_parameters": "bool",
    "parameters": "obj",
    "notes": "str",
    "state": ("active", "disabled", "deleted"),
    "traffic_loss": "num",
}


def _parameters(doc: JsonDict, body: JsonDict) -> None:
    # Every source parameter is always present; a partial set is completed with the defaults.
    if "parameters" in body:
        doc["parameters"] = models.default_parameters(doc["parameters"])


ROUTES = [
    *crud_routes("/traffic_sources", "traffic_sources", SOURCE_FIELDS, models.traffic_source, hook=_parameters),
    Route("DELETE", "/traffic_sources/{id}", lambda t, c: archive(t, "traffic_sources", c.id())),
    Route("POST", "/traffic_sources/{id}/clone", lambda t, c: clone(t, "traffic_sources", c.id())),
]
