"""A faithful Keitaro tracker simulator over SQLite, for tests, demos and offline development.

Usage in-process::

    sandbox = Sandbox(seed=42, clicks=20_000)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.app),
                                 base_url="http://sandbox.test") as client:
        r = await client.get("/admin_api/v1/campaigns", headers={"Api-Key": DEMO_API_KEY})

Seeding is lazy (first request, or ``connection()``), so creating the app is instant.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette

from keitaro_mcp.sandbox.entities import Entities
from keitaro_mcp.sandbox.faults import Faults
from keitaro_mcp.sandbox.postback import Postbacks
from keitaro_mcp.sandbox.reports import Reports, cost_request
from keitaro_mcp.sandbox.store import Store

DEMO_API_KEY = "sandbox-demo-key"
DEMO_POSTBACK_KEY = "sandboxpb"

__all__ = ["DEMO_API_KEY", "DEMO_POSTBACK_KEY", "Sandbox", "create_app"]


class Sandbox:
    """The simulated tracker: SQLite state, the ASGI app, faults and request counters."""

    def __init__(
        self,
        seed: int = 42,
        clicks: int = 20_000,
        db: str | None = None,
        now: datetime | None = None,
        api_key: str = DEMO_API_KEY,
        postback_key: str = DEMO_POSTBACK_KEY,
    ) -> None:
        from keitaro_mcp.sandbox.app import create_asgi_app

        if clicks < 0:
            raise ValueError("clicks must be >= 0")
        self.seed = seed
        self.clicks = clicks
        self.api_key = api_key
        self.postback_key = postback_key
        anchor = now or datetime.now(UTC).replace(microsecond=0)
        if anchor.tzinfo is None:
            anchor = anchor.replace(tzinfo=UTC)
        self.now = anchor
        self._anchor = int(anchor.timestamp())
        self._started = time.monotonic()
        self.store = Store(db)
        self.db_path = self.store.path
        self.rng = random.Random(seed)
        self.faults = Faults(seed)
        self.faults_rng = random.Random(seed + 1)
        self._counts: Counter[str] = Counter()
        self._counts_lock = threading.Lock()
        self._seed_lock = threading.Lock()
        self._seeded = not self.store.fresh
        self.entities = Entities(self.store, self.rng, self.clock)
        self.reports = Reports(self.store, self.clock)
        self.postbacks = Postbacks(self.store, self.clock)
        self.app: Starlette = create_asgi_app(self)

    def clock(self) -> int:
        """The tracker's current time: the anchor ``now`` plus the time elapsed since creation."""
        return self._anchor + int(time.monotonic() - self._started)

    def ensure_seeded(self) -> None:
        if self._seeded:
            return
        with self._seed_lock:
            if self._seeded:
                return
            from keitaro_mcp.sandbox import seed as seeding

            seeding.seed(self.store, self.seed, self.clicks, self.now, self.postback_key)
            seeding.campaign_cost_values(self.store)
            if self.store.path != ":memory:":
                self.store.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._seeded = True

    def connection(self) -> sqlite3.Connection:
        """The sandbox's SQLite connection (seeded), for independent SQL in tests. Hold
        ``sandbox.store.lock`` while using it from several threads."""
        self.ensure_seeded()
        return self.store.conn

    # -- request counters -------------------------------------------------------------------
    def count(self, route: str) -> None:
        with self._counts_lock:
            self._counts[route] += 1

    @property
    def request_counts(self) -> dict[str, int]:
        """Requests received per route, e.g. ``{"POST /campaigns": 1, "GET /campaigns/{id}": 3}``."""
        with self._counts_lock:
            return dict(self._counts)

    def reset_counts(self) -> None:
        with self._counts_lock:
            self._counts.clear()

    def update_costs(self, body: Any, campaign_id: int | None) -> dict[str, bool]:
        if campaign_id is not None:
            self.entities.get_live("campaigns", campaign_id)
        ids, entries, defaults, uniques = cost_request(body, campaign_id)
        self.reports.update_costs(ids, entries, defaults, uniques)
        return {"success": True}

    def info(self) -> dict[str, Any]:
        return {"seed": self.seed, "clicks": self.clicks, "now": self.now.isoformat(), "db": self.db_path}

    def close(self) -> None:
        self.store.close()


def create_app(
    seed: int = 42,
    clicks: int = 20_000,
    db: str | None = None,
    now: datetime | None = None,
    api_key: str = DEMO_API_KEY,
    postback_key: str = DEMO_POSTBACK_KEY,
) -> Starlette:
    """A ready ASGI app backed by a new :class:`Sandbox`."""
    return Sandbox(seed=seed, clicks=clicks, db=db, now=now, api_key=api_key, postback_key=postback_key).app
