"""Shared by every resource family: request-value coercion, field application, required checks,
and (re-exported, so a family module imports its helpers from one place) the route types, the
tracker state and Keitaro's error answers.

A field table maps a field to its kind: ``str``, ``int``, ``num``, ``bool``, ``dec2``/``dec4``
(decimals Keitaro sends as fixed-scale strings), ``obj``, ``list``, ``any``, or a tuple of the
allowed values. Unknown body fields are ignored, as Keitaro ignores them.
"""

from __future__ import annotations

from typing import Any

from keitaro_mcp.sandbox import models
from keitaro_mcp.sandbox.errors import HttpError, bad_request, invalid, not_found
from keitaro_mcp.sandbox.routing import Call, Reply, Route
from keitaro_mcp.sandbox.state import Tracker
from keitaro_mcp.sandbox.store import JsonDict

__all__ = [
    "Call",
    "Fields",
    "HttpError",
    "JsonDict",
    "Reply",
    "Route",
    "Tracker",
    "apply_fields",
    "bad_request",
    "coerce",
    "invalid",
    "label",
    "not_found",
    "require",
    "require_body",
]

Fields = dict[str, Any]


def label(field: str) -> str:
    """How Keitaro names a field in its messages: ``campaign_id`` -> ``Campaign id``."""
    return field.replace("_", " ").capitalize()


def coerce(field: str, kind: Any, value: Any) -> Any:
    """Convert a request value, raising a 406 keyed by the field when it can't be used."""
    if isinstance(kind, tuple):
        if value not in kind:
            shown = ", ".join(str(k) for k in kind if k not in (None, ""))
            raise invalid(field, f"{label(field)} must be one of: {shown}")
        return value
    try:
        if kind == "str":
            if value is None:
                return ""
            if isinstance(value, (dict, list)):
                raise ValueError
            return str(value)
        if kind == "int":
            if value in (None, ""):
                return 0
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            return int(value)
        if kind in ("num", "dec2", "dec4"):
            if value in (None, ""):
                value = 0
            if isinstance(value, bool):
                raise ValueError
            number = float(value)
            if kind == "dec2":
                return models.decimal_str(number, 2)
            if kind == "dec4":
                return models.decimal_str(number, 4)
            return int(number) if number.is_integer() else number
        if kind == "bool":
            if isinstance(value, bool):
                return value
            if value in (0, 1, "0", "1", "true", "false"):
                return value in (1, "1", "true")
            raise ValueError
        if kind == "obj":
            if not isinstance(value, dict):
                raise ValueError
            return value
        if kind == "list":
            if not isinstance(value, list):
                raise ValueError
            return value
    except (TypeError, ValueError, OverflowError):
        raise invalid(field, f"{label(field)} has an invalid value") from None
    return value


def apply_fields(doc: JsonDict, body: JsonDict, fields: Fields) -> None:
    """Write the body's known fields into the document, coerced (PUT is partial; arrays are replaced whole)."""
    for key, value in body.items():
        if key in fields:
            doc[key] = coerce(key, fields[key], value)


def require_body(body: Any) -> JsonDict:
    """The JSON object body (no body reads as ``{}``), or a 400."""
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise bad_request("Request body must be a JSON object")
    return body


def require(body: JsonDict, *fields: str, status: int = 406) -> None:
    """A missing or empty field is ``{field: ["<Field> is required"]}`` with ``status``."""
    for field in fields:
        if body.get(field) in (None, ""):
            raise invalid(field, f"{label(field)} is required", status)
