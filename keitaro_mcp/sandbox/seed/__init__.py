"""Deterministic demo data: every entity kind, then 90 days of affiliate traffic ending at ``now``.

The same seed, click count, ``now`` and postback key give the same database, row for row.
Reference data lives in ``portfolio`` (sources, networks, offers, campaigns, landing pages) and
``visitors`` (geos, devices, bots); ``entities`` seeds one entity kind per function, ``campaigns``
the campaigns and their flows, ``traffic`` the clicks and conversions.
"""

from __future__ import annotations

import random
from datetime import datetime

from keitaro_mcp.sandbox.seed.campaigns import campaign_cost_values, seed_campaigns
from keitaro_mcp.sandbox.seed.entities import (
    seed_affiliate_networks,
    seed_bot_list,
    seed_domains,
    seed_groups,
    seed_integrations,
    seed_labels,
    seed_landings,
    seed_offers,
    seed_system_log,
    seed_traffic_sources,
    seed_users,
    stamp,
)
from keitaro_mcp.sandbox.seed.traffic import seed_traffic
from keitaro_mcp.sandbox.store import Store

__all__ = ["seed"]


def seed(store: Store, seed: int, clicks: int, now: datetime, postback_key: str) -> None:
    """Fill a fresh store. The order is part of the data: ids follow insertion order, and the
    campaigns, the system log and the traffic draw from one random generator in turn."""
    rng = random.Random(seed)
    now_epoch = int(now.timestamp())
    created = stamp(now_epoch, 120)
    group_ids = seed_groups(store)
    seed_affiliate_networks(store, created, postback_key)
    seed_traffic_sources(store, created)
    seed_offers(store, created, group_ids)
    seed_landings(store, created, group_ids)
    seed_domains(store, created, group_ids)
    plans = seed_campaigns(store, rng, now_epoch, group_ids)
    seed_users(store)
    seed_bot_list(store)
    seed_integrations(store)
    seed_labels(store)
    seed_system_log(store, rng, now_epoch)
    seed_traffic(store, rng, plans, clicks, now_epoch)
    campaign_cost_values(store)
