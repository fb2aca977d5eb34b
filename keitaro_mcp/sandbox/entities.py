"""Entity endpoints: campaigns, flows, offers, landing pages, networks, sources, domains, groups,
users, bot list, labels, integrations, logs, catalogues.

Behaviour follows live observations (reference §4, §12.5): create answers 200 with the object;
PUT is partial and arrays are replaced whole; ``DELETE`` archives (``state = deleted``) and an
archived entity then reads as 404 (plain text); clones are named "Copy of ..."; no referential
checks on group/source/offer IDs.
"""

from __future__ import annotations

import io
import random
import zipfile
from collections.abc import Callable
from typing import Any

from keitaro_mcp.sandbox import models
from keitaro_mcp.sandbox.errors import HttpError, bad_request, invalid, not_found
from keitaro_mcp.sandbox.store import JsonDict, Store, fmt_ts

Clock = Callable[[], int]

LOG_TYPES = ["system", "traffic", "postbacks", "ssl", "sent_postbacks"]
GROUP_TYPES = ("campaigns", "offers", "landings", "domains")

# field -> kind; kinds: str, int, num, bool, dec2, dec4, obj, list, any, or a tuple of allowed values
Fields = dict[str, Any]

CAMPAIGN_FIELDS: Fields = {
    "alias": "str",
    "type": ("position", "weight"),
    "name": "str",
    "cookies_ttl": "int",
    "state": ("active", "disabled", "deleted"),
    "cost_type": ("CPC", "CPUC", "CPM", "RevShare", "CPA", "CPS", "CPUV", "CPV"),
    "cost_value": "dec4",
    "cost_currency": "str",
    "cost_auto": "bool",
    "group_id": "int",
    "bind_visitors": ("", "s", "sl", "slo", None),
    "traffic_source_id": "int",
    "parameters": "obj",
    "token": "str",
    "domain_id": "int",
    "postbacks": "list",
    "notes": "str",
    "uniqueness_method": ("ip", "ip_ua", "cookies", "get_parameter"),
    "uniqueness_use_cookies": "bool",
    "traffic_loss": "dec2",
    "position": "int",
}
STREAM_FIELDS: Fields = {
    "campaign_id": "int",
    "type": ("forced", "regular", "default"),
    "name": "str",
    "position": "int",
    "weight": "num",
    "action_options": "any",
    "comments": "any",
    "state": ("active", "disabled", "deleted"),
    "action_type": "str",
    "action_payload": "any",
    "schema": ("landings", "redirect", "action"),
    "collect_clicks": "bool",
    "filter_or": "bool",
    "offer_selection": ("before_click", "after_click"),
    "filters": "list",
    "triggers": "list",
    "landings": "list",
    "offers": "list",
}
OFFER_FIELDS: Fields = {
    "name": "str",
    "group_id": "int",
    "offer_type": ("local", "external", "preloaded", "action"),
    "action_type": "str",
    "action_payload": "any",
    "action_options": "any",
    "affiliate_network_id": "int",
    "payout_value": "num",
    "payout_currency": "str",
    "payout_type": ("CPA", "CPC"),
    "state": ("active", "deleted"),
    "payout_auto": "bool",
    "payout_upsell": "bool",
    "country": "list",
    "notes": "str",
    "archive": "str",
    "conversion_cap_enabled": "bool",
    "daily_cap": "num",
    "conversion_timezone": "str",
    "alternative_offer_id": "int",
}
LANDING_FIELDS: Fields = {
    "name": "str",
    "action_payload": "any",
    "action_options": "any",
    "group_id": "int",
    "state": ("active", "disabled", "deleted"),
    "landing_type": ("local", "external", "preloaded", "action"),
    "action_type": ("local_file", "http", "curl", "status404", "show_text", "show_html"),
    "url": "str",
    "archive": "str",
    "notes": "str",
}
NETWORK_FIELDS: Fields = {
    "name": "str",
    "postback_url": "str",
    "offer_param": "str",
    "notes": "str",
    "template_name": "str",
}
SOURCE_FIELDS: Fields = {
    "name": "str",
    "postback_url": "str",
    "postback_statuses": "list",
    "template_name": "str",
    "accept_parameters": "bool",
    "parameters": "obj",
    "notes": "str",
    "state": ("active", "disabled", "deleted"),
    "traffic_loss": "num",
}
DOMAIN_FIELDS: Fields = {
    "name": "str",
    "default_campaign_id": "int",
    "wildcard": "bool",
    "catch_not_found": "bool",
    "notes": "str",
    "ssl_redirect": "bool",
    "allow_indexing": "bool",
    "is_ssl": "bool",
    "state": ("active", "deleted"),
    "group_id": "int",
}
GROUP_FIELDS: Fields = {"name": "str", "type": GROUP_TYPES, "position": "int"}
USER_FIELDS: Fields = {"login": "str", "type": ("USER", "ADMIN"), "preferences": "obj", "keyCount": "int"}
FACEBOOK_FIELDS: Fields = {
    "name": "str",
    "ad_account_id": "str",
    "token": "str",
    "proxy_enabled": "bool",
    "proxy": "obj",
}


