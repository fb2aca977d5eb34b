"""Conversions: the conversion log (a read, though a POST). Conversions are written by postbacks."""

from __future__ import annotations

from keitaro_mcp.sandbox.resources._common import Route

__all__ = ["ROUTES"]

ROUTES = [
    Route("POST", "/conversions/log", lambda t, c: t.reports.log(c.body, conversions=True)),
]
