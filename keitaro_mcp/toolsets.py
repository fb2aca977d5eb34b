"""Toolsets: named groups of tools, fixed at start-up for the server and for each configured user (tools/list may
vary by the request's authorization, never per connection or as a side effect of a call)."""

from __future__ import annotations

__all__ = ["ALL_TOOLSETS", "DEFAULT_TOOLSETS", "TOOLSET_DESCRIPTIONS"]

TOOLSET_DESCRIPTIONS: dict[str, str] = {
    "reports": "Reports, period comparison, exports and conversion debugging.",
    "clicks": "Click log and one click's conversion or cost.",
    "conversions": "Conversion log; conversions recorded or changed through the tracker postback.",
    "campaigns": "Campaigns: everyday reads and safe edits.",
    "campaigns_admin": "Campaigns: create, clone, archive, restore, costs (bulk too), S2S postbacks, stats cleaning.",
    "flows": "Flows (streams) of a campaign: reads and safe edits.",
    "flows_admin": "Flows: create, archive, restore, search and the flow catalogues.",
    "offers": "Offers: everyday reads and safe edits.",
    "offers_admin": "Offers: create, clone, archive and local offer files.",
    "landing_pages": "Landing pages and their files.",
    "affiliate_networks": "Affiliate networks.",
    "traffic_sources": "Traffic sources.",
    "domains": "Domains.",
    "groups": "Groups of campaigns, offers, landings and domains.",
    "users": "Users and their access.",
    "bot_list": "The tracker's IP bot list.",
    "labels": "Report labels (white and black lists).",
    "logs": "Tracker logs (system, traffic, postbacks, SSL, sent postbacks) and a postback test.",
    "integrations": "Third-party integrations: Facebook, AVScan, IMKLO.",
}

ALL_TOOLSETS: frozenset[str] = frozenset(TOOLSET_DESCRIPTIONS)

# The everyday job: questions about performance, and small safe edits on campaigns, flows and offers.
DEFAULT_TOOLSETS: frozenset[str] = frozenset({"reports", "clicks", "conversions", "campaigns", "flows", "offers"})