def _label(field: str) -> str:
    return field.replace("_", " ").capitalize()


def coerce(field: str, kind: Any, value: Any) -> Any:
    """Convert a request value, raising a 406 keyed by the field when it can't be used."""
    if isinstance(kind, tuple):
        if value not in kind:
            shown = ", ".join(str(k) for k in kind if k not in (None, ""))
            raise invalid(field, f"{_label(field)} must be one of: {shown}")
        return value
    try:
        if kind == "str":
            if value is None:
                return ""
            if isinstance(value, (dict, list)):
                raise ValueError
            return str(value)
        if kind == "int":
            if value in (None, ""):
                return 0
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            return int(value)
        if kind in ("num", "dec2", "dec4"):
            if value in (None, ""):
                value = 0
            if isinstance(value, bool):
                raise ValueError
            number = float(value)
            if kind == "dec2":
                return models.decimal_str(number, 2)
            if kind == "dec4":
                return models.decimal_str(number, 4)
            return int(number) if number.is_integer() else number
        if kind == "bool":
            if isinstance(value, bool):
                return value
            if value in (0, 1, "0", "1", "true", "false"):
                return value in (1, "1", "true")
            raise ValueError
        if kind == "obj":
            if not isinstance(value, dict):
                raise ValueError
            return value
        if kind == "list":
            if not isinstance(value, list):
                raise ValueError
            return value
    except (TypeError, ValueError, OverflowError):
        raise invalid(field, f"{_label(field)} has an invalid value") from None
    return value


def apply_fields(doc: JsonDict, body: JsonDict, fields: Fields) -> None:
    for key, value in body.items():
        if key in fields:
            doc[key] = coerce(key, fields[key], value)


def require_body(body: Any) -> JsonDict:
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise bad_request("Request body must be a JSON object")
    return body


def require(body: JsonDict, *fields: str, status: int = 406) -> None:
    for field in fields:
        if body.get(field) in (None, ""):
            raise invalid(field, f"{_label(field)} is required", status)


