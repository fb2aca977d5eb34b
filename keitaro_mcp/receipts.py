"""Receipts: what a write returns instead of the whole entity — which one, what changed, and what follows from it.

    {"id": 7, "name": "FB | Nutra", "changes": {"state": {"before": "active", "after": "paused"}},
     "effects": ["It stops serving traffic until it is resumed."]}

A receipt is built from the entity as it was before the write and as it is after (keitaro_mcp.writes reads them),
field by field: nested objects by dotted name (`parameters.sub_id_1.name`), lists of objects by their id
(`postbacks[3].url`), other lists whole. Timestamps that change on every write (`*_at`) are left out, long values
are shortened, and credential fields (a campaign's Click API token, passwords, keys) are never shown: `***`
before and after says that one changed. A create has no before: its changes are the fields it was given. A bulk
write (costs, cleans, the bot list) reports the counts read before it and what they become. A state reads as the
lists say it (paused, archived), not as Keitaro stores it (disabled, deleted).
"""

from __future__ import annotations

from typing import Any

from keitaro_mcp.envelope import MASK, SECRET_FIELD, to_json
from keitaro_mcp.states import tool_state

__all__ = [
    "MAX_CHANGES",
    "Change",
    "changes_between",
    "created_fields",
    "effects_of",
    "identity",
    "in_tool_words",
    "shorten",
]

MAX_CHANGES = 20
"""More changed fields than this (a clone, a replaced list) are counted, not listed."""
MAX_LISTED = 10
"""Entries a long list's change names (removed, added)."""
_MAX_TEXT = 120
_MAX_JSON = 160
_SKIP_SUFFIXES = ("_at", "_datetime")
Change = dict[str, Any]


def shorten(value: Any) -> Any:
    """A value short enough for a receipt: long text cut with its length said, big lists and objects summarized."""
    if isinstance(value, str) and len(value) > _MAX_TEXT:
        return f"{value[: _MAX_TEXT - 20]}… ({len(value)} characters)"
    if isinstance(value, list | dict) and len(to_json(value)) > _MAX_JSON:
        return f"{len(value)} items" if isinstance(value, list) else f"an object of {len(value)} fields"
    return value


def _flat(value: Any, prefix: str, out: dict[str, Any]) -> dict[str, Any]:
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and key.endswith(_SKIP_SUFFIXES):
                continue
            _flat(item, f"{prefix}.{key}" if prefix else str(key), out)
    elif isinstance(value, list) and value and all(isinstance(v, dict) and "id" in v for v in value):
        for item in value:
            _flat({k: v for k, v in item.items() if k != "id"}, f"{prefix}[{item['id']}]", out)
    elif value == [] and prefix:
        pass  # an empty list inside an entity: its entries, when it has some, are compared by their id
    else:
        out[prefix or "entries"] = value
    return out


def _secret(name: str) -> bool:
    return any(SECRET_FIELD.search(part) for part in name.replace("[", ".").split("."))


def _same(a: Any, b: Any) -> bool:
    # Keitaro gives numbers back as strings ("0.5118") where they were sent as numbers.
    if a == b:
        return True
    try:
        return a is not None and b is not None and not isinstance(a, bool | dict | list) and float(a) == float(b)
    except (TypeError, ValueError):
        return False


def changes_between(before: Any, after: Any) -> dict[str, Change]:
    """Each field that differs, with its value before and after (absent on one side: None)."""
    old, new = _flat(before, "", {}), _flat(after, "", {})
    changed: dict[str, Change] = {}
    for name in [*old, *(k for k in new if k not in old)]:
        a, b = old.get(name), new.get(name)
        if _same(a, b):
            continue
        if _secret(name):
            changed[name] = {"before": MASK if a not in (None, "") else a, "after": MASK if b not in (None, "") else b}
        else:
            changed[name] = {"before": shorten(a), "after": shorten(b)}
            if (
                isinstance(a, list)
                and isinstance(b, list)
                and _scalars(a)
                and _scalars(b)
                and (changed[name]["before"] != a or changed[name]["after"] != b)
            ):
                # Too long to show whole: which entries went and came.
                changed[name]["removed"] = [shorten(v) for v in a if v not in b][:MAX_LISTED]
                changed[name]["added"] = [shorten(v) for v in b if v not in a][:MAX_LISTED]
    return _capped(changed)


