"""Input schemas built from the params models: inline $defs, no pydantic titles, no unknown fields."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel

__all__ = ["input_schema"]


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            target = _inline(defs[ref.removeprefix("#/$defs/")], defs)
            extra = {k: _inline(v, defs) for k, v in node.items() if k != "$ref"}
            return {**target, **extra}
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "title" and isinstance(value, str):
                continue  # pydantic's titles repeat the field name: tokens for nothing
            if key == "properties" and isinstance(value, dict):
                # Property names may themselves be "title"; only drop the titles *of* schemas.
                out[key] = {name: _inline(sub, defs) for name, sub in value.items()}
            else:
                out[key] = _inline(value, defs)
        return out
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


_WIRE_ONLY_AT_ROOT = ("additionalProperties",)
_SERVER_SIDE_ONLY = ("minLength", "maxLength", "minimum")


def _trim_nested(node: Any, *, root: bool) -> Any:
    """Keywords the server enforces anyway, kept off the wire where they cost tokens and teach the model nothing.

    `additionalProperties: false` stays on the root (the contract); nested objects are still validated with
    extra="forbid". String lengths and lower bounds (ids >= 1, amounts >= 0: what any id or amount is) are
    checked on the server and named in the error. Formats are checked by validators (a field's description says
    a format in words, e.g. "YYYY-MM-DD", which a model follows better than a regex); a `pattern` in a model is
    a closed vocabulary or a real constraint and is published. Upper bounds (limits) stay: they inform.
    """
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                out[key] = {name: _trim_nested(sub, root=False) for name, sub in value.items()}
            elif key in _SERVER_SIDE_ONLY or (key in _WIRE_ONLY_AT_ROOT and value is False and not root):
                # Only `false` goes: a schema under additionalProperties describes a dict's values and stays.
                continue
            elif key == "additionalProperties" and value is True:
                # JSON Schema's default: an open object (free-form dict) says the same without it.
                continue
            else:
                out[key] = _trim_nested(value, root=False)
        return out
    if isinstance(node, list):
        return [_trim_nested(v, root=False) for v in node]
    return node


def _drop_implied_types(node: Any) -> Any:
    """`enum` already fixes the type: `{"enum": [...], "type": "string"}` says the same with fewer tokens."""
    if isinstance(node, dict):
        out = {k: _drop_implied_types(v) for k, v in node.items()}
        if "enum" in out and out.get("type") in ("string", "integer"):
            del out["type"]
        return out
    if isinstance(node, list):
        return [_drop_implied_types(v) for v in node]
    return node


def _simplify_optional(node: Any) -> Any:
    """`anyOf: [X, {type: null}]` with a null default becomes X: "not given" is expressed by omission."""
    if isinstance(node, dict):
        node = {k: _simplify_optional(v) for k, v in node.items()}
        any_of = node.get("anyOf")
        if isinstance(any_of, list) and node.get("default", "missing") is None:
            non_null = [s for s in any_of if s != {"type": "null"}]
            if len(non_null) == 1 and len(non_null) < len(any_of):
                rest = {k: v for k, v in node.items() if k not in ("anyOf", "default")}
                return {**non_null[0], **rest}
            if len(non_null) < len(any_of):
                rest = {k: v for k, v in node.items() if k not in ("anyOf", "default")}
                return {"anyOf": non_null, **rest}
        return node
    if isinstance(node, list):
        return [_simplify_optional(v) for v in node]
    return node


@cache
def input_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The tool's inputSchema: portable JSON Schema with every $ref inlined and `additionalProperties: false`."""
    raw = model.model_json_schema(by_alias=True)
    defs = raw.pop("$defs", {})
    schema: dict[str, Any] = _trim_nested(_drop_implied_types(_simplify_optional(_inline(raw, defs))), root=True)
    schema.pop("description", None)  # the class docstring is the tool description, not repeated here
    schema["type"] = "object"
    schema.setdefault("properties", {})
    schema["additionalProperties"] = False
    return schema
