"""Entity documents: defaults and the read shape of every Keitaro object.

The fields follow the reference's §4 and §10 (what real trackers return): decimal strings for
``cost_value``/``traffic_loss``, ``group_id`` as an integer on read, timestamps as
``YYYY-MM-DD HH:MM:SS``, campaign ``token``, etc.
"""

from __future__ import annotations

import random
import string
from typing import Any

JsonDict = dict[str, Any]

SOURCE_PARAMETER_KEYS = (
    "keyword",
    "cost",
    "currency",
    "external_id",
    "creative_id",
    "ad_campaign_id",
    "source",
    *(f"sub_id_{i}" for i in range(1, 16)),
)

MODEL_NAMES = {
    "campaigns": "Traffic\\Model\\Campaign",
    "streams": "Traffic\\Model\\Stream",
    "offers": "Traffic\\Model\\Offer",
    "landings": "Traffic\\Model\\Landing",
    "affiliate_networks": "Traffic\\Model\\AffiliateNetwork",
    "traffic_sources": "Traffic\\Model\\TrafficSource",
    "domains": "Traffic\\Model\\Domain",
    "groups": "Traffic\\Model\\Group",
    "users": "Traffic\\Model\\User",
    "facebook_integrations": "Traffic\\Model\\FacebookIntegration",
}


def random_alias(rng: random.Random, length: int = 8) -> str:
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(length))


def random_token(rng: random.Random) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(32))


def decimal_str(value: Any, places: int) -> str:
    """Keitaro sends decimals as strings with a fixed scale, e.g. ``"0.0000"``."""
    try:
        number = float(value or 0)
    except (TypeError, ValueError):
        number = 0.0
    return f"{number:.{places}f}"


def default_parameters(overrides: JsonDict | None = None) -> JsonDict:
    params: JsonDict = {key: {"name": key, "placeholder": "", "alias": ""} for key in SOURCE_PARAMETER_KEYS}
    for key, value in (overrides or {}).items():
        if isinstance(value, dict):
            params[key] = {"name": key, "placeholder": "", "alias": "", **value}
    return params


def campaign(cid: int, now: str, rng: random.Random) -> JsonDict:
    return {
        "id": cid,
        "alias": random_alias(rng),
        "type": "position",
        "name": "",
        "uniqueness_method": "ip",
        "uniqueness_use_cookies": True,
        "cookies_ttl": 24,
        "position": cid,
        "state": "active",
        "cost_type": "CPC",
        "cost_value": "0.0000",
        "cost_currency": "USD",
        "group_id": 0,
        "bind_visitors": "",
        "traffic_source_id": 0,
        "token": random_token(rng),
        "cost_auto": False,
        "parameters": default_parameters(),
        "postbacks": [],
        "notes": "",
        "traffic_loss": "0.00",
        "domain_id": 0,
        "created_at": now,
        "updated_at": now,
    }


def stream(sid: int, campaign_id: int, now: str) -> JsonDict:
    # Defaults as a live tracker applies them through the API (collect_clicks true here
    # follows S3's emulator; the reference notes the real API default may be false).
    return {
        "id": sid,
        "type": "regular",
        "name": "",
        "campaign_id": campaign_id,
        "position": 1,
        "weight": 100,
        "action_options": {},
        "comments": None,
        "state": "active",
        "updated_at": now,
        "action_type": "http",
        "action_payload": "",
        "schema": "landings",
        "collect_clicks": True,
        "filter_or": False,
        "offer_selection": "before_click",
        "filters": [],
        "triggers": [],
        "landings": [],
        "offers": [],
    }


def offer(oid: int, now: str) -> JsonDict:
    return {
        "id": oid,
        "name": "",
        "group_id": 0,
        "offer_type": "external",
        "action_type": "http",
        "action_payload": "",
        "action_options": {},
        "affiliate_network_id": 0,
        "payout_value": 0,
        "payout_currency": "USD",
        "payout_type": "CPA",
        "payout_auto": False,
        "payout_upsell": False,
        "state": "active",
        "country": [],
        "notes": "",
        "conversion_cap_enabled": False,
        "daily_cap": 0,
        "conversion_timezone": "UTC",
        "alternative_offer_id": 0,
        "created_at": now,
        "updated_at": now,
    }


def landing(lid: int, now: str) -> JsonDict:
    return {
        "id": lid,
        "landing_type": "local",
        "action_type": "local_file",
        "action_payload": "",
        "action_options": {},
        "name": "",
        "group_id": 0,
        "offer_count": 1,
        "notes": "",
        "state": "active",
        "url": "",
        "created_at": now,
        "updated_at": now,
    }


def affiliate_network(aid: int, now: str) -> JsonDict:
    return {
        "id": aid,
        "name": "",
        "postback_url": "",
        "offer_param": "",
        "state": "active",
        "template_name": "",
        "notes": "",
        "created_at": now,
        "updated_at": now,
    }


def traffic_source(tid: int, now: str) -> JsonDict:
    return {
        "id": tid,
        "name": "",
        "postback_url": "",
        "postback_statuses": ["lead", "sale", "rejected"],
        "template_name": "",
        "accept_parameters": True,
        "parameters": default_parameters(),
        "notes": "",
        "state": "active",
        "traffic_loss": 0,
        "created_at": now,
        "updated_at": now,
    }


def domain(did: int, now: str) -> JsonDict:
    return {
        "id": did,
        "name": "",
        "network_status": "active",
        "status": "active",
        "default_campaign_id": 0,
        "default_campaign": 0,
        "state": "active",
        "created_at": now,
        "updated_at": now,
        "catch_not_found": False,
        "notes": "",
        "campaigns_count": 0,
        "ssl_redirect": False,
        "allow_indexing": True,
        "is_ssl": True,
        "ssl_status": "issued",
        "group_id": 0,
    }


def group(gid: int) -> JsonDict:
    return {"id": gid, "name": "", "position": gid, "type": "campaigns"}


ACCESS_TYPES = (
    "offers_access_type",
    "campaigns_access_type",
    "landings_access_type",
    "traffic_sources_access_type",
    "streams_access_type",
    "affiliate_networks_access_type",
    "domains_access_type",
)


def user(uid: int) -> JsonDict:
    return {
        "id": uid,
        "login": "",
        "type": "USER",
        "state": "active",
        "access_data": {
            **dict.fromkeys(ACCESS_TYPES, "full_access"),
            "resources": [],
            "allowed_resources": [],
            "reports": [],
        },
        "preferences": {"language": "en", "timezone": "UTC"},
        "key_count": 0,
    }


def facebook(fid: int) -> JsonDict:
    return {
        "id": fid,
        "integration": "facebook",
        "name": "",
        "ad_account_id": "",
        "token": "",
        "proxy_enabled": False,
        "proxy": {"protocol": "http", "address": "", "port": 0, "login": "", "password": ""},
        "last_error": "",
        "last_raw_error": "",
    }
