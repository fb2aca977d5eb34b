"""Every operation the server can expose, in tools/list order (stable: the spec asks for a deterministic order).

The everyday tools come first (reports, clicks, conversions, campaigns, flows, offers), then the admin surface.
"""

from __future__ import annotations

from keitaro_mcp.operations import (
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
    postbacks,
    reports,
    traffic_sources,
    users,
)
from keitaro_mcp.registry import Operation

__all__ = ["OPERATIONS"]

OPERATIONS: tuple[Operation, ...] = (
    *reports.OPERATIONS,
    *clicks.OPERATIONS,
    *conversions.OPERATIONS,
    *campaigns.OPERATIONS,
    *postbacks.OPERATIONS,
    *flows.OPERATIONS,
    *offers.OPERATIONS,
    *landing_pages.OPERATIONS,
    *affiliate_networks.OPERATIONS,
    *traffic_sources.OPERATIONS,
    *domains.OPERATIONS,
    *groups.OPERATIONS,
    *users.OPERATIONS,
    *bot_list.OPERATIONS,
    *labels.OPERATIONS,
    *logs.OPERATIONS,
    *integrations.OPERATIONS,
)
