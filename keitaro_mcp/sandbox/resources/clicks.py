"""Clicks: the click log (a read, though a POST), cost updates across campaigns, and wiping stats."""

from __future__ import annotations

from keitaro_mcp.sandbox.reports import cost_request
from keitaro_mcp.sandbox.resources._common import Call, JsonDict, Route, Tracker

__all__ = ["ROUTES"]


def update_costs(t: Tracker, c: Call) -> JsonDict:
    t.reports.update_costs(*cost_request(c.body, None))
    return {"success": True}


ROUTES = [
    Route("POST", "/clicks/log", lambda t, c: t.reports.log(c.body, conversions=False)),
    Route("POST", "/clicks/update_costs", update_costs),
    Route("POST", "/clicks/clean", lambda t, c: t.reports.clean(c.body)),
]