class Entities:
    def __init__(self, store: Store, rng: random.Random, clock: Clock) -> None:
        self.store = store
        self.rng = rng
        self.clock = clock

    def now(self) -> str:
        return fmt_ts(self.clock()) or ""

    # -- shared helpers ----------------------------------------------------------------------
    def get_live(self, table: str, entity_id: int) -> JsonDict:
        doc = self.store.get_doc(table, entity_id)
        if doc is None or doc.get("state") == "deleted":
            raise not_found(table, entity_id)
        return doc

    def get_any(self, table: str, entity_id: int) -> JsonDict:
        doc = self.store.get_doc(table, entity_id)
        if doc is None:
            raise not_found(table, entity_id)
        return doc

    def live(self, table: str) -> list[JsonDict]:
        return self.store.list_docs(table, "state IS NULL OR state != 'deleted'")

    def deleted(self, table: str) -> list[JsonDict]:
        return self.store.list_docs(table, "state = 'deleted'")

    def _group_name(self, gid: Any) -> str:
        if not gid:
            return ""
        doc = self.store.get_doc("groups", int(gid))
        return str(doc["name"]) if doc else ""

    # -- views (read shapes) -------------------------------------------------------------------
    def campaign_view(self, doc: JsonDict) -> JsonDict:
        out = dict(doc)
        domain_id = out.pop("domain_id", 0)
        domain = self.store.get_doc("domains", int(domain_id)) if domain_id else None
        out["domain"] = f"https://{domain['name']}/" if domain else None
        out["group"] = self._group_name(doc.get("group_id"))
        source = self.store.get_doc("traffic_sources", int(doc.get("traffic_source_id") or 0))
        out["ts"] = source["name"] if source else ""
        row = self.store.one("SELECT count(*) FROM streams WHERE parent_id = ? AND state != 'deleted'", (doc["id"],))
        out["streams_count"] = str(row[0] if row else 0)  # a count sent as a string (S14)
        return out

    def stream_view(self, doc: JsonDict) -> JsonDict:
        out = dict(doc)
        # The read schema spells the trigger target "taget"; both keys are sent.
        out["triggers"] = [{**t, "taget": t.get("target", "")} for t in doc.get("triggers", [])]
        return out

    def offer_view(self, doc: JsonDict) -> JsonDict:
        out = dict(doc)
        network = self.store.get_doc("affiliate_networks", int(doc.get("affiliate_network_id") or 0))
        out["affiliate_network"] = network["name"] if network else ""
        out["group"] = self._group_name(doc.get("group_id"))
        return out

    def landing_view(self, doc: JsonDict) -> JsonDict:
        return {**doc, "group": self._group_name(doc.get("group_id"))}

    def domain_view(self, doc: JsonDict) -> JsonDict:
        row = self.store.query("SELECT doc FROM campaigns WHERE state != 'deleted'")
        count = sum(1 for r in row if f'"domain_id": {doc["id"]},' in r[0])
        return {**doc, "default_campaign": doc.get("default_campaign_id", 0), "campaigns_count": count}

    # -- campaigns ----------------------------------------------------------------------------
    def list_campaigns(self, query: dict[str, str]) -> list[JsonDict]:
        docs = self.live("campaigns")
        try:
            offset = int(query.get("offset") or 0)
            limit = int(query["limit"]) if query.get("limit") else None
        except ValueError:
            raise bad_request("offset and limit must be integers") from None
        if offset < 0 or (limit is not None and limit < 0):
            raise bad_request("offset and limit must be >= 0")
        docs = docs[offset:] if limit is None else docs[offset : offset + limit]
        return [self.campaign_view(d) for d in docs]

    def _alias_taken(self, alias: str, except_id: int = 0) -> bool:
        return any(d["alias"] == alias and d["id"] != except_id for d in self.store.list_docs("campaigns"))

    def create_campaign(self, body: Any) -> JsonDict:
        body = require_body(body)
        # Live: 422 keyed by field; the API does not generate an alias (the UI does).
        require(body, "alias", status=422)
        require(body, "name", status=422)
        doc = models.campaign(self.store.next_id("campaigns"), self.now(), self.rng)
        apply_fields(doc, body, CAMPAIGN_FIELDS)
        if self._alias_taken(doc["alias"]):
            raise invalid("alias", "Alias has already used", 422)
        doc["parameters"] = models.default_parameters(doc["parameters"])
        doc["postbacks"] = self._postbacks(doc["id"], doc["postbacks"])
        self.store.save_doc("campaigns", doc)
        return self.campaign_view(doc)

    def _postbacks(self, campaign_id: int, items: list[Any]) -> list[JsonDict]:
        out = []
        for item in items:
            if not isinstance(item, dict) or not item.get("url"):
                raise invalid("postbacks", "Postback URL is required")
            statuses = item.get("statuses") or ["lead", "sale", "rejected"]
            if not isinstance(statuses, list) or any(s not in ("lead", "sale", "rejected", "rebill") for s in statuses):
                raise invalid("postbacks", "Statuses must be lead, sale, rejected or rebill")
            method = str(item.get("method") or "GET").upper()
            if method not in ("GET", "POST"):
                raise invalid("postbacks", "Method must be GET or POST")
            out.append(
                {
                    "id": int(item.get("id") or self.store.next_id("postbacks", 1000)),
                    "campaign_id": campaign_id,
                    "method": method,
                    "statuses": statuses,
                    "url": str(item["url"]),
                }
            )
        return out

    def get_campaign(self, cid: int) -> JsonDict:
        return self.campaign_view(self.get_live("campaigns", cid))

    def update_campaign(self, cid: int, body: Any) -> JsonDict:
        body = require_body(body)
        doc = self.get_live("campaigns", cid)
        if "alias" in body and not body["alias"]:
            raise invalid("alias", "Alias is required", 422)
        apply_fields(doc, body, CAMPAIGN_FIELDS)
        if self._alias_taken(doc["alias"], cid):
            raise invalid("alias", "Alias has already used", 422)
        if "parameters" in body:
            doc["parameters"] = models.default_parameters(doc["parameters"])
        if "postbacks" in body:
            doc["postbacks"] = self._postbacks(cid, doc["postbacks"])
        doc["updated_at"] = self.now()
        self.store.save_doc("campaigns", doc)
        return self.campaign_view(doc)

    def set_campaign_state(self, cid: int, state: str) -> JsonDict:
        doc = self.get_any("campaigns", cid) if state == "active" else self.get_live("campaigns", cid)
        doc["state"] = state
        doc["updated_at"] = self.now()
        self.store.save_doc("campaigns", doc)
        return self.campaign_view(doc)

    def delete_campaign(self, cid: int) -> list[JsonDict]:
        # Archive, not a hard delete; the campaign moves to /campaigns/deleted.
        return [self.set_campaign_state(cid, "deleted")]

    def restore_campaign(self, cid: int) -> JsonDict:
        doc = self.get_any("campaigns", cid)
        if doc["state"] != "deleted":
            return self.campaign_view(doc)
        return self.set_campaign_state(cid, "active")

    def clone_campaign(self, cid: int) -> JsonDict:
        src = self.get_live("campaigns", cid)
        doc = dict(src)
        doc.update(
            id=self.store.next_id("campaigns"),
            name=f"Copy of {src['name']}",
            alias=models.random_alias(self.rng),
            token=models.random_token(self.rng),
            created_at=self.now(),
            updated_at=self.now(),
        )
        doc["postbacks"] = self._postbacks(
            doc["id"], [{k: v for k, v in p.items() if k != "id"} for p in src["postbacks"]]
        )
        self.store.save_doc("campaigns", doc)
        for stream in self.store.list_docs("streams", "parent_id = ? AND state != 'deleted'", (cid,)):
            self._save_stream_copy(stream, doc["id"])
        return self.campaign_view(doc)

    def _save_stream_copy(self, stream: JsonDict, campaign_id: int) -> None:
        copy = dict(stream)
        copy.update(id=self.store.next_id("streams"), campaign_id=campaign_id, updated_at=self.now())
        copy["filters"] = self._filters(copy["id"], stream.get("filters", []))
        copy["triggers"] = self._triggers(copy["id"], stream.get("triggers", []))
        copy["offers"] = self._bindings(copy["id"], stream.get("offers", []), [], "offer_id", "offers")
        copy["landings"] = self._bindings(copy["id"], stream.get("landings", []), [], "landing_id", "landings")
        self.store.save_doc("streams", copy, campaign_id)

    def campaign_streams(self, cid: int) -> list[JsonDict]:
        self.get_live("campaigns", cid)
        docs = self.store.list_docs("streams", "parent_id = ? AND state != 'deleted'", (cid,))
        return [self.stream_view(d) for d in sorted(docs, key=lambda d: (d.get("position", 0), d["id"]))]

    def clean_archive(self) -> JsonDict:
        # Empties the whole campaign archive (reference §3.2: the new spec's clean_archive).
        for doc in self.deleted("campaigns"):
            self.store.delete_doc("campaigns", doc["id"])
            self.store.execute("DELETE FROM streams WHERE parent_id = ?", (doc["id"],))
        return {"success": True}

    # -- streams ------------------------------------------------------------------------------
    def _filters(self, sid: int, items: Any) -> list[JsonDict]:
        if not isinstance(items, list):
            raise invalid("filters", "Filters must be an array")
        out = []
        for item in items:
            if not isinstance(item, dict):
                raise invalid("filters", "Filter must be an object")
            require(item, "name", "mode")
            if item["mode"] not in ("accept", "reject"):
                raise invalid("mode", "Mode must be accept or reject")
            payload = item.get("payload")
            out.append(
                {
                    "id": self.store.next_id("filters", 5000),
                    "stream_id": sid,
                    "name": str(item["name"]),
                    "mode": item["mode"],
                    "payload": payload,  # returned as sent (array or string)
                    "oid": "",
                }
            )
        return out

    def _triggers(self, sid: int, items: Any) -> list[JsonDict]:
        if not isinstance(items, list):
            raise invalid("triggers", "Triggers must be an array")
        out = []
        for item in items:
            if not isinstance(item, dict):
                raise invalid("triggers", "Trigger must be an object")
            target = item.get("target", item.get("taget"))
            require({**item, "target": target}, "condition", "target", "action")
            trig = {
                "id": self.store.next_id("triggers", 700),
                "stream_id": sid,
                "oid": 0,
                "target": target,
                "condition": item["condition"],
                "action": item["action"],
                "selected_page": str(item.get("selected_page") or ""),
                "pattern": str(item.get("pattern") or ""),
                "interval": coerce("interval", "int", item.get("interval", 3600)),
                "next_run_at": self.clock() + 3600,
                "alternative_urls": str(item.get("alternative_urls") or ""),
                "grab_from_page": str(item.get("grab_from_page") or ""),
                "av_settings": str(item.get("av_settings") or ""),
                "reverse": bool(item.get("reverse", False)),
                "enabled": True,
                "scan_page": bool(item.get("scan_page", False)),
            }
            out.append(trig)
        return out

    def _bindings(self, sid: int, items: Any, existing: list[JsonDict], key: str, field: str) -> list[JsonDict]:
        """Replace a flow's offer or landing set. A binding to the same entity keeps its id and
        created_at; duplicates in the request collapse into one binding (live, reference §4.2)."""
        if not isinstance(items, list):
            raise invalid(field, f"{_label(field)} must be an array")
        by_ref = {int(b[key]): b for b in existing}
        seen: set[int] = set()
        out = []
        now = self.now()
        for item in items:
            if not isinstance(item, dict):
                raise invalid(field, f"{_label(field)} item must be an object")
            require(item, key)
            ref = coerce(key, "int", item[key])
            share = coerce("share", "int", item.get("share", 100))
            state = item.get("state") or "active"
            if state not in ("active", "disabled"):
                raise invalid("state", "State must be active or disabled")
            if ref in seen:
                continue
            seen.add(ref)
            old = by_ref.get(ref)
            out.append(
                {
                    "id": old["id"] if old else self.store.next_id("bindings"),
                    "stream_id": sid,
                    key: ref,
                    "state": state,
                    "share": share,
                    "created_at": old["created_at"] if old else now,
                    "updated_at": now,
                }
            )
        return out

    def create_stream(self, body: Any) -> JsonDict:
        body = require_body(body)
        require(body, "campaign_id", "schema", "type", "name", "action_type")
        cid = coerce("campaign_id", "int", body["campaign_id"])
        if self.store.get_doc("campaigns", cid) is None:
            raise invalid("campaign_id", "Campaign not found", 422)
        doc = models.stream(self.store.next_id("streams"), cid, self.now())
        self._apply_stream(doc, body, new=True)
        self.store.save_doc("streams", doc, cid)
        return self.stream_view(doc)

    def _apply_stream(self, doc: JsonDict, body: JsonDict, new: bool) -> None:
        simple = {
            k: v for k, v in body.items() if k not in ("filters", "triggers", "offers", "landings", "campaign_id")
        }
        apply_fields(doc, simple, STREAM_FIELDS)
        sid = doc["id"]
        if "filters" in body:
            doc["filters"] = self._filters(sid, body["filters"] or [])
        if "triggers" in body:
            doc["triggers"] = self._triggers(sid, body["triggers"] or [])
        if "offers" in body:
            doc["offers"] = self._bindings(
                sid, body["offers"] or [], [] if new else doc["offers"], "offer_id", "offers"
            )
        if "landings" in body:
            doc["landings"] = self._bindings(
                sid, body["landings"] or [], [] if new else doc["landings"], "landing_id", "landings"
            )
        doc["updated_at"] = self.now()

    def get_stream(self, sid: int) -> JsonDict:
        return self.stream_view(self.get_live("streams", sid))

    def update_stream(self, sid: int, body: Any) -> JsonDict:
        body = require_body(body)
        doc = self.get_live("streams", sid)
        if "campaign_id" in body:
            cid = coerce("campaign_id", "int", body["campaign_id"])
            if self.store.get_doc("campaigns", cid) is None:
                raise invalid("campaign_id", "Campaign not found", 422)
            doc["campaign_id"] = cid
        self._apply_stream(doc, body, new=False)
        self.store.save_doc("streams", doc, doc["campaign_id"])
        return self.stream_view(doc)

    def set_stream_state(self, sid: int, state: str, allow_deleted: bool = False) -> JsonDict:
        doc = self.get_any("streams", sid) if allow_deleted else self.get_live("streams", sid)
        doc["state"] = state
        doc["updated_at"] = self.now()
        self.store.save_doc("streams", doc, doc["campaign_id"])
        return self.stream_view(doc)

    def search_streams(self, query: str) -> list[JsonDict]:
        if not query:
            raise invalid("query", "Query is required")
        needle = query.lower()
        hits = []
        for doc in self.live("streams"):
            text = " ".join(str(doc.get(k) or "") for k in ("name", "action_payload", "comments")).lower()
            if needle in text or needle == str(doc["id"]):
                hits.append(self.stream_view(doc))
        return hits

    # -- simple archivable entities -----------------------------------------------------------
    def create_simple(self, table: str, body: Any, fields: Fields, factory: Callable[[int, str], JsonDict]) -> JsonDict:
        body = require_body(body)
        require(body, "name")
        doc = factory(self.store.next_id(table), self.now())
        apply_fields(doc, body, fields)
        if table == "traffic_sources":
            doc["parameters"] = models.default_parameters(doc["parameters"])
        self.store.save_doc(table, doc)
        return doc

    def update_simple(self, table: str, entity_id: int, body: Any, fields: Fields) -> JsonDict:
        body = require_body(body)
        doc = self.get_live(table, entity_id)
        if "name" in body and not body["name"]:
            raise invalid("name", "Name is required")
        apply_fields(doc, body, fields)
        if table == "traffic_sources" and "parameters" in body:
            doc["parameters"] = models.default_parameters(doc["parameters"])
        if "updated_at" in doc:
            doc["updated_at"] = self.now()
        self.store.save_doc(table, doc)
        return doc

    def archive(self, table: str, entity_id: int) -> JsonDict:
        doc = self.get_live(table, entity_id)
        doc["state"] = "deleted"
        if "updated_at" in doc:
            doc["updated_at"] = self.now()
        self.store.save_doc(table, doc)
        return doc

    def restore(self, table: str, entity_id: int) -> JsonDict:
        doc = self.get_any(table, entity_id)
        doc["state"] = "active"
        self.store.save_doc(table, doc)
        return doc

    def clone(self, table: str, entity_id: int) -> JsonDict:
        src = self.get_live(table, entity_id)
        doc = dict(src)
        doc.update(id=self.store.next_id(table), name=f"Copy of {src['name']}")
        if "created_at" in doc:
            doc["created_at"] = doc["updated_at"] = self.now()
        self.store.save_doc(table, doc)
        for row in self.store.query(
            "SELECT path, data FROM files WHERE owner = ? AND owner_id = ?", (table, entity_id)
        ):
            self.store.execute("INSERT INTO files VALUES (?, ?, ?, ?)", (table, doc["id"], row[0], row[1]))
        return doc

    # -- domains ------------------------------------------------------------------------------
    def create_domain(self, body: Any) -> list[JsonDict]:
        body = require_body(body)
        require(body, "name")
        name = str(body["name"]).strip().lower()
        if any(d["name"] == name for d in self.live("domains")):
            raise invalid("name", "Domain already exists")
        doc = models.domain(self.store.next_id("domains"), self.now())
        apply_fields(doc, body, DOMAIN_FIELDS)
        doc["name"] = name
        doc["default_campaign"] = doc["default_campaign_id"]
        self.store.save_doc("domains", doc)
        # The spec declares the create response as an array of domains.
        return [self.domain_view(doc)]

    def check_domain(self, did: int) -> JsonDict:
        doc = self.get_live("domains", did)
        doc["network_status"] = "active"
        doc["updated_at"] = self.now()
        self.store.save_doc("domains", doc)
        return self.domain_view(doc)

    # -- groups -------------------------------------------------------------------------------
    def list_groups(self, gtype: str | None) -> list[JsonDict]:
        if not gtype:
            raise invalid("type", "Type is required")
        if gtype not in GROUP_TYPES:
            raise invalid("type", f"Type must be one of: {', '.join(GROUP_TYPES)}")
        return [g for g in self.store.list_docs("groups") if g["type"] == gtype]

    def create_group(self, body: Any) -> JsonDict:
        body = require_body(body)
        require(body, "name", "type")
        doc = models.group(self.store.next_id("groups"))
        apply_fields(doc, body, GROUP_FIELDS)
        self.store.save_doc("groups", doc)
        return doc

    def update_group(self, gid: int, body: Any) -> JsonDict:
        body = require_body(body)
        doc = self.get_any("groups", gid)
        apply_fields(doc, body, GROUP_FIELDS)
        self.store.save_doc("groups", doc)
        return doc

    def delete_group(self, gid: int) -> JsonDict:
        doc = self.get_any("groups", gid)
        self.store.delete_doc("groups", gid)
        return doc

    # -- users --------------------------------------------------------------------------------
    def create_user(self, body: Any) -> JsonDict:
        body = require_body(body)
        require(body, "login", "new_password", "new_password_confirmation", "type")
        self._check_password(body)
        if any(u["login"] == body["login"] for u in self.store.list_docs("users")):
            raise invalid("login", "Login has already used")
        doc = models.user(self.store.next_id("users"))
        apply_fields(doc, body, USER_FIELDS)
        self.store.save_doc("users", doc)
        return doc

    @staticmethod
    def _check_password(body: JsonDict) -> None:
        if "new_password" in body and body.get("new_password") != body.get("new_password_confirmation"):
            raise invalid("new_password_confirmation", "Passwords do not match")

    def update_user(self, uid: int, body: Any) -> JsonDict:
        body = require_body(body)
        doc = self.get_any("users", uid)
        self._check_password(body)
        apply_fields(doc, body, USER_FIELDS)
        if "keyCount" in body:
            doc["key_count"] = doc.pop("keyCount")
        self.store.save_doc("users", doc)
        return doc

    def user_access(self, uid: int, body: Any) -> JsonDict:
        body = require_body(body)
        doc = self.get_any("users", uid)
        access = body.get("access_data")
        if not isinstance(access, dict):
            raise invalid("access_data", "Access data is required")
        allowed = ("full_access", "read_only", "to_groups_and_selected", "created_by_user_groups_and_selected")
        for key in models.ACCESS_TYPES:
            if key in access:
                doc["access_data"][key] = coerce(key, allowed, access[key])
        for key in ("resources", "reports"):
            if key in access:
                doc["access_data"][key] = coerce(key, "list", access[key])
        doc["access_data"]["allowed_resources"] = doc["access_data"]["resources"]
        self.store.save_doc("users", doc)
        return doc

    def delete_user(self, uid: int) -> JsonDict:
        self.get_any("users", uid)
        self.store.delete_doc("users", uid)
        return {"success": True}

    # -- bot list -----------------------------------------------------------------------------
    def _botlist(self) -> list[str]:
        return [ip for ip in self.store.get_setting("botlist").split() if ip]

    def botlist_replace(self, body: Any, mode: str) -> JsonDict:
        body = require_body(body)
        value = body.get("value")
        if not isinstance(value, str):
            raise invalid("value", "Value is required")
        ips = [ip for ip in value.replace(",", " ").split() if ip]
        current = self._botlist()
        if mode == "replace":
            current = list(dict.fromkeys(ips))
        elif mode == "add":
            current = list(dict.fromkeys(current + ips))
        else:
            current = [ip for ip in current if ip not in set(ips)]
        self.store.set_setting("botlist", "\n".join(current))
        return {"count": len(current)}

    def botlist_get(self) -> JsonDict:
        return {"value": "\n".join(self._botlist())}

    def botlist_clear(self) -> JsonDict:
        self.store.set_setting("botlist", "")
        return {"success": True}

    # -- labels -------------------------------------------------------------------------------
    def get_labels(self, query: dict[str, str]) -> JsonDict:
        for key in ("campaign_id", "label_name", "ref_name"):
            if not query.get(key):
                raise invalid(key, f"{_label(key)} is required")
        cid = coerce("campaign_id", "int", query["campaign_id"])
        rows = self.store.query(
            "SELECT value, label FROM labels WHERE campaign_id = ? AND ref_name = ? AND label = ? ORDER BY value",
            (cid, query["ref_name"], query["label_name"]),
        )
        return {str(r[0]): str(r[1]) for r in rows}

    def update_labels(self, body: Any) -> JsonDict:
        body = require_body(body)
        require(body, "campaign_id", "ref_name")
        cid = coerce("campaign_id", "int", body["campaign_id"])
        items = body.get("items")
        if not isinstance(items, dict):
            raise invalid("items", 'Items must be an object like {"value": "blacklist"}')
        for value, label in items.items():
            if label in (None, "", "none"):
                self.store.execute(
                    "DELETE FROM labels WHERE campaign_id = ? AND ref_name = ? AND value = ?",
                    (cid, body["ref_name"], value),
                )
            elif label in ("whitelist", "blacklist"):
                self.store.execute(
                    "INSERT OR REPLACE INTO labels VALUES (?, ?, ?, ?)", (cid, body["ref_name"], str(value), label)
                )
            else:
                raise invalid("items", "Label must be whitelist or blacklist")
        return {"success": True}

    # -- logs ---------------------------------------------------------------------------------
    def get_log(self, log_type: str, query: dict[str, str]) -> list[JsonDict]:
        if log_type not in LOG_TYPES:
            raise bad_request(f"Unknown log type {log_type!r}; valid: {', '.join(LOG_TYPES)}")
        if not query.get("limit"):
            raise invalid("limit", "Limit is required")
        limit = coerce("limit", "int", query["limit"])
        offset = coerce("offset", "int", query.get("offset") or 0)
        sql = "SELECT dt, jid, message FROM logs WHERE type = ?"
        params: list[Any] = [log_type]
        if query.get("query"):
            sql += " AND instr(lower(message), lower(?)) > 0"
            params.append(query["query"])
        sql += " ORDER BY id DESC LIMIT ? OFFSET ?"
        rows = self.store.query(sql, [*params, max(limit, 0), max(offset, 0)])
        return [{"datetime": fmt_ts(r[0]), "jid": r[1], "message": r[2]} for r in rows]

    def clear_log(self, log_type: str) -> JsonDict:
        if log_type not in LOG_TYPES:
            raise bad_request(f"Unknown log type {log_type!r}; valid: {', '.join(LOG_TYPES)}")
        self.store.execute("DELETE FROM logs WHERE type = ?", (log_type,))
        return {"success": True}

    # -- files of offers and landing pages ----------------------------------------------------
    def _file_path(self, query: dict[str, str]) -> str:
        path = (query.get("path") or "").strip().lstrip("/")
        if not path or ".." in path.split("/"):
            raise invalid("path", "Path is required")
        return path

    def add_file(self, table: str, eid: int, query: dict[str, str]) -> JsonDict:
        self.get_live(table, eid)
        path = self._file_path(query)
        self.store.execute("INSERT OR IGNORE INTO files VALUES (?, ?, ?, '')", (table, eid, path))
        return {"path": path}

    def get_file(self, table: str, eid: int, query: dict[str, str]) -> JsonDict:
        self.get_live(table, eid)
        path = self._file_path(query)
        row = self.store.one("SELECT data FROM files WHERE owner = ? AND owner_id = ? AND path = ?", (table, eid, path))
        if row is None:
            raise HttpError(404, f"File {path} not found", "text/plain")
        return {"data": row[0]}

    def update_file(self, table: str, eid: int, query: dict[str, str]) -> JsonDict:
        self.get_live(table, eid)
        path = self._file_path(query)
        if "data" not in query:
            raise invalid("data", "Data is required")
        self.store.execute("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?)", (table, eid, path, query["data"]))
        return {"path": path}

    def remove_file(self, table: str, eid: int, query: dict[str, str]) -> JsonDict:
        self.get_live(table, eid)
        path = self._file_path(query)
        self.store.execute("DELETE FROM files WHERE owner = ? AND owner_id = ? AND path = ?", (table, eid, path))
        return {"success": True}

    def file_structure(self, table: str, eid: int) -> JsonDict:
        self.get_live(table, eid)
        root: JsonDict = {"name": "", "type": "directory", "ext": "", "path": "/", "children": []}
        rows = self.store.query("SELECT path FROM files WHERE owner = ? AND owner_id = ? ORDER BY path", (table, eid))
        for (path,) in rows:
            node = root
            parts = str(path).split("/")
            for i, part in enumerate(parts):
                is_file = i == len(parts) - 1
                child = next((c for c in node["children"] if c["name"] == part), None)
                if child is None:
                    child = {
                        "name": part,
                        "type": "file" if is_file else "directory",
                        "ext": part.rsplit(".", 1)[-1] if is_file and "." in part else "",
                        "path": "/".join(parts[: i + 1]),
                        "children": [],
                    }
                    node["children"].append(child)
                node = child
        return root

    def download(self, table: str, eid: int) -> bytes:
        self.get_live(table, eid)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for path, data in self.store.query(
                "SELECT path, data FROM files WHERE owner = ? AND owner_id = ?", (table, eid)
            ):
                zf.writestr(str(path), str(data))
        return buf.getvalue()

    # -- integrations -------------------------------------------------------------------------
    def setting_from_query(self, key: str, query: dict[str, str]) -> JsonDict:
        if key not in query:
            raise invalid(key, f"{_label(key)} is required")
        self.store.set_setting(key, query[key])
        return {key: query[key]}

    def facebook_create(self, body: Any) -> JsonDict:
        body = require_body(body)
        require(body, "name")
        doc = models.facebook(self.store.next_id("facebook_integrations"))
        apply_fields(doc, body, FACEBOOK_FIELDS)
        self.store.save_doc("facebook_integrations", doc)
        return doc

    def facebook_update(self, fid: int, body: Any) -> JsonDict:
        body = require_body(body)
        doc = self.get_any("facebook_integrations", fid)
        apply_fields(doc, body, FACEBOOK_FIELDS)
        self.store.save_doc("facebook_integrations", doc)
        return doc

    def facebook_delete(self, fid: int) -> JsonDict:
        self.get_any("facebook_integrations", fid)
        self.store.delete_doc("facebook_integrations", fid)
        self.store.execute("DELETE FROM facebook_campaigns WHERE integration_id = ?", (fid,))
        return {"success": True}

    def facebook_campaigns(self, fid: int) -> list[JsonDict]:
        self.get_any("facebook_integrations", fid)
        rows = self.store.query(
            "SELECT f.campaign_id, c.name FROM facebook_campaigns f LEFT JOIN campaigns c ON c.id = f.campaign_id "
            "WHERE f.integration_id = ? ORDER BY f.campaign_id",
            (fid,),
        )
        return [{"name": str(r[1] or ""), "value": int(r[0])} for r in rows]

    def facebook_assign(self, fid: int, body: Any, assign: bool) -> JsonDict:
        body = require_body(body)
        self.get_any("facebook_integrations", fid)
        require(body, "campaign_id")
        cid = coerce("campaign_id", "int", body["campaign_id"])
        if assign:
            self.get_live("campaigns", cid)
            self.store.execute("INSERT OR IGNORE INTO facebook_campaigns VALUES (?, ?)", (fid, cid))
        else:
            self.store.execute(
                "DELETE FROM facebook_campaigns WHERE integration_id = ? AND campaign_id = ?", (fid, cid)
            )
        return {"success": True}


