"""Reports: ``POST /report/build`` (a read, though a POST), answered by the report engine."""

from __future__ import annotations

from keitaro_mcp.sandbox.resources._common import Route

__all__ = ["ROUTES"]

ROUTES = [
    Route("POST", "/report/build", lambda t, c: t.reports.build(c.body)),
]
