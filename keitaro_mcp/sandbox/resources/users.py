"""Tracker users: list, create, read, edit, access rules, delete."""

from __future__ import annotations

from keitaro_mcp.sandbox import models
from keitaro_mcp.sandbox.resources._common import (
    Call,
    Fields,
    JsonDict,
    Reply,
    Route,
    Tracker,
    apply_fields,
    coerce,
    invalid,
    require,
    require_body,
)

__all__ = ["ROUTES"]

USER_FIELDS: Fields = {"login": "str", "type": ("USER", "ADMIN"), "preferences": "obj", "keyCount": "int"}
ACCESS_LEVELS = ("full_access", "read_only", "to_groups_and_selected", "created_by_user_groups_and_selected")


def _check_password(body: JsonDict) -> None:
    if "new_password" in body and body.get("new_password") != body.get("new_password_confirmation"):
        raise invalid("new_password_confirmation", "Passwords do not match")


def create_user(t: Tracker, c: Call) -> JsonDict:
    body = require_body(c.body)
    require(body, "login", "new_password", "new_password_confirmation", "type")
    _check_password(body)
    if any(u["login"] == body["login"] for u in t.store.list_docs("users")):
        raise invalid("login", "Login has already used")
    doc = models.user(t.store.next_id("users"))
    apply_fields(doc, body, USER_FIELDS)
    t.store.save_doc("users", doc)
    return doc


def update_user(t: Tracker, c: Call) -> JsonDict:
    body = require_body(c.body)
    doc = t.get_any("users", c.id())
    _check_password(body)
    apply_fields(doc, body, USER_FIELDS)
    if "keyCount" in body:  # written as keyCount, read as key_count
        doc["key_count"] = doc.pop("keyCount")
    t.store.save_doc("users", doc)
    return doc


def user_access(t: Tracker, c: Call) -> JsonDict:
    body = require_body(c.body)
    doc = t.get_any("users", c.id())
    access = body.get("access_data")
    if not isinstance(access, dict):
        raise invalid("access_data", "Access data is required")
    for key in models.ACCESS_TYPES:
        if key in access:
            doc["access_data"][key] = coerce(key, ACCESS_LEVELS, access[key])
    for key in ("resources", "reports"):
        if key in access:
            doc["access_data"][key] = coerce(key, "list", access[key])
    doc["access_data"]["allowed_resources"] = doc["access_data"]["resources"]
    t.store.save_doc("users", doc)
    return doc


def delete_user(t: Tracker, c: Call) -> Reply:
    t.get_any("users", c.id())
    t.store.delete_doc("users", c.id())
    return Reply({"success": True}, status=201)


ROUTES = [
    Route("GET", "/users", lambda t, c: t.store.list_docs("users")),
    Route("POST", "/users", create_user),
    Route("GET", "/users/{id}", lambda t, c: t.get_any("users", c.id())),
    Route("PUT", "/users/{id}", update_user),
    Route("DELETE", "/users/{id}", delete_user),
    Route("PUT", "/users/{id}/access", user_access),
]
