"""Clicks: the click log (a read, though a POST), cost updates across campaigns, and wiping stats."""

from __future__ import annotations

from keitaro_mcp.sandbox.reports import costs
from keitaro_mcp.sandbox.resources._common import Route

__all__ = ["ROUTES"]

ROUTES = [
    Route("POST", "/clicks/log", lambda t, c: t.reports.log(c.body, conversions=False)),
    Route("POST", "/clicks/update_costs", lambda t, c: costs.update_costs(t.store, c.body, None)),
    Route("POST", "/clicks/clean", lambda t, c: costs.clean(t.store, c.body)),
]
