"""What every handler works with: the tracker's database, its seeded random generator (aliases,
tokens), its clock and the report engine, plus the lookups all resource families share.

Keitaro's archive semantics live here once: an archived (``state = deleted``) entity reads as a
404 through :meth:`Tracker.get_live`, while restore and the archive lists use :meth:`Tracker.get_any`
and :meth:`Tracker.deleted`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from keitaro_mcp.sandbox.errors import not_found
from keitaro_mcp.sandbox.reports import Reports
from keitaro_mcp.sandbox.store import JsonDict, Store, fmt_ts

__all__ = ["Clock", "Tracker"]

Clock = Callable[[], int]


@dataclass
class Tracker:
    store: Store
    rng: random.Random
    clock: Clock
    reports: Reports

    def now(self) -> str:
        """The current time as Keitaro writes it in ``created_at``/``updated_at``."""
        return fmt_ts(self.clock()) or ""

    def get_live(self, table: str, entity_id: int) -> JsonDict:
        """The entity, or Keitaro's plain-text 404 when it is missing or archived."""
        doc = self.store.get_doc(table, entity_id)
        if doc is None or doc.get("state") == "deleted":
            raise not_found(table, entity_id)
        return doc

    def get_any(self, table: str, entity_id: int) -> JsonDict:
        """The entity even when archived; 404 only when missing."""
        doc = self.store.get_doc(table, entity_id)
        if doc is None:
            raise not_found(table, entity_id)
        return doc

    def live(self, table: str) -> list[JsonDict]:
        return self.store.list_docs(table, "state IS NULL OR state != 'deleted'")

    def deleted(self, table: str) -> list[JsonDict]:
        return self.store.list_docs(table, "state = 'deleted'")

    def group_name(self, gid: Any) -> str:
        if not gid:
            return ""
        doc = self.store.get_doc("groups", int(gid))
        return str(doc["name"]) if doc else ""
