"""A faithful Keitaro tracker simulator over SQLite, for tests, demos and offline development.

Usage in-process::

    sandbox = Sandbox(seed=42, clicks=20_000)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.app),
                                 base_url="http://sandbox.test") as client:
        r = await client.get("/admin_api/v1/campaigns", headers={"Api-Key": DEMO_API_KEY})

Seeding is lazy (first request, or ``connection()``), so creating the app is instant.

Layout:

- ``resources/<family>.py``: one module per resource family of the Admin API (campaigns, flows, offers,
  landing pages, affiliate networks, traffic sources, domains, groups, users, bot list, integrations,
  logs, labels, reports, clicks, conversions), each with its handlers and its ``ROUTES`` table.
  ``resources/_common.py`` holds the shared helpers (coercion, field tables, required checks, Keitaro's
  error answers); ``_archivable.py`` the create/update/archive/restore/clone the simple entities share;
  ``_files.py`` the local files of offers and landing pages.
- ``reports``: the report engine behind ``/report/build``, the click and conversion logs and cost writes.
- ``seed``: the deterministic demo data, one function per entity kind, then the traffic.
- ``pipeline.py``: count → faults → auth → handler → record, for every request (``app.py`` puts it in
  front of the route tables); ``control.py``: the ``/_sandbox`` control path; ``postback.py``: the
  tracker's postback endpoint.
- ``state.py``: what a handler works with (:class:`~keitaro_mcp.sandbox.state.Tracker`: the store, the
  seeded random generator, the clock, the report engine, archive-aware lookups); ``store.py``: SQLite;
  ``models.py``: entity defaults.

Adding a route (e.g. one more read-only operation) takes a handler and a route entry in the family's
module, nothing else::

    def list_deleted(t: Tracker, c: Call) -> list[JsonDict]:
        return [campaign_view(t, d) for d in t.deleted("campaigns")]

    ROUTES = [..., Route("GET", "/campaigns/deleted", list_deleted)]

A handler gets ``c.id()`` (the numeric ``{id}``), ``c.params`` (other ``{name}`` segments), ``c.query``
and ``c.body`` (parsed JSON, ``None`` when empty); it returns a JSON value (200) or a ``Reply`` (another
status or content type) and raises ``invalid(field, message)``, ``bad_request(message)`` or
``not_found(table, id)`` for Keitaro's error answers (all importable from ``resources._common``).
``t.get_live(table, id)`` reads an entity and answers 404 when it is missing or archived. Handlers run
one at a time under the store lock. Routes match in table order, first match wins; ``{id}`` matches
digits only. A new family is a new module with a ``ROUTES`` table, listed in ``resources.ROUTE_TABLES``.
``tests/sandbox/test_contract.py`` checks one request per Admin API operation against Keitaro's OpenAPI
document.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette

from keitaro_mcp.sandbox.access import DEMO_USER_KEYS
from keitaro_mcp.sandbox.app import create_asgi_app
from keitaro_mcp.sandbox.faults import Faults
from keitaro_mcp.sandbox.postback import Postbacks
from keitaro_mcp.sandbox.reports import Reports
from keitaro_mcp.sandbox.state import Tracker
from keitaro_mcp.sandbox.store import Store

DEMO_API_KEY = "sandbox-demo-key"
DEMO_POSTBACK_KEY = "sandboxpb"

__all__ = ["DEMO_API_KEY", "DEMO_POSTBACK_KEY", "DEMO_USER_KEYS", "Sandbox", "create_app"]


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
        user_keys: Mapping[str, str] = DEMO_USER_KEYS,
    ) -> None:
        """`api_key` is the tracker's own key (every right); `user_keys` maps the seeded users' own keys to their
        logins: those calls act as that user, within their access rules (keitaro_mcp.sandbox.access)."""
        if clicks < 0:
            raise ValueError("clicks must be >= 0")
        self.seed = seed
        self.clicks = clicks
        self.api_key = api_key
        self.postback_key = postback_key
        self.user_keys: Mapping[str, str] = dict(user_keys)
        anchor = now or datetime.now(UTC)
        if anchor.tzinfo is None:
            anchor = anchor.replace(tzinfo=UTC)
        self.now = anchor.replace(microsecond=0)
        # The exact instant, not the whole second: a clock that runs behind the wall clock would answer the
        # presets (today, yesterday) with the day before for a moment after midnight.
        self._anchor = anchor.timestamp()
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
        self.reports = Reports(self.store, self.clock)
        self.tracker = Tracker(self.store, self.rng, self.clock, self.reports)
        self.postbacks = Postbacks(self.store, self.clock)
        self.app: Starlette = create_asgi_app(self)

    def clock(self) -> int:
        """The tracker's current time: the anchor ``now`` plus the time elapsed since creation."""
        return int(self._anchor + (time.monotonic() - self._started))

    def ensure_seeded(self) -> None:
        if self._seeded:
            return
        with self._seed_lock:
            if self._seeded:
                return
            from keitaro_mcp.sandbox import seed as seeding

            seeding.seed(self.store, self.seed, self.clicks, self.now, self.postback_key)
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
