"""An entity's state as the tools speak it: `active`, `paused`, `archived`.

Keitaro says `disabled` for paused and `deleted` for archived. Lists, find_entity and receipts read its words into
ours; write inputs take ours and send Keitaro's. get_* and `full: true` return Keitaro's own objects, words and all.
"""

from __future__ import annotations

from typing import Any

__all__ = ["STATE_WORDS", "tool_state", "wire_state"]

STATE_WORDS = {"disabled": "paused", "deleted": "archived"}
"""Keitaro's word -> the tools' word; `active` is the same in both."""
_WIRE_WORDS = {ours: theirs for theirs, ours in STATE_WORDS.items()}


def tool_state(raw: Any) -> Any:
    """Keitaro's state as the tools speak it: active, paused (disabled), archived (deleted); anything else as is."""
    return STATE_WORDS.get(raw, raw) if isinstance(raw, str) else raw


def wire_state(state: str) -> str:
    """The tools' state as Keitaro takes it: paused -> disabled."""
    return _WIRE_WORDS.get(state, state)