def _scalars(value: Any) -> bool:
    return isinstance(value, list) and not any(isinstance(v, dict | list) for v in value)


def created_fields(given: dict[str, Any], after: Any) -> dict[str, Change]:
    """A create's changes: each field it was given, as the tracker stored it (when it says) or as sent."""
    stored = after if isinstance(after, dict) else {}
    changed: dict[str, Change] = {}
    for name, value in given.items():
        shown = stored.get(name, value)
        changed[name] = {"before": None, "after": MASK if _secret(name) and shown not in (None, "") else shorten(shown)}
    return _capped(changed)


def _capped(changed: dict[str, Change]) -> dict[str, Change]:
    if len(changed) <= MAX_CHANGES:
        return changed
    kept = dict(list(changed.items())[: MAX_CHANGES - 1])
    kept["…"] = {"before": None, "after": f"{len(changed) - MAX_CHANGES + 1} more fields changed"}
    return kept


def identity(entity: Any) -> dict[str, Any]:
    """The id and name of an entity (a user's login, a domain's name, ...) and a campaign's alias (its URL), as far
    as it has them."""
    if isinstance(entity, list) and len(entity) == 1:
        entity = entity[0]
    if not isinstance(entity, dict):
        return {}
    found: dict[str, Any] = {}
    for key in ("id", "name", "login", "alias", "sub_id"):
        value = entity.get(key)
        if value not in (None, "") and not (key == "login" and "name" in found):
            found["name" if key == "login" else key] = shorten(value)
    return found


def in_tool_words(changes: dict[str, Change]) -> dict[str, Change]:
    """`changes` with each state (an entity's, a flow offer's `offers[3].state`, one in a created list of offers)
    in the tools' words."""
    for name, change in changes.items():
        state = name == "state" or name.endswith(".state")
        for side in ("before", "after"):
            if side in change:
                change[side] = tool_state(change[side]) if state else _states_within(change[side])
    return changes


def _states_within(value: Any) -> Any:
    if isinstance(value, list):
        return [{**v, "state": tool_state(v["state"])} if isinstance(v, dict) and "state" in v else v for v in value]
    return value


_STATE_EFFECTS = {
    "paused": "It stops serving traffic until it is resumed.",
    "active": "It serves traffic again.",
    "archived": "It is archived: it stops serving; a restore brings it back (Keitaro keeps the archive 60 days).",
}
_RESOURCE_EFFECTS = {
    ("campaign", "update"): "Live traffic follows the change at once.",
    ("stream", "update"): "Live traffic follows the change at once.",
    ("offer", "update"): "Traffic sent to this offer follows the change at once.",
    ("landing", "update"): "Traffic sent to this landing page follows the change at once.",
    ("postback", "update"): "The next conversions send the postbacks as they are now.",
    ("postback", "remove"): "Conversions no longer send this postback to the traffic source.",
    ("conversion", "upsert"): "The campaign's S2S postbacks for this status fire to its traffic source.",
    ("postback", "upsert"): "The campaign's S2S postbacks for this status fire to its traffic source.",
    ("conversion", "update"): "The campaign's S2S postbacks for the new status fire to its traffic source.",
    ("user", "delete"): "The user's API keys stop working at once.",
    ("bot", "create"): "New clicks from these addresses count as bots; past clicks keep their marks.",
    ("bot", "remove"): "New clicks from these addresses no longer count as bots; past clicks keep their marks.",
    ("bot", "replace"): "New clicks are marked against the new list; past clicks keep their marks.",
    ("bot", "wipe"): "No click counts as a bot by this list any more; past clicks keep their marks.",
}


def effects_of(resource: str, effect: str, changes: dict[str, Change]) -> list[str]:
    """What else a write sets in motion, from the kind of entity, the effect and the fields it changed."""
    said: list[str] = []
    state = changes.get("state", {}).get("after")
    if isinstance(state, str) and state in _STATE_EFFECTS and effect != "create":
        said.append(_STATE_EFFECTS[state])
    elif text := _RESOURCE_EFFECTS.get((resource, effect)):
        said.append(text)
    return said
