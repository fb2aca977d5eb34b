"""The ASGI app: every resource family's route table behind the request pipeline.

One catch-all Starlette route hands every request to :class:`~keitaro_mcp.sandbox.pipeline.Pipeline`,
so that faults, auth and recording apply to all of them the same way.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Route as StarletteRoute

from keitaro_mcp.sandbox.pipeline import DroppedConnection, Host, Pipeline
from keitaro_mcp.sandbox.resources import ROUTE_TABLES
from keitaro_mcp.sandbox.routing import Router

__all__ = ["DroppedConnection", "create_asgi_app"]

METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]


def create_asgi_app(host: Host) -> Starlette:
    pipeline = Pipeline(host, Router(ROUTE_TABLES))
    return Starlette(routes=[StarletteRoute("/{path:path}", pipeline.handle, methods=METHODS)])
