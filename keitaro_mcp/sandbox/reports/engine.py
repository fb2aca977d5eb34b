"""The report engine of one sandbox: its SQL functions on the store's connection and its temporary tables."""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Callable
from typing import Any

from keitaro_mcp.sandbox.reports.builder import build
from keitaro_mcp.sandbox.reports.columns import ip_mask
from keitaro_mcp.sandbox.reports.filters import SqlFilters
from keitaro_mcp.sandbox.reports.logs import read_log
from keitaro_mcp.sandbox.reports.request import Source
from keitaro_mcp.sandbox.store import JsonDict, Store

__all__ = ["Reports"]


class Reports:
    def __init__(self, store: Store, clock: Callable[[], int]) -> None:
        self.source = Source(store, clock)
        self.filters = SqlFilters()
        self._tmp = itertools.count(1)
        store.conn.create_function("regexp_match", 2, self.filters.regexp_match, deterministic=True)
        store.conn.create_function("ip_mask", 2, ip_mask, deterministic=True)

    def build(self, body: Any) -> JsonDict:
        """``POST /report/build``."""
        self.filters.start()
        try:
            return build(self.source, self.filters, f"temp.report_{next(self._tmp)}", body)
        except sqlite3.OperationalError as exc:
            self.filters.check(exc)
            raise

    def log(self, body: Any, conversions: bool) -> JsonDict:
        """``POST /clicks/log`` or ``POST /conversions/log``."""
        self.filters.start()
        try:
            return read_log(self.source, self.filters, body, conversions)
        except sqlite3.OperationalError as exc:
            self.filters.check(exc)
            raise
