"""Seeding of campaigns and their flows, with the plan the traffic generator follows for each
(geos, cost model, target ROI, volume, conversion-rate multiplier and the campaign's story)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from keitaro_mcp.sandbox import models
from keitaro_mcp.sandbox.seed import portfolio
from keitaro_mcp.sandbox.seed.entities import GroupIds, source_parameters, stamp
from keitaro_mcp.sandbox.store import Store

__all__ = ["BOT_FLOW", "CampaignPlan", "Flow", "campaign_cost_values", "seed_campaigns"]

BOT_FLOW = "Bot protection"


@dataclass
class Flow:
    id: int
    countries: set[str] | None  # None = default flow (catches the rest)
    offers: list[tuple[int, int]]  # (offer_id, share)
    landings: list[tuple[int, int]]

    @property
    def share_total(self) -> int:
        return sum(s for _, s in self.offers)


@dataclass
class CampaignPlan:
    id: int
    name: str
    ts_index: int
    geos: dict[str, float]
    cost_type: str
    target_roi: float
    volume: float
    cr_mult: float
    special: str  # the campaign's story: "", new, paused, archived, broken_last_week, fatigue, no_cost
    bot_flow: int = 0
    flows: list[Flow] = field(default_factory=list)
    ad_campaigns: list[str] = field(default_factory=list)


def _flow_doc(flow: Flow, campaign_id: int, position: int, name: str, created: str) -> dict[str, Any]:
    doc = models.stream(flow.id, campaign_id, created)
    doc.update(name=name, position=position, weight=100)
    if flow.countries is not None:
        doc["filters"] = [
            {
                "id": flow.id,
                "stream_id": flow.id,
                "name": "country",
                "mode": "accept",
                "payload": sorted(flow.countries),
            }
        ]
    doc["offers"] = [
        {"id": flow.id * 10 + k, "stream_id": flow.id, "offer_id": o, "state": "active", "share": s,
         "created_at": created, "updated_at": created}
        for k, (o, s) in enumerate(flow.offers)
    ]  # fmt: skip
    doc["landings"] = [
        {"id": flow.id * 10 + 5 + k, "stream_id": flow.id, "landing_id": lid, "state": "active", "share": s,
         "created_at": created, "updated_at": created}
        for k, (lid, s) in enumerate(flow.landings)
    ]  # fmt: skip
    return doc


def seed_campaigns(store: Store, rng: random.Random, now_epoch: int, group_ids: GroupIds) -> list[CampaignPlan]:
    """Campaigns, each with a forced bot filter flow, one or two geo flows with weighted offers
    (and landing pages on every other one) and a default flow."""
    plans: list[CampaignPlan] = []
    stream_id = 0
    for cid, (name, ts, grp, geos, offer_ids, cost_type, roi, volume, cr_mult, special) in enumerate(
        portfolio.CAMPAIGNS, start=1
    ):
        plan = CampaignPlan(cid, name, ts, geos, cost_type, roi, volume, cr_mult, special)
        plan.ad_campaigns = [str(rng.randrange(10**17, 10**18)) for _ in range(3)]
        doc = models.campaign(cid, stamp(now_epoch, 100 - cid), rng)
        doc.update(
            name=name,
            alias=models.random_alias(rng),
            group_id=group_ids[("campaigns", grp)],
            traffic_source_id=ts + 1,
            cost_type=cost_type,
            domain_id=1 + cid % 3,
            uniqueness_method="ip_ua",
            parameters=models.default_parameters(source_parameters(portfolio.TRAFFIC_SOURCES[ts][1])),
            bind_visitors="s" if cid % 4 == 0 else "",
            type="position",
        )
        if special == "paused":
            doc["state"] = "disabled"
        if special == "archived":
            doc["state"] = "deleted"
        source = portfolio.TRAFFIC_SOURCES[ts]
        if source[5]:
            doc["postbacks"] = [
                {"id": cid, "campaign_id": cid, "method": "GET", "statuses": ["lead", "sale"], "url": source[5]}
            ]
        stream_id += 1
        plan.bot_flow = stream_id
        bot = models.stream(stream_id, cid, doc["created_at"])
        bot.update(
            type="forced",
            name=BOT_FLOW,
            position=1,
            schema="action",
            action_type="status404",
            weight=0,
            filters=[{"id": stream_id, "stream_id": stream_id, "name": "bot", "mode": "accept", "payload": None}],
        )
        store.save_doc("streams", bot, parent_id=cid)
        countries = list(geos)
        halves = (
            [countries] if len(countries) < 3 else [countries[: len(countries) // 2], countries[len(countries) // 2 :]]
        )
        for n, part in enumerate(halves):
            stream_id += 1
            shares = [60, 40, 20][: len(offer_ids)] if n == 0 else [40, 60, 20][: len(offer_ids)]
            offers = list(zip(offer_ids, shares, strict=False))
            use_landings = (cid + n) % 2 == 0
            landings = [(1 + (cid + k) % len(portfolio.LANDINGS), 50) for k in range(2)] if use_landings else []
            flow = Flow(stream_id, set(part), offers, landings)
            plan.flows.append(flow)
            store.save_doc("streams", _flow_doc(flow, cid, n + 2, f"{'/'.join(part)} - main", doc["created_at"]), cid)
        stream_id += 1
        default = Flow(stream_id, None, [(offer_ids[0], 100)], [])
        plan.flows.append(default)
        default_doc = _flow_doc(default, cid, len(halves) + 2, "Default", doc["created_at"])
        default_doc["type"] = "default"
        store.save_doc("streams", default_doc, cid)
        store.save_doc("campaigns", doc)
        plans.append(plan)
    store.bump_counter("campaigns", len(plans))
    store.bump_counter("streams", stream_id)
    store.bump_counter("bindings", stream_id * 10)
    return plans


def campaign_cost_values(store: Store) -> None:
    """Write the derived per-click cost back into each campaign's ``cost_value`` (after the traffic)."""
    rows = store.query("SELECT campaign_id, max(cost) AS c FROM clicks GROUP BY campaign_id")
    per_click = {int(r[0]): float(r[1] or 0) for r in rows}
    for doc in store.list_docs("campaigns"):
        value = per_click.get(doc["id"], 0.0)
        if doc["cost_type"] == "CPM":
            value *= 1000
        doc["cost_value"] = models.decimal_str(value, 4)
        store.save_doc("campaigns", doc)
