"""Independent answers from the sandbox's own tables: SQL selects the clicks, Python does the arithmetic.

Nothing here imports the server's period or report code: bounds are computed from the calendar and zoneinfo,
and measures from their definitions, so a report tool's numbers are checked against a second derivation.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.conftest import TEST_POSTBACK_KEY

Row = dict[str, Any]
CLICK_FIELDS = (
    "id", "dt", "campaign_id", "offer_id", "ts_id", "country_code", "device_type", "os", "browser", "sub_id",
    "is_bot", "is_unique_campaign", "cost", "conversions", "leads", "sales", "rejected", "lead_revenue",
    "sale_revenue",
)  # fmt: skip


def today_in(tz: str) -> date:
    return datetime.now(UTC).astimezone(ZoneInfo(tz)).date()


class Days:
    """The local days a relative period covers, as a function of the day it is asked on.

    A call may cross midnight: `around(stated)` takes the day before the call (`Days(...)` is made then) and the
    day after it, and returns the days of the one whose span the result states, failing when it is neither."""

    def __init__(self, tz: str, span: Callable[[date], tuple[date, date]]) -> None:
        self.tz, self.span, self.before = tz, span, today_in(tz)

    def around(self, stated: dict[str, Any]) -> tuple[date, date]:
        after = today_in(self.tz)
        spans = [self.span(day) for day in (self.before, after)]
        for first, last in spans:
            if stated == {**stated, "from": str(first), "to": str(last), "timezone": self.tz}:
                return first, last
        raise AssertionError(f"the result states {stated}, expected one of {spans} in {self.tz}")

    def bounds(self, stated: dict[str, Any]) -> tuple[int, int]:
        return bounds(self.tz, *self.around(stated))


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


# -- conversion-chain fixtures (debug_conversions) ------------------------------------------------------------


def click_without_conversion(box: Any, with_s2s: bool) -> dict[str, Any]:
    """The newest click without a conversion whose S2S postback (campaign's or source's) is, or is not, set."""
    conn = box.connection()
    with box.store.lock:
        campaigns = {
            int(i): bool(json.loads(doc).get("postbacks")) for i, doc in conn.execute("SELECT id, doc FROM campaigns")
        }
        sources = {
            int(i): bool(json.loads(doc).get("postback_url"))
            for i, doc in conn.execute("SELECT id, doc FROM traffic_sources")
        }
        rows = conn.execute(
            "SELECT id, sub_id, campaign_id, ts_id FROM clicks WHERE conversions = 0 AND offer_id > 0 "
            "AND id NOT IN (SELECT click_id FROM conversions) ORDER BY id DESC"
        ).fetchall()
    for click_id, sub_id, campaign_id, ts_id in rows:
        configured = campaigns.get(campaign_id, False) or sources.get(ts_id, False)
        if configured == with_s2s and sub_id.startswith("000"):
            return {"id": click_id, "sub_id": sub_id, "campaign_id": campaign_id}
    raise AssertionError("no suitable click in the sandbox")


async def postback(box: Any, **params: str) -> None:
    """A postback straight to the sandbox tracker, as an affiliate network sends it."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=box.app), base_url="http://tracker.test") as c:
        answer = await c.get(f"/{TEST_POSTBACK_KEY}/postback", params=params)
        assert answer.status_code == 200
