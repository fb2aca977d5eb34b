"""Seeding of every entity kind but campaigns: one function each, called in this order by ``seed``.

The order matters for identical data from the same seed: ids come from insertion order, and the
campaigns and the system log draw from the shared random generator.
"""

from __future__ import annotations

import random
from typing import Any

from keitaro_mcp.sandbox import models
from keitaro_mcp.sandbox.seed import portfolio
from keitaro_mcp.sandbox.store import Store, fmt_ts

__all__ = [
    "GroupIds",
    "seed_affiliate_networks",
    "seed_bot_list",
    "seed_domains",
    "seed_groups",
    "seed_integrations",
    "seed_labels",
    "seed_landings",
    "seed_offers",
    "seed_system_log",
    "seed_traffic_sources",
    "seed_users",
    "source_parameters",
    "stamp",
]

DAY = 86400
TRACKER_URL = "https://trk.adsandbox.example"
DOMAINS = ["trk.adsandbox.example", "go.adsandbox.example", "click.promo-deals.example", "old-offers.example"]
BUYER = {"campaigns_access_type": "to_groups_and_selected", "streams_access_type": "full_access"}
USERS: list[tuple[str, str, dict[str, str], list[int]]] = [
    ("admin", "ADMIN", {}, []),
    # A Facebook buyer: her own campaigns (and their flows); the catalogues read-only.
    ("anna.buyer", "USER", BUYER, [1, 2, 8, 12, 18, 20]),
    # An analyst: reads everything, changes nothing.
    ("max.analyst", "USER", dict.fromkeys(models.ACCESS_TYPES, "read_only"), []),
    # A TikTok and Google buyer: his own campaigns.
    ("oleg.buyer", "USER", BUYER, [3, 5, 11, 13, 16, 17, 22, 24]),
]  # fmt: skip
"""(login, type, access types that differ from the default, selected campaigns); see sandbox.access for the rules.
A buyer's other kinds are read-only, an admin's all full."""


def stamp(now_epoch: int, days_ago: float) -> str:
    """A ``created_at`` some days before the seed's ``now``."""
    return fmt_ts(now_epoch - int(days_ago * DAY)) or ""


GroupIds = dict[tuple[str, int], int]
"""(group type, index in its catalogue list) -> group id."""


def seed_groups(store: Store) -> GroupIds:
    gid = 0
    group_ids: GroupIds = {}
    for gtype, names in (
        ("campaigns", portfolio.CAMPAIGN_GROUPS),
        ("offers", portfolio.OFFER_GROUPS),
        ("landings", portfolio.LANDING_GROUPS),
        ("domains", ["Tracking domains"]),
    ):
        for i, name in enumerate(names):
            gid += 1
            group_ids[(gtype, i)] = gid
            store.save_doc("groups", {**models.group(gid), "name": name, "type": gtype, "position": i + 1})
    store.bump_counter("groups", gid)
    return group_ids


def seed_affiliate_networks(store: Store, created: str, postback_key: str) -> None:
    for i, (name, template, offer_param) in enumerate(portfolio.AFFILIATE_NETWORKS, start=1):
        doc = models.affiliate_network(i, created)
        doc.update(
            name=name,
            template_name=template,
            offer_param=offer_param,
            postback_url=f"{TRACKER_URL}/{postback_key}/postback?subid={{subid}}&status={{status}}&payout={{payout}}",
        )
        store.save_doc("affiliate_networks", doc)
    store.bump_counter("affiliate_networks", len(portfolio.AFFILIATE_NETWORKS))


def source_parameters(template: str) -> dict[str, Any]:
    """The parameter mapping a source template fills in (campaigns on that source share it)."""
    if template == "facebook":
        return {
            "ad_campaign_id": {"name": "utm_campaign", "placeholder": "{{campaign.id}}", "alias": "Campaign ID"},
            "creative_id": {"name": "utm_content", "placeholder": "{{ad.name}}", "alias": "Ad"},
            "sub_id_1": {"name": "utm_placement", "placeholder": "{{placement}}", "alias": "Placement"},
            "sub_id_2": {"name": "adset", "placeholder": "{{adset.name}}", "alias": "Ad set"},
            "sub_id_3": {"name": "ad_id", "placeholder": "{{ad.id}}", "alias": "Ad ID"},
            "sub_id_4": {"name": "fbclid", "placeholder": "", "alias": "fbclid"},
        }
    if template in ("propellerads", "zeropark"):
        return {
            "external_id": {"name": "visitor_id", "placeholder": "${SUBID}", "alias": ""},
            "sub_id_1": {"name": "zone", "placeholder": "${ZONEID}", "alias": "Zone"},
            "sub_id_2": {"name": "bid", "placeholder": "${BID}", "alias": "Bid"},
            "cost": {"name": "cost", "placeholder": "${COST}", "alias": ""},
        }
    return {
        "keyword": {"name": "utm_term", "placeholder": "{keyword}", "alias": "Keyword"},
        "ad_campaign_id": {"name": "utm_campaign", "placeholder": "{campaignid}", "alias": ""},
        "creative_id": {"name": "utm_content", "placeholder": "{creative}", "alias": ""},
        "sub_id_1": {"name": "placement", "placeholder": "{placement}", "alias": "Placement"},
    }


