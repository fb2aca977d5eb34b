"""Independent answers from the sandbox's own tables: SQL selects the clicks, Python does the arithmetic.

Nothing here imports the server's period or report code: bounds are computed from the calendar and zoneinfo,
and measures from their definitions, so a report tool's numbers are checked against a second derivation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

Row = dict[str, Any]
CLICK_FIELDS = (
    "id", "dt", "campaign_id", "offer_id", "ts_id", "country_code", "device_type", "os", "browser", "sub_id",
    "is_bot", "is_unique_campaign", "cost", "conversions", "leads", "sales", "rejected", "lead_revenue",
    "sale_revenue",
)  # fmt: skip


def today_in(tz: str) -> date:
    return datetime.now(UTC).astimezone(ZoneInfo(tz)).date()


def bounds(tz: str, first: date, last: date) -> tuple[int, int]:
    """[start, end) epoch seconds of the local calendar days first..last."""
    zone = ZoneInfo(tz)
    start = datetime(first.year, first.month, first.day, tzinfo=zone)
    after = last + timedelta(days=1)
    end = datetime(after.year, after.month, after.day, tzinfo=zone)
    return int(start.timestamp()), int(end.timestamp())


class Truth:
    """Clicks straight from the sandbox's SQLite, aggregated by the measure definitions."""

    def __init__(self, sandbox: Any) -> None:
        self.sandbox = sandbox

    def clicks(self, start: int | None, end: int | None, where: str = "1", params: Iterable[Any] = ()) -> list[Row]:
        conn = self.sandbox.connection()
        sql = f"SELECT {', '.join(CLICK_FIELDS)} FROM clicks WHERE {where}"
        args = list(params)
        if start is not None:
            sql += " AND dt >= ?"
            args.append(start)
        if end is not None:
            sql += " AND dt < ?"
            args.append(end)
        with self.sandbox.store.lock:
            rows = conn.execute(sql, args).fetchall()
        return [dict(zip(CLICK_FIELDS, r, strict=True)) for r in rows]

    def campaign_names(self) -> dict[int, str]:
        with self.sandbox.store.lock:
            return {int(i): n for i, n in self.sandbox.connection().execute("SELECT id, name FROM campaigns")}

    @staticmethod
    def measures(rows: list[Row]) -> Row:
        clicks = len(rows)
        revenue = sum(r["lead_revenue"] + r["sale_revenue"] for r in rows)
        cost = sum(r["cost"] for r in rows)
        conversions = sum(r["conversions"] for r in rows)
        profit = revenue - cost
        return {
            "clicks": clicks,
            "campaign_unique_clicks": sum(r["is_unique_campaign"] for r in rows),
            "bots": sum(r["is_bot"] for r in rows),
            "conversions": conversions,
            "leads": sum(r["leads"] for r in rows),
            "sales": sum(r["sales"] for r in rows),
            "revenue": revenue,
            "cost": cost,
            "profit": profit,
            "roi": profit / cost * 100 if cost else 0,
            "cr": conversions / clicks * 100 if clicks else 0,
            "epc": revenue / clicks if clicks else 0,
        }

    def grouped(self, rows: list[Row], key: Callable[[Row], Any]) -> dict[Any, Row]:
        groups: dict[Any, list[Row]] = defaultdict(list)
        for row in rows:
            groups[key(row)].append(row)
        return {k: self.measures(v) for k, v in groups.items()}


def close(a: Any, b: Any, measure: str) -> bool:
    """Equal up to the tracker's rounding: counts exact, money 4 decimals, percentages 2."""
    if isinstance(b, int) and measure in ("clicks", "campaign_unique_clicks", "bots", "conversions", "leads", "sales"):
        return bool(a == b)
    tolerance = 0.006 if measure in ("roi", "cr") else 0.00011
    return bool(abs(float(a) - float(b)) <= tolerance)


@pytest.fixture
def truth(sandbox: Any) -> Truth:
    return Truth(sandbox)
