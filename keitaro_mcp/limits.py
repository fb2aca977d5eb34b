"""Size limits on tool arguments, checked before validation and before any request.

A model (or a hostile client) can send a 10 MB string or a list of a million ids; pydantic would accept many of
them and the tracker would get a request it cannot serve. A NUL character is refused in every string and key.
`oversized` walks the arguments once, iteratively (no recursion limit to hit), and stops at the first value past a
limit.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["MAX_DEPTH", "MAX_ITEMS", "MAX_STRING", "MAX_TOTAL", "NUL_PROBLEM", "oversized"]

MAX_TOTAL = 1_000_000
"""Bytes of the arguments as JSON (approximate: strings counted by length, scalars by their text)."""
MAX_ITEMS = 10_000
"""Elements of one list, or keys of one object."""
MAX_STRING = 100_000
"""Characters of one string (values and keys)."""
MAX_DEPTH = 32
"""Nesting of lists and objects."""
NUL_PROBLEM = "contains a NUL character (\\u0000); no field takes one"
"""NUL ends a string in C and in many file and database APIs: a name that differs after it is not what it seems."""


def _name(path: tuple[str | int, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "(arguments)"


def oversized(arguments: dict[str, Any]) -> tuple[str, str] | None:
    """(field, problem) for the first value past a limit, or None when the arguments fit."""
    total = 2
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), arguments)]
    while stack:
        path, value = stack.pop()
        if len(path) > MAX_DEPTH:
            return _name(path), f"nested deeper than {MAX_DEPTH} levels"
        if isinstance(value, str):
            if len(value) > MAX_STRING:
                return _name(path), f"string of {len(value):,} characters; at most {MAX_STRING:,}"
            if "\x00" in value:
                return _name(path), NUL_PROBLEM
            total += len(value) + 3
        elif isinstance(value, dict):
            if len(value) > MAX_ITEMS:
                return _name(path), f"object with {len(value):,} keys; at most {MAX_ITEMS:,}"
            for key, item in value.items():
                key_text = str(key)
                if len(key_text) > MAX_STRING:
                    return _name(path), f"key of {len(key_text):,} characters; at most {MAX_STRING:,}"
                if "\x00" in key_text:
                    return _name(path), f"a key {NUL_PROBLEM}"
                total += len(key_text) + 4
                stack.append(((*path, key_text), item))
        elif isinstance(value, list | tuple):
            if len(value) > MAX_ITEMS:
                return _name(path), f"list of {len(value):,} items; at most {MAX_ITEMS:,}"
            total += 2 + len(value)
            stack.extend(((*path, i), item) for i, item in enumerate(value))
        elif isinstance(value, int):
            # str() of a huge int raises (Python's 4,300-digit limit), and no tracker field is wider than 64 bits.
            if not -(2**63) <= value < 2**63:
                return _name(path), "integer outside the 64-bit range"
            total += 20
        elif isinstance(value, float):
            if not math.isfinite(value):
                return _name(path), f"{value} is not a JSON number"
            total += 24
        else:
            total += 5
        if total > MAX_TOTAL:
            return _name(path[:1]), f"arguments exceed {MAX_TOTAL:,} bytes of JSON"
    return None
