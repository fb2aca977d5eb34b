"""The bot list (IPs and ranges the tracker treats as bots): read, replace, add, exclude, clear.

Stored as one newline-separated setting; requests send ``{"value": "ip, ip ip"}`` (commas or spaces).
"""

from __future__ import annotations

from keitaro_mcp.sandbox.resources._common import Call, JsonDict, Route, Tracker, invalid, require_body

__all__ = ["ROUTES"]


def _ips(t: Tracker) -> list[str]:
    return [ip for ip in t.store.get_setting("botlist").split() if ip]


def _change(t: Tracker, c: Call, mode: str) -> JsonDict:
    body = require_body(c.body)
    value = body.get("value")
    if not isinstance(value, str):
        raise invalid("value", "Value is required")
    ips = [ip for ip in value.replace(",", " ").split() if ip]
    current = _ips(t)
    if mode == "replace":
        current = list(dict.fromkeys(ips))
    elif mode == "add":
        current = list(dict.fromkeys(current + ips))
    else:
        current = [ip for ip in current if ip not in set(ips)]
    t.store.set_setting("botlist", "\n".join(current))
    return {"count": len(current)}


def clear(t: Tracker, c: Call) -> JsonDict:
    t.store.set_setting("botlist", "")
    return {"success": True}


ROUTES = [
    Route("GET", "/botlist", lambda t, c: {"value": "\n".join(_ips(t))}),
    Route("PUT", "/botlist", lambda t, c: _change(t, c, "replace")),
    Route("DELETE", "/botlist", clear),
    Route("POST", "/botlist/add", lambda t, c: _change(t, c, "add")),
    Route("POST", "/botlist/exclude", lambda t, c: _change(t, c, "exclude")),
]
