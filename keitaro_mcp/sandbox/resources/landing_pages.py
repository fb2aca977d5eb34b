"""Landing pages: list, create, read, edit, clone (a PUT, as in Keitaro), archive, and their files."""

from __future__ import annotations

from keitaro_mcp.sandbox import models
from keitaro_mcp.sandbox.resources._archivable import archive, clone, crud_routes
from keitaro_mcp.sandbox.resources._common import Fields, JsonDict, Route, Tracker
from keitaro_mcp.sandbox.resources._files import file_routes

__all__ = ["ROUTES"]

LANDING_FIELDS: Fields = {
    "name": "str",
    "action_payload": "any",
    "action_options": "any",
    "group_id": "int",
    "state": ("active", "disabled", "deleted"),
    "landing_type": ("local", "external", "preloaded", "action"),
    "action_type": ("local_file", "http", "curl", "status404", "show_text", "show_html"),
    "url": "str",
    "archive": "str",
    "notes": "str",
}


def landing_view(t: Tracker, doc: JsonDict) -> JsonDict:
    return {**doc, "group": t.group_name(doc.get("group_id"))}


ROUTES = [
    *crud_routes("/landing_pages", "landings", LANDING_FIELDS, models.landing, landing_view),
    Route("DELETE", "/landing_pages/{id}", lambda t, c: landing_view(t, archive(t, "landings", c.id()))),
    Route("PUT", "/landing_pages/{id}/clone", lambda t, c: landing_view(t, clone(t, "landings", c.id()))),
    *file_routes("/landing_pages", "landings"),
]
