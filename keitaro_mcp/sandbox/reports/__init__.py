"""The report engine: ``POST /report/build``, ``/clicks/log``, ``/conversions/log`` in SQL, and cost writes.

- ``columns``: dimensions, log columns, base aggregates, measures and their output formats;
- ``filters``: filters as SQL conditions (and the ``regexp_match`` SQL function);
- ``request``: range, paging, sorting and ``meta`` shared by reports and logs; ``timeranges``: ranges
  and timezones;
- ``builder``: ``/report/build``; ``logs``: the click and conversion logs; ``costs``: cost writes and
  ``/clicks/clean``; ``engine``: :class:`Reports`, the engine one sandbox holds.
"""

from __future__ import annotations

from keitaro_mcp.sandbox.reports.columns import COLUMNS, COUNTRY_NAMES, MEASURES
from keitaro_mcp.sandbox.reports.costs import CURRENCY_TO_USD
from keitaro_mcp.sandbox.reports.engine import Reports
from keitaro_mcp.sandbox.reports.filters import OPERATORS

__all__ = ["COLUMNS", "COUNTRY_NAMES", "CURRENCY_TO_USD", "MEASURES", "OPERATORS", "Reports"]
