"""compare_periods: both ranges sent exactly, deltas equal to independent SQL, rows that appeared or vanished."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import Kt
from tests.reports.conftest import Days, Truth, bounds, close, today_in

pytestmark = pytest.mark.anyio


def check(envelope: dict[str, Any], truth: Truth, dims: int, measures: list[str], now: Any, before: Any,
          key: Any) -> None:  # fmt: skip
    a = truth.grouped(truth.clicks(*now), key)
    b = truth.grouped(truth.clicks(*before), key)
    data = envelope["data"]
    assert envelope["meta"]["total"] == len(set(a) | set(b))
    for row in data["rows"]:
        k = row[0] if dims else ()
        change = row[dims]
        assert change == ("new" if k not in b else "gone" if k not in a else None)
        for i, m in enumerate(measures):
            value, was, diff, pct = row[dims + 1 + 4 * i : dims + 5 + 4 * i]
            want_now = a[k][m] if k in a else 0
            want_before = b[k][m] if k in b else 0
            assert close(value, want_now, m) and close(was, want_before, m), (k, m)
            assert close(diff, want_now - want_before, m), (k, m, diff)
            if want_before:
                assert pct == pytest.approx((want_now - want_before) / abs(want_before) * 100, abs=0.06)
            else:
                assert pct is None
    magnitudes = [abs(r[dims + 3]) for r in data["rows"]]
    assert magnitudes == sorted(magnitudes, reverse=True)  # biggest change first


async def test_this_week_against_last_week_by_campaign(kt: Kt, truth: Truth) -> None:
    names = truth.campaign_names()
    measures = ["clicks", "conversions", "revenue", "profit"]
    this_week = Days("UTC", lambda today: (today - timedelta(days=today.weekday()), today))
    env = await kt.ok("compare_periods", {"period": "this_week", "against": "last_week", "dimensions": ["campaign"],
                                          "measures": measures})  # fmt: skip
    monday, today = this_week.around(env["meta"]["range"])
    now = bounds("UTC", monday, today)
    before = bounds("UTC", monday - timedelta(days=7), monday - timedelta(days=1))
    check(env, truth, 1, measures, now, before, lambda r: names[r["campaign_id"]])
    ranges = [s.body["range"] for s in kt.wire.sent if s.path == "/report/build"]
    assert ranges == [
        {"from": str(monday), "to": str(today), "timezone": "UTC"},
        {"from": str(monday - timedelta(days=7)), "to": str(monday - timedelta(days=1)), "timezone": "UTC"},
    ]
    assert env["meta"]["range"] == ranges[0] and env["meta"]["against_range"] == ranges[1]
    assert (env["resource"], env["operation"]) == ("stats", "compare")
    # Totals: the tracker's summaries for both periods, and their change.
    summary = env["data"]["summary"]
    a = truth.measures(truth.clicks(*now))
    b = truth.measures(truth.clicks(*before))
    for m in measures:
        assert close(summary[m], a[m], m) and close(summary[f"{m}_before"], b[m], m)
        assert close(summary[f"{m}_diff"], a[m] - b[m], m)


async def test_today_against_previous_is_yesterday_by_country(kt: Kt, truth: Truth) -> None:
    tz = "America/Sao_Paulo"
    days = Days(tz, lambda today: (today, today))
    env = await kt.ok("compare_periods", {"period": "today", "timezone": tz, "dimensions": ["country_code"],
                                          "measures": ["clicks", "cost"]})  # fmt: skip
    today, _ = days.around(env["meta"]["range"])
    yesterday = today - timedelta(days=1)
    check(env, truth, 1, ["clicks", "cost"], bounds(tz, today, today), bounds(tz, yesterday, yesterday),
          lambda r: r["country_code"])  # fmt: skip
    assert env["meta"]["against_range"] == {"from": str(yesterday), "to": str(yesterday), "timezone": tz}


async def test_rows_that_appeared_or_vanished(kt: Kt, truth: Truth) -> None:
    # Per hour of one day against a day long ago: many hours exist in only one of the two.
    day = today_in("UTC") - timedelta(days=1)
    env = await kt.ok("compare_periods", {"period": str(day), "against": str(day - timedelta(days=200)),
                                          "dimensions": ["offer_id"], "measures": ["clicks"]})  # fmt: skip
    old = day - timedelta(days=200)
    # By offer_id, each offer's name rides beside its id (rows are still matched by the id).
    assert env["data"]["columns"][:3] == ["offer_id", "offer", "change"]
    check(env, truth, 2, ["clicks"], bounds("UTC", day, day), bounds("UTC", old, old), lambda r: r["offer_id"])
    changes = {r[2] for r in env["data"]["rows"]}
    assert "new" in changes
    with truth.sandbox.store.lock:
        names = {int(i): n for i, n in truth.sandbox.connection().execute("SELECT id, name FROM offers")}
    assert all(r[1] == names[r[0]] for r in env["data"]["rows"] if r[0]), "clicks without an offer have id 0"


async def test_limit_keeps_the_biggest_movers(kt: Kt) -> None:
    env = await kt.ok("compare_periods", {"period": "last_7_days", "dimensions": ["campaign_id"], "limit": 3})
    assert env["count"] == 3 and env["meta"]["truncated"] is True and env["meta"]["total"] > 3


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"period": "all_time"}, "period"),
        ({"against": "all_time"}, "against"),
        ({"against": "the week before"}, "against"),
        ({"measures": ["revenu"]}, "measures"),
    ],
)
async def test_bad_input(kt: Kt, args: dict[str, Any], field: str) -> None:
    envelope = await kt.refused("compare_periods", args)
    assert field in {p["field"] for p in envelope["error"]["responseData"]}
