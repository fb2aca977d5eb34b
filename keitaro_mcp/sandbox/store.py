"""SQLite state of the simulated tracker.

One connection (``check_same_thread=False``) guarded by a re-entrant lock: the ASGI app runs
handlers in worker threads, and sqlite3 objects must never be used by two threads at once.
Entities are stored as JSON documents (the shape the API returns) next to a few indexed
columns; the traffic (clicks, conversions) lives in wide, typed tables that the report
engine queries directly.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

JsonDict = dict[str, Any]

# Tables holding one JSON document per entity (the object as the API returns it).
ENTITY_TABLES = (
    "campaigns",
    "streams",
    "offers",
    "landings",
    "affiliate_networks",
    "traffic_sources",
    "domains",
    "groups",
    "users",
    "facebook_integrations",
)

SUB_ID_COUNT = 30
EXTRA_PARAM_COUNT = 10

# Click columns in insertion order. Everything the click log and the report engine can show.
CLICK_TEXT_COLUMNS = (
    "sub_id",
    "visitor_code",
    "country_code",
    "region",
    "city",
    "language",
    "device_type",
    "device_model",
    "os",
    "os_version",
    "browser",
    "browser_version",
    "connection_type",
    "operator",
    "isp",
    "ip",
    "user_agent",
    "referrer",
    "source",
    "search_engine",
    "keyword",
    "destination",
    "ad_campaign_id",
    "external_id",
    "creative_id",
    "x_requested_with",
    *(f"sub_id_{i}" for i in range(1, SUB_ID_COUNT + 1)),
    *(f"extra_param_{i}" for i in range(1, EXTRA_PARAM_COUNT + 1)),
)
CLICK_INT_COLUMNS = (
    "dt",  # click time, UTC epoch seconds
    "campaign_id",
    "parent_campaign_id",
    "stream_id",
    "offer_id",
    "landing_id",
    "ts_id",
    "is_bot",
    "is_unique_campaign",
    "is_unique_stream",
    "is_unique_global",
    "is_using_proxy",
    "landing_clicked",
    "landing_clicked_dt",
)
# Conversion aggregates kept on the click row: Keitaro attributes conversions to the click
# (reports by click date), and denormalising them keeps reports a single-table scan.
CLICK_CONVERSION_COLUMNS = (
    "conversions",
    "leads",
    "sales",
    "rejected",
    "rebills",
    "lead_revenue",
    "sale_revenue",
    "rejected_revenue",
)
# Numbers first: SQLite decodes a record's header up to the last column a query reads, so the
# columns every report aggregates must not sit behind sixty text columns.
CLICK_COLUMNS = ("id", *CLICK_INT_COLUMNS, "cost", *CLICK_CONVERSION_COLUMNS, *CLICK_TEXT_COLUMNS)

CONVERSION_COLUMNS = (
    "id",
    "click_id",
    "sub_id",
    "tid",
    "status",
    "previous_status",
    "original_status",
    "revenue",
    "cost",
    "currency",
    "postback_dt",
    "sale_dt",
    "params",
)


def _schema() -> str:
    entity = "\n".join(
        f"CREATE TABLE {t} (id INTEGER PRIMARY KEY, name TEXT, state TEXT, parent_id INTEGER, doc TEXT NOT NULL);"
        for t in ENTITY_TABLES
    )
    click_cols = ",\n  ".join(
        ["id INTEGER PRIMARY KEY"]
        + [f"{c} INTEGER NOT NULL DEFAULT 0" for c in CLICK_INT_COLUMNS]
        + ["cost REAL NOT NULL DEFAULT 0"]
        + [f"{c} {'REAL' if c.endswith('revenue') else 'INTEGER'} NOT NULL DEFAULT 0" for c in CLICK_CONVERSION_COLUMNS]
        + [f"{c} TEXT" for c in CLICK_TEXT_COLUMNS]
    )
    return f"""
{entity}
CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE files (owner TEXT NOT NULL, owner_id INTEGER NOT NULL, path TEXT NOT NULL, data TEXT NOT NULL,
                    PRIMARY KEY (owner, owner_id, path));
CREATE TABLE labels (campaign_id INTEGER NOT NULL, ref_name TEXT NOT NULL, value TEXT NOT NULL, label TEXT NOT NULL,
                     PRIMARY KEY (campaign_id, ref_name, value));
CREATE TABLE facebook_campaigns (integration_id INTEGER NOT NULL, campaign_id INTEGER NOT NULL,
                                 PRIMARY KEY (integration_id, campaign_id));
CREATE TABLE logs (id INTEGER PRIMARY KEY, type TEXT NOT NULL, dt INTEGER NOT NULL, jid TEXT NOT NULL,
                   message TEXT NOT NULL);
