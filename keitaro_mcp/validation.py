"""Turns a pydantic ValidationError into one message that names each field and what is allowed."""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from keitaro_mcp.registry import Operation

__all__ = ["describe_validation_error"]

MAX_INPUT_ECHO = 60


def _field(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(arguments)"


def _allowed(op: Operation[Any], loc: tuple[int | str, ...]) -> list[str]:
    """Field names allowed where an unknown field was given (top level or a nested model)."""
    model: Any = op.params
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        info = getattr(model, "model_fields", {}).get(part)
        if info is None:
            return []
        annotation = info.annotation
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        for candidate in candidates:
            inner = [candidate, *getattr(candidate, "__args__", ())]
            found = next((c for c in inner if hasattr(c, "model_fields")), None)
            if found is not None:
                model = found
                break
        else:
            return []
    fields = getattr(model, "model_fields", {})
    return [f.alias or name for name, f in fields.items()]


def describe_validation_error(op: Operation[Any], exc: ValidationError) -> tuple[str, list[dict[str, str]]]:
    """A one-paragraph message for the model and a per-field list for responseData."""
    problems: list[dict[str, str]] = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        kind = err["type"]
        if kind == "extra_forbidden":
            allowed = _allowed(op, loc)
            problem = "unknown field" + (f"; allowed: {', '.join(allowed)}" if allowed else "")
        elif kind == "missing":
            problem = "required"
        else:
            problem = err["msg"]
            given = err.get("input")
            if isinstance(given, str | int | float | bool) and kind not in ("value_error",):
                shown = repr(given)
                if len(shown) > MAX_INPUT_ECHO:
                    shown = shown[:MAX_INPUT_ECHO] + "..."
                problem += f" (got {shown})"
        # Union members add their type to the location (e.g. "int", "str"); the field name is what matters.
        clean = tuple(p for p in loc if not (isinstance(p, str) and p in _TYPE_TAGS))
        if kind == "value_error":
            problem = problem.removeprefix("Value error, ")
            # A model-level check names its field first ("measures: give at least one ..."): use it as the field.
            named = _LEADING_FIELD.match(problem)
            if not clean and named:
                clean, problem = (named.group(1),), problem[named.end() :]
        problems.append({"field": _field(clean), "problem": problem})
    listed = "; ".join(f"{p['field']}: {p['problem']}" for p in problems)
    return f"Invalid arguments for {op.name}: {listed}", problems


_LEADING_FIELD = re.compile(r"^([a-z_][a-z0-9_]*): ")
_TYPE_TAGS = frozenset({"int", "str", "float", "bool", "list[str]", "list[int]", "dict[str,any]", "none"})
