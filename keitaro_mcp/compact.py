"""Compact answers: report rows as a header plus value arrays, numbers as numbers, and a result budget.

A 50-row report as a list of objects repeats every column name 50 times; `{columns, rows: [[...]]}` says them once
(measured in benchmarks/report_tokens.py). Keitaro sends many numbers as strings ("12.50"); measures and numeric id
columns become numbers, while text columns (sub_id_N, keyword) stay text even when they look numeric.

The result budget keeps any tool result under `DEFAULT_MAX_TOKENS`: a list result (or the `rows` of a compact
table) is cut to what fits, with `meta.truncated`, `meta.total` and, when the tool pages, `meta.next_offset`; any
other result (one object, an error's `responseData`) has its long texts and lists shortened, with `meta.note`.
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
    "SHORTENED",
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


_SHORTEN_STEPS = ((2000, 200), (500, 50), (100, 10), (30, 3))
"""(characters per text, items per list or object) tried in turn until the result fits."""
MAX_DEPTH = 32
"""Nesting of a result: Keitaro's deepest objects (campaign > flow > filter > payload) are a few levels deep; the MCP
SDK cannot serialize a few hundred, and a tracker can send that many."""
SHORTENED = "cut to fit the result budget: long texts and lists shortened; ask for less (fields, a filter, a limit)"


def _shorten(envelope: Envelope, max_tokens: int) -> Envelope:
    """The envelope with `data` (or `error.responseData`) shortened until it fits; unchanged when it fits."""
    text = to_json(envelope)
    if len(text.encode()) <= max_tokens or _text_tokens(text) <= max_tokens:
        return envelope  # a token is at least one byte
    failed = "error" in envelope
    original = envelope["error"]["responseData"] if failed else envelope.get("data")
    bare = _with_value(envelope, None, failed)
    room = max_tokens - estimate_tokens(bare)
    shortened: Any = None
    for max_text, max_items in _SHORTEN_STEPS:
        candidate = _cut(original, max_text, max_items, 0)
        if estimate_tokens(candidate) <= room:
            shortened = candidate
            break
    out = _with_value(envelope, shortened, failed)
    if not failed:
        out["meta"] = {**(envelope.get("meta") or {}), "truncated": True, "note": SHORTENED}
    return out


def _with_value(envelope: Envelope, value: Any, failed: bool) -> Envelope:
    """The envelope with `value` as its data, or as its error's responseData."""
    out: Envelope = {**envelope}
    if failed:
        out["error"] = {**envelope["error"], "responseData": value}
    else:
        out["data"] = value
    return out


def _cut(value: Any, max_text: int | None, max_items: int | None, depth: int) -> Any:
    """`value` with texts cut to `max_text` characters, lists and objects to `max_items` entries (None: as they
    are) and anything nested deeper than MAX_DEPTH replaced by "..."."""
    if isinstance(value, str):
        return value if max_text is None or len(value) <= max_text else value[:max_text] + "..."
    if depth >= MAX_DEPTH and isinstance(value, dict | list):
        return "..."
    if isinstance(value, dict):
        pairs = list(value.items())[:max_items]
        return {k[:max_text] if max_text else k: _cut(v, max_text, max_items, depth + 1) for k, v in pairs}
    if isinstance(value, list):
        return [_cut(v, max_text, max_items, depth + 1) for v in value[:max_items]]
    return value


def _too_deep(value: Any) -> bool:
    stack = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if depth >= MAX_DEPTH:
            return True
        items = node.values() if isinstance(node, dict) else node
        stack.extend((item, depth + 1) for item in items if isinstance(item, dict | list))
    return False


def _shallow(envelope: Envelope) -> Envelope:
    """The envelope with whatever is nested deeper than MAX_DEPTH replaced by "..." (the result is already in the
    budget, so the walk is short)."""
    failed = "error" in envelope
    value = envelope["error"]["responseData"] if failed else envelope.get("data")
    if not isinstance(value, dict | list) or not _too_deep(value):
        return envelope
    out = _with_value(envelope, _cut(value, None, None, 0), failed)
    if not failed:
        out["meta"] = {**(envelope.get("meta") or {}), "truncated": True, "note": f"nested deeper than {MAX_DEPTH}"}
    return out


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
    """Fit any envelope into `max_tokens`: the rows of a list result are cut (`meta.next_offset` continues), any
    other result (one object, an error's `responseData`) has its long texts and lists shortened.

    `offset` is the offset the request started at, or None when the tool cannot page (then no `next_offset`).
    """
    return _shallow(_fit(envelope, max_tokens, offset))


def _fit(envelope: Envelope, max_tokens: int, offset: int | None) -> Envelope:
    rows = _rows_of(envelope.get("data")) if envelope.get("success") else None
    if not rows:
        return _shorten(envelope, max_tokens)
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
    if used > max_tokens:  # what surrounds the rows is over the budget by itself: no row fits, the rest is shortened
        if offset is not None:
            meta["next_offset"] = offset
        return _shorten({**probe, "count": 0}, max_tokens)
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
