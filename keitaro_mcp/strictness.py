"""Booleans are booleans and numbers are numbers: the two coercions of pydantic's lax mode that hide mistakes.

Lax mode reads `true` as 1 (`campaign_id: true` would fetch campaign 1) and `1`, `"yes"` or `"on"` as true
(`confirm: 1` would confirm a wipe the model never chose). Every params model refuses both before validation: a
field declared bool (or `Literal[True]`) takes only a JSON boolean, a number field never takes a boolean. Digit
strings for numbers (`"7"` for an id) stay accepted: models quote numbers often and nothing is hidden by it.
"""

from __future__ import annotations

import types
from functools import cache
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError, ValidationError

__all__ = ["StrictScalars"]

Kind = Literal["bool", "number"]


def _kind(annotation: Any) -> tuple[Kind, bool] | None:
    """("bool" | "number", is a list of them) for a field's annotation, or None for anything else."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _kind(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        kinds = {_kind(a) for a in get_args(annotation) if a is not type(None)}
        return kinds.pop() if len(kinds) == 1 else None
    if origin is list:
        inner = _kind(get_args(annotation)[0]) if get_args(annotation) else None
        return (inner[0], True) if inner is not None and not inner[1] else None
    if origin is Literal:
        values = get_args(annotation)
        return ("bool", False) if values and all(isinstance(v, bool) for v in values) else None
    if annotation is bool:
        return ("bool", False)
    if annotation in (int, float):
        return ("number", False)
    return None


@cache
def _kinds(model: type[BaseModel]) -> dict[str, tuple[Kind, bool]]:
    kinds: dict[str, tuple[Kind, bool]] = {}
    for name, field in model.model_fields.items():
        kind = _kind(field.annotation)
        if kind is not None:
            kinds[name] = kind
            if field.alias:
                kinds[field.alias] = kind
    return kinds


def _refused(loc: tuple[str | int, ...], kind: Kind, given: Any) -> ValidationError:
    message = "must be true or false" if kind == "bool" else "must be a number, not true or false"
    error = PydanticCustomError(f"strict_{kind}", message)
    return ValidationError.from_exception_data("arguments", [InitErrorDetails(type=error, loc=loc, input=given)])


class StrictScalars(BaseModel):
    """Mixin of every params model: refuses booleans for numbers and anything but booleans for booleans."""

    @model_validator(mode="before")
    @classmethod
    def _strict_scalars(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        kinds = _kinds(cls)
        for key, value in data.items():
            found = kinds.get(key)
            if found is None or value is None:
                continue
            kind, many = found
            items = list(enumerate(value)) if many and isinstance(value, list) else [] if many else [(None, value)]
            for index, item in items:
                if (kind == "bool" and not isinstance(item, bool)) or (kind == "number" and isinstance(item, bool)):
                    raise _refused((key,) if index is None else (key, index), kind, item)
        return data