CREATE INDEX logs_type ON logs (type, id);
CREATE TABLE clicks (
  {click_cols}
);
CREATE TABLE conversions (
  id INTEGER PRIMARY KEY,
  click_id INTEGER NOT NULL,
  sub_id TEXT NOT NULL,
  tid TEXT,
  status TEXT NOT NULL,
  previous_status TEXT,
  original_status TEXT,
  revenue REAL NOT NULL DEFAULT 0,
  cost REAL NOT NULL DEFAULT 0,
  currency TEXT,
  postback_dt INTEGER NOT NULL,
  sale_dt INTEGER,
  params TEXT
);
"""


# Created after the bulk insert of seeded traffic: building indexes once is far cheaper than
# maintaining them row by row.
TRAFFIC_INDEXES = (
    "CREATE INDEX IF NOT EXISTS clicks_dt ON clicks (dt)",
    "CREATE UNIQUE INDEX IF NOT EXISTS clicks_sub_id ON clicks (sub_id)",
    # Covers the common report measures by campaign/offer/source/stream/country/time: a report
    # scans this narrow index instead of the wide table.
    "CREATE INDEX IF NOT EXISTS clicks_report ON clicks (campaign_id, dt, offer_id, ts_id, stream_id, landing_id, "
    "country_code, is_bot, is_unique_campaign, is_unique_stream, is_unique_global, cost, conversions, leads, sales, "
    "rejected, rebills, lead_revenue, sale_revenue, rejected_revenue)",
    "CREATE INDEX IF NOT EXISTS conversions_click ON conversions (click_id)",
    "CREATE INDEX IF NOT EXISTS conversions_postback_dt ON conversions (postback_dt)",
)


def fmt_ts(epoch: int | float | None) -> str | None:
    """Keitaro's timestamp format: ``YYYY-MM-DD HH:MM:SS``, no zone (the tracker's zone; UTC here)."""
    if epoch is None:
        return None
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%d %H:%M:%S")


class Store:
    """The tracker's database."""

    def __init__(self, db: str | None = None) -> None:
        self.path = db or ":memory:"
        self.lock = threading.RLock()
        self.conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self.conn.row_factory = sqlite3.Row
        fresh = not self._has_schema()
        if db is None:
            # Nothing to protect in memory: trade durability for seeding speed.
            self.conn.execute("PRAGMA journal_mode=OFF")
            self.conn.execute("PRAGMA synchronous=OFF")
        else:
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA temp_store=MEMORY")
        self.conn.execute("PRAGMA cache_size=-200000")
        if fresh:
            self.conn.executescript(_schema())
        self.fresh = fresh

    def _has_schema(self) -> bool:
        row = self.conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name='clicks'").fetchone()
        return row is not None

    def close(self) -> None:
        with self.lock:
            self.conn.close()

    # -- plain SQL -------------------------------------------------------------------------
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self.lock:
            return self.conn.execute(sql, params).fetchall()

    def one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        with self.lock:
            row: sqlite3.Row | None = self.conn.execute(sql, params).fetchone()
            return row

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        with self.lock:
            cur = self.conn.execute(sql, params)
            return cur.rowcount

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with self.lock:
            self.conn.executemany(sql, rows)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self.lock:
            self.conn.execute("BEGIN")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    # -- ids and settings ------------------------------------------------------------------
    def next_id(self, name: str, start: int = 1) -> int:
        with self.lock:
            row = self.conn.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
            value = start if row is None else int(row[0]) + 1
            self.conn.execute(
                "INSERT INTO counters (name, value) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                (name, value),
            )
            return value

    def bump_counter(self, name: str, at_least: int) -> None:
        with self.lock:
            self.conn.execute(
                "INSERT INTO counters (name, value) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET value = max(value, excluded.value)",
                (name, at_least),
            )

    def get_setting(self, key: str, default: str = "") -> str:
        row = self.one("SELECT value FROM settings WHERE key = ?", (key,))
        return default if row is None else str(row[0])

    def set_setting(self, key: str, value: str) -> None:
        self.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    # -- entity documents ------------------------------------------------------------------
    def get_doc(self, table: str, entity_id: int) -> JsonDict | None:
        if not -(2**63) <= entity_id < 2**63:  # beyond SQLite integers: nothing can have that id
            return None
        row = self.one(f"SELECT doc FROM {table} WHERE id = ?", (entity_id,))
        if row is None:
            return None
        doc: JsonDict = json.loads(row[0])
        return doc

    def list_docs(self, table: str, where: str = "1", params: Sequence[Any] = ()) -> list[JsonDict]:
        rows = self.query(f"SELECT doc FROM {table} WHERE {where} ORDER BY id", params)
        return [json.loads(r[0]) for r in rows]

    def save_doc(self, table: str, doc: JsonDict, parent_id: int | None = None) -> JsonDict:
        self.execute(
            f"INSERT INTO {table} (id, name, state, parent_id, doc) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET name = excluded.name, state = excluded.state, "
            "parent_id = excluded.parent_id, doc = excluded.doc",
            (doc["id"], doc.get("name") or doc.get("login"), doc.get("state"), parent_id, json.dumps(doc)),
        )
        return doc

    def delete_doc(self, table: str, entity_id: int) -> None:
        self.execute(f"DELETE FROM {table} WHERE id = ?", (entity_id,))

    def names(self, table: str) -> dict[int, str]:
        return {int(r[0]): str(r[1] or "") for r in self.query(f"SELECT id, name FROM {table}")}

    # -- logs ------------------------------------------------------------------------------
    def log(self, log_type: str, message: str, dt: int, jid: str = "") -> None:
        self.execute("INSERT INTO logs (type, dt, jid, message) VALUES (?, ?, ?, ?)", (log_type, dt, jid, message))
