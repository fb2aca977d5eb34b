"""Compact answers: report rows as a header plus value arrays, numbers as numbers, and a result budget.

A 50-row report as a list of objects repeats every column name 50 times; `{columns, rows: [[...]]}` says them once
(measured in benchmarks/report_tokens.py). Keitaro sends many numbers as strings ("12.50"); measures and numeric id
columns become numbers, while text columns (sub_id_N, keyword) stay text even when they look numeric.

The result budget keeps any tool result under `DEFAULT_MAX_TOKENS`: a list result (or the `rows` of a compact
table) is cut to what fits, with `meta.truncated`, `meta.total` and, when the tool pages, `meta.next_offset`.
Tokens are estimated cheaply from the JSON text by character class (digits go three to a token in cl100k, hex ids
and random keys split finely, Cyrillic about one per letter); tests check the estimate is an upper bound against the
cl100k encoder on report rows, click logs, ids, keys and Cyrillic names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from keitaro_mcp.envelope import Envelope, to_json

__all__ = [
    "DEFAULT_MAX_TOKENS",
    "apply_budget",
    "compact_rows",
    "estimate_tokens",
    "to_number",
]

DEFAULT_MAX_TOKENS = 8_000
_PIECES = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+|\s+|[^\x00-\x7f]|.")


def _text_tokens(text: str) -> int:
    """An upper estimate of cl100k tokens: words (split at capitals) about four letters a token, capitals two,
    digits three, anything else (punctuation, white space runs, non-ASCII letters) one each. Random mixed-case keys
    come out near their true count, everything else above it."""
    n = 0
    for m in _PIECES.finditer(text):
        piece = m.group()
        first = piece[0]
        if first.isascii() and first.isalpha():
            n += -(-len(piece) // (2 if piece.isupper() else 4))
        elif first.isdigit():
            n += -(-len(piece) // 3)
        else:
            n += 1
    return n


_INT = re.compile(r"^-?(0|[1-9]\d{0,17})$")
_FLOAT = re.compile(r"^-?\d+\.\d+$")


def to_number(value: Any) -> Any:
    """`"12"` -> 12, `"12.50"` -> 12.5, anything else unchanged."""
    if isinstance(value, str):
        text = value.strip()
        if _INT.match(text):
            return int(text)
        if _FLOAT.match(text):
            number = float(text)
            return int(number) if number.is_integer() else number
    elif isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def compact_rows(
    rows: Iterable[Mapping[str, Any]], columns: Sequence[str], numeric: Iterable[str] = ()
) -> list[list[Any]]:
    """Rows as value arrays in `columns` order; the `numeric` columns as numbers."""
    numbers = frozenset(numeric)
    return [[to_number(row.get(c)) if c in numbers else row.get(c) for c in columns] for row in rows]


def estimate_tokens(value: Any) -> int:
    """A cheap upper estimate of cl100k tokens of `value` as compact JSON."""
    return _text_tokens(to_json(value))


def _rows_of(data: Any) -> list[Any] | None:
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and isinstance(data.get("rows"), list):
        rows: list[Any] = data["rows"]
        return rows
    return None


def _with_rows(data: Any, rows: list[Any]) -> Any:
    if isinstance(data, list):
        return rows
    return {**data, "rows": rows}


def apply_budget(envelope: Envelope, *, max_tokens: int = DEFAULT_MAX_TOKENS, offset: int | None = None) -> Envelope:
    """Cut the rows of a successful list result so the envelope fits `max_tokens`.

    `offset` is the offset the request started at, or None when the tool cannot page (then no `next_offset`).
    """
    if not envelope.get("success"):
        return envelope
    rows = _rows_of(envelope.get("data"))
    if not rows:
        return envelope
    if len(to_json(envelope).encode()) <= max_tokens:
        return envelope  # a token is at least one byte: it fits for sure
    meta = dict(envelope.get("meta") or {})
    meta.setdefault("total", len(rows) + (offset or 0))
    meta["truncated"] = True
    if offset is not None:
        meta["next_offset"] = offset + len(rows)
    # The envelope without rows (with the meta it would get), then rows while they fit; stops early on big lists.
    probe: Envelope = {**envelope, "data": _with_rows(envelope["data"], []), "meta": meta, "count": len(rows)}
    used = estimate_tokens(probe) + 8
    kept = 0
    for row in rows:
        used += _text_tokens(to_json(row)) + 1
        if used > max_tokens:
            break
        kept += 1
    if kept == len(rows):
        return envelope
    if offset is not None:
        meta["next_offset"] = offset + kept
    cut: Envelope = {**envelope, "data": _with_rows(envelope["data"], rows[:kept]), "meta": meta}
    cut["count"] = kept
    return cut