def seed_traffic_sources(store: Store, created: str) -> None:
    for i, (name, template, _mobile, _bots, _refs, postback) in enumerate(portfolio.TRAFFIC_SOURCES, start=1):
        doc = models.traffic_source(i, created)
        doc.update(
            name=name,
            template_name=template,
            postback_url=postback,
            parameters=models.default_parameters(source_parameters(template)),
        )
        store.save_doc("traffic_sources", doc)
    store.bump_counter("traffic_sources", len(portfolio.TRAFFIC_SOURCES))


def seed_offers(store: Store, created: str, group_ids: GroupIds) -> None:
    offer_groups = {0: 0, 1: 0, 2: 1, 3: 0, 4: 0, 5: 1}  # network index -> offer group index
    for i, (name, net, payout, ptype, countries, _cr, _approve, upsell) in enumerate(portfolio.OFFERS, start=1):
        doc = models.offer(i, created)
        network = portfolio.AFFILIATE_NETWORKS[net]
        doc.update(
            name=name,
            group_id=group_ids[("offers", offer_groups.get(net, 3) if "Sweep" not in name else 3)],
            affiliate_network_id=net + 1,
            affiliate_network=network[0],
            action_payload=f"https://{network[1]}.offers.example/click?o={1000 + i * 7}&{network[2]}",
            payout_value=payout,
            payout_type=ptype,
            payout_upsell=upsell,
            payout_auto=net in (1, 2),
            country=countries,
        )
        store.save_doc("offers", doc)
    store.bump_counter("offers", len(portfolio.OFFERS))


def seed_landings(store: Store, created: str, group_ids: GroupIds) -> None:
    """Landing pages, each with a local ``index.html`` and ``css/style.css``."""
    for i, name in enumerate(portfolio.LANDINGS, start=1):
        doc = models.landing(i, created)
        doc.update(name=name, group_id=group_ids[("landings", i % 3)], local_path=f"/landers/lp{i}")
        store.save_doc("landings", doc)
        html = (
            f"<!doctype html><html><head><title>{name}</title></head>"
            "<body><a href='{offer}'>Continue</a></body></html>"
        )
        store.execute(
            "INSERT INTO files (owner, owner_id, path, data) VALUES ('landings', ?, 'index.html', ?)", (i, html)
        )
        store.execute(
            "INSERT INTO files (owner, owner_id, path, data) VALUES ('landings', ?, 'css/style.css', ?)",
            (i, "body{font-family:Arial,sans-serif;max-width:640px;margin:auto}"),
        )
    store.bump_counter("landings", len(portfolio.LANDINGS))


def seed_domains(store: Store, created: str, group_ids: GroupIds) -> None:
    """Tracking domains; the first catches campaign 1, the last is archived."""
    for i, name in enumerate(DOMAINS, start=1):
        doc = models.domain(i, created)
        doc.update(name=name, group_id=group_ids[("domains", 0)], default_campaign_id=1 if i == 1 else 0)
        doc["default_campaign"] = doc["default_campaign_id"]
        if i == 4:
            doc["state"] = "deleted"
        store.save_doc("domains", doc)
    store.bump_counter("domains", len(DOMAINS))


def seed_users(store: Store) -> None:
    for uid, (login, utype, access, campaigns) in enumerate(USERS, start=1):
        udoc = models.user(uid)
        udoc.update(login=login, type=utype, key_count=2 if utype == "ADMIN" else 1)
        base = "full_access" if utype == "ADMIN" else "read_only"
        udoc["access_data"].update({key: access.get(key, base) for key in models.ACCESS_TYPES})
        if campaigns:
            udoc["access_data"]["campaigns_selected_entities"] = campaigns
        store.save_doc("users", udoc)
    store.bump_counter("users", len(USERS))


def seed_integrations(store: Store) -> None:
    """A Facebook ad account bound to campaigns 1 and 2; no AV scanner key, no IMKLO URL."""
    fb = models.facebook(1)
    fb.update(name="FB Ad Account - Nutra US", ad_account_id="act_2846193057712345", token="EAAB-demo-token")
    store.save_doc("facebook_integrations", fb)
    store.bump_counter("facebook_integrations", 1)
    store.executemany("INSERT INTO facebook_campaigns VALUES (1, ?)", [(1,), (2,)])
    store.set_setting("avscan_key", "")
    store.set_setting("imklo_api_url", "")


def seed_bot_list(store: Store) -> None:
    store.set_setting("botlist", "66.249.66.1\n66.249.66.2\n157.55.39.10\n40.77.167.0/24\n173.252.64.0/18")


def seed_labels(store: Store) -> None:
    store.executemany(
        "INSERT INTO labels VALUES (?, ?, ?, ?)",
        [(1, "sub_id_1", "Audience_Network_Classic", "blacklist"), (1, "sub_id_1", "Facebook_Mobile_Feed", "whitelist"),
         (4, "source", "onclckmn.com", "blacklist")],
    )  # fmt: skip


def seed_system_log(store: Store, rng: random.Random, now_epoch: int) -> None:
    start = now_epoch - 3 * DAY
    for k, message in enumerate(
        ["Tracker started", "GeoIP database updated (DB-IP City Lite)", "Cron: stats aggregation completed"]
    ):
        store.log("system", message, start + k * 3600, jid=f"{rng.getrandbits(32):08x}")
