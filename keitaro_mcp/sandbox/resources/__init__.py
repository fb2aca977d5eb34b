"""The simulated Admin API, one module per resource family (as ``keitaro_mcp.operations`` is laid out).

Each family module holds its handlers and a ``ROUTES`` table; :data:`ROUTE_TABLES` lists the tables
in matching order (see ``keitaro_mcp.sandbox`` for how to add a route).
"""

from __future__ import annotations

from collections.abc import Sequence

from keitaro_mcp.sandbox.resources import (
    affiliate_networks,
    bot_list,
    campaigns,
    clicks,
    conversions,
    domains,
    flows,
    groups,
    integrations,
    labels,
    landing_pages,
    logs,
    offers,
    reports,
    traffic_sources,
    users,
)
from keitaro_mcp.sandbox.routing import Route

__all__ = ["ROUTE_TABLES"]

ROUTE_TABLES: Sequence[Sequence[Route]] = (
    campaigns.ROUTES,
    flows.ROUTES,
    offers.ROUTES,
    landing_pages.ROUTES,
    affiliate_networks.ROUTES,
    traffic_sources.ROUTES,
    domains.ROUTES,
    groups.ROUTES,
    users.ROUTES,
    bot_list.ROUTES,
    integrations.ROUTES,
    logs.ROUTES,
    reports.ROUTES,
    labels.ROUTES,
    clicks.ROUTES,
    conversions.ROUTES,
)