# Catalogues served by /stream_types, /stream_schemas, /streams_actions, /stream_filters.
STREAM_TYPES = [
    {"key": "forced", "name": "Forced", "field": "", "type": "stream_type", "description": "Checked first, always"},
    {"key": "regular", "name": "Regular", "field": "", "type": "stream_type", "description": "By position or weight"},
    {"key": "default", "name": "Default", "field": "", "type": "stream_type", "description": "When nothing matched"},
]
STREAM_SCHEMAS = [
    {"key": "landings", "name": "Landings & offers", "field": "", "type": "schema", "description": ""},
    {"key": "redirect", "name": "Redirect", "field": "action_payload", "type": "schema", "description": ""},
    {"key": "action", "name": "Action", "field": "action_payload", "type": "schema", "description": ""},
]
STREAM_ACTIONS = [
    {"key": key, "name": name, "field": field, "type": "redirect" if field == "url" else "other", "description": ""}
    for key, name, field in (
        ("http", "HTTP redirect", "url"),
        ("meta", "Meta redirect", "url"),
        ("double_meta", "Double meta redirect", "url"),
        ("js", "JS redirect", "url"),
        ("blank_referrer", "Blank referrer", "url"),
        ("formsubmit", "Form submit", "url"),
        ("iframe", "Iframe", "url"),
        ("frame", "Frame", "url"),
        ("remote", "Remote URL", "url"),
        ("curl", "CURL", "url"),
        ("local_file", "Local file", "text"),
        ("show_text", "Show text", "text"),
        ("show_html", "Show HTML", "text"),
        ("status404", "404 Not Found", ""),
        ("do_nothing", "Do nothing", ""),
        ("campaign", "Send to campaign", "campaign"),
    )
]
STREAM_FILTERS = [
    {"value": name, "tooltip": tooltip, "modes": {"accept": "Accept", "reject": "Reject"}, "group": group,
     "template": "", "header_template": "", "defaults": ""}
    for name, tooltip, group in (
        ("country", "Country (ISO 3166-1 alpha-2)", "geo"),
        ("region", "Region", "geo"),
        ("city", "City", "geo"),
        ("language", "Browser language", "geo"),
        ("device_type", "Device type", "device"),
        ("os", "Operating system", "device"),
        ("browser", "Browser", "device"),
        ("isp", "ISP", "network"),
        ("operator", "Mobile operator", "network"),
        ("connection_type", "Connection type", "network"),
        ("ip", "IP address or range", "network"),
        ("proxy", "Proxy", "network"),
        ("bot", "Bot (bot list, user agent, IP ranges)", "security"),
        ("uniqueness", "Unique visitors", "security"),
        ("referrer", "Referrer", "source"),
        ("empty_referrer", "Empty referrer", "source"),
        ("keyword", "Keyword", "source"),
        ("sub_id_1", "Sub ID 1", "parameters"),
        ("schedule", "Schedule", "time"),
        ("limit", "Clicks limit", "other"),
    )
]  # fmt: skip
