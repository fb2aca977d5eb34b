"""Who calls the sandbox and what they may touch: Keitaro's per-user API keys and access rules, as a model.

On a real tracker an API key acts as the Keitaro user it belongs to, with that user's access rules
(``access_data``, reference §4.9). How a restricted user's answers are trimmed is not public, so the sandbox
follows a model (reference §13):

- The tracker's own key (``Sandbox(api_key=...)``) and ADMIN users reach everything.
- Per entity kind, ``<kind>_access_type`` decides: ``full_access`` reads and writes all; ``read_only`` reads
  all and writes none; ``to_groups_and_selected`` and ``created_by_user_groups_and_selected`` reach only the
  entities listed in ``<kind>_selected_entities`` (an entity the user creates or clones joins that list).
  Kinds without such a list on real trackers (traffic sources, domains) show nothing when restricted.
- Flows follow their campaign; writing them also needs ``streams_access_type`` other than ``read_only``.
- Lists show only what the user may see; reports and the click and conversion logs count only the
  campaigns they may see. A single read or write beyond the rules answers 403.
- Administration (users, bot list, integrations, system logs, groups, wiping stats, emptying the archive)
  is for ADMIN users only: 403 for the others.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from keitaro_mcp.sandbox.errors import HttpError
from keitaro_mcp.sandbox.routing import Call
from keitaro_mcp.sandbox.state import Tracker
from keitaro_mcp.sandbox.store import JsonDict

__all__ = ["DEMO_USER_KEYS", "Rules", "Settle", "admit", "forbidden", "rules_for"]

DEMO_USER_KEYS: Mapping[str, str] = {
    "sandbox-anna-key": "anna.buyer",
    "sandbox-max-key": "max.analyst",
    "sandbox-oleg-key": "oleg.buyer",
}
"""The seeded users' own API keys (key -> login). Printing them is the point: they are the demo's."""

FULL, READ_ONLY = "full_access", "read_only"


@dataclass(frozen=True)
class Kind:
    table: str
    rights: str
    """The prefix of its keys in ``access_data``: ``<rights>_access_type``, ``<rights>_selected_entities``."""


KINDS = {
    "campaigns": Kind("campaigns", "campaigns"),
    "streams": Kind("streams", "streams"),
    "offers": Kind("offers", "offers"),
    "landing_pages": Kind("landings", "landings"),
    "affiliate_networks": Kind("affiliate_networks", "affiliate_networks"),
    "traffic_sources": Kind("traffic_sources", "traffic_sources"),
    "domains": Kind("domains", "domains"),
}
"""The first path segment of an entity route -> its kind."""

ADMIN_HEADS = frozenset({"users", "botlist", "integrations", "logs", "_sandbox"})
ADMIN_ROUTES = frozenset(
    {"POST /clicks/clean", "POST /campaigns/clean_archive", "POST /groups", "PUT /groups/{id}",
     "DELETE /groups/{id}/delete"}
)  # fmt: skip
SCOPED_READS = frozenset({"POST /report/build", "POST /clicks/log", "POST /conversions/log"})
"""Reads over clicks: restricted to the campaigns the caller may see."""


def forbidden() -> HttpError:
    return HttpError(403, {"error": "You have no permission to access this page", "stacktrace": None})


class Rules:
    """One non-admin user's access rules, read from their user document."""

    def __init__(self, t: Tracker, user: JsonDict) -> None:
        self.t = t
        self.user = user
        self.access: JsonDict = user.get("access_data") or {}

    def level(self, kind: Kind) -> str:
        return str(self.access.get(f"{kind.rights}_access_type") or FULL)

    def selected(self, kind: Kind) -> set[int]:
        return {int(i) for i in self.access.get(f"{kind.rights}_selected_entities") or [] if str(i).isdigit()}

    def restricted(self, kind: Kind) -> bool:
        return self.level(kind) not in (FULL, READ_ONLY)

    def sees(self, kind: Kind, doc: JsonDict) -> bool:
        if kind.table == "streams":
            return self.sees(KINDS["campaigns"], self._campaign_of(doc))
        return not self.restricted(kind) or int(doc.get("id") or 0) in self.selected(kind)

    def writes(self, kind: Kind, doc: JsonDict) -> bool:
        if kind.table == "streams":
            return self.level(kind) != READ_ONLY and self.writes(KINDS["campaigns"], self._campaign_of(doc))
        return self.level(kind) == FULL or (self.restricted(kind) and self.sees(kind, doc))

    def creates(self, kind: Kind) -> bool:
        return self.level(kind) != READ_ONLY

    def visible_campaigns(self) -> list[int] | None:
        """The campaign ids reports may count, or None for all."""
        campaigns = KINDS["campaigns"]
        return sorted(self.selected(campaigns)) if self.restricted(campaigns) else None

    def adopt(self, kind: Kind, created: Any) -> None:
        """A restricted user keeps access to what they created or cloned."""
        if not self.restricted(kind) or kind.table == "streams":
            return
        docs = created if isinstance(created, list) else [created]
        ids = [int(d["id"]) for d in docs if isinstance(d, dict) and isinstance(d.get("id"), int)]
        if ids:
            key = f"{kind.rights}_selected_entities"
            self.access[key] = sorted(self.selected(kind) | set(ids))
            self.t.store.save_doc("users", self.user)

    def _campaign_of(self, stream: JsonDict) -> JsonDict:
        campaign = self.t.store.get_doc("campaigns", int(stream.get("campaign_id") or 0))
        return campaign or {"id": 0}


def rules_for(t: Tracker, login: str | None) -> Rules | None:
    """The rules of the user `login` (None: the tracker's own key, unrestricted); 401 when that user is gone."""
    if login is None:
        return None
    user = next((u for u in t.store.list_docs("users") if u.get("login") == login), None)
    if user is None or user.get("state") == "deleted":
        raise HttpError(401, {"error": "Unauthorized"})
    return None if user.get("type") == "ADMIN" else Rules(t, user)


Settle = Callable[[Any], Any]


def admit(t: Tracker, login: str | None, method: str, template: str, call: Call) -> Settle:
    """Check one request against its caller's rules before the handler runs (403 beyond them; a scoped read gets
    its campaigns filter). Returns what to apply to the handler's answer: the list trimmed, creations adopted."""
    rules = rules_for(t, login)
    if rules is None:
        return _same
    route = f"{method} {template}"
    parts = template.strip("/").split("/")
    head = parts[0]
    if head in ADMIN_HEADS or route in ADMIN_ROUTES:
        raise forbidden()
    if route in SCOPED_READS:
        _scope(rules, call)
        return _same
    if route == "POST /clicks/update_costs":
        _require_campaigns(rules, (call.body or {}).get("campaign_ids") if isinstance(call.body, dict) else None)
        return _same
    if template == "/report/labels":
        source = call.query if method == "GET" else (call.body if isinstance(call.body, dict) else {})
        _require_campaigns(rules, [source.get("campaign_id")], write=method != "GET")
        return _same
    kind = KINDS.get(head)
    if kind is None:
        return _same
    if len(parts) > 1 and parts[1] == "{id}":
        doc = t.store.get_doc(kind.table, call.id())
        if doc is not None and (not rules.sees(kind, doc) or (method != "GET" and not rules.writes(kind, doc))):
            raise forbidden()
        return (lambda result: _adopted(rules, kind, result)) if method != "GET" and _creates(parts) else _same
    if method == "GET":
        return lambda result: [d for d in result if rules.sees(kind, d)] if isinstance(result, list) else result
    if method == "POST" and len(parts) == 1:
        if kind.table == "streams":
            body = call.body if isinstance(call.body, dict) else {}
            campaign = t.store.get_doc("campaigns", _int(body.get("campaign_id")))
            if not rules.creates(kind) or (campaign is not None and not rules.writes(KINDS["campaigns"], campaign)):
                raise forbidden()
        elif not rules.creates(kind):
            raise forbidden()
        return lambda result: _adopted(rules, kind, result)
    return _same


def _same(result: Any) -> Any:
    return result


def _creates(parts: list[str]) -> bool:
    return parts[-1] == "clone"


def _adopted(rules: Rules, kind: Kind, result: Any) -> Any:
    rules.adopt(kind, result)
    return result


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _require_campaigns(rules: Rules, ids: Any, *, write: bool = True) -> None:
    """403 unless the caller may see (or write) every campaign named; a malformed list is the handler's to refuse."""
    campaigns = KINDS["campaigns"]
    if not isinstance(ids, list):
        if rules.level(campaigns) != FULL:
            raise forbidden()
        return
    for cid in ids:
        doc = rules.t.store.get_doc("campaigns", _int(cid))
        if doc is not None and not (rules.writes(campaigns, doc) if write else rules.sees(campaigns, doc)):
            raise forbidden()


def _scope(rules: Rules, call: Call) -> None:
    """Add `campaign_id IN (visible)` to a report or log request; the caller's own filters still apply."""
    visible = rules.visible_campaigns()
    if visible is None or not isinstance(call.body, dict):
        return
    filters = call.body.get("filters")
    if filters is not None and not isinstance(filters, list):
        return  # malformed: the engine answers it
    scope = {"name": "campaign_id", "operator": "IN_LIST", "expression": visible}
    call.body = {**call.body, "filters": [*(filters or []), scope]}
