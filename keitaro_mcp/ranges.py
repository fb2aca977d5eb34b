"""Every result states its range and its money: `meta.range` with explicit dates, `meta.currency`.

A period is sent to Keitaro as it says it best: its presets (`yesterday`, `all_time`, ...) as `{interval, timezone}`
(the tracker's clock applies), everything else as `{from, to, timezone}`. The model should never have to work out
which days `yesterday` was, so the range a result reports always carries `from` and `to`: a preset's dates in its
timezone, and for `all_time` the span the data covers, from the day of the tracker's first click (one click-log
read, remembered per tracker for ten minutes) to today. Money measures are in the tracker's currency:
`meta.currency` names it (KEITARO_CURRENCY, or the tracker's configuration; the sandbox's is USD), or is null
when it is not configured.
"""

from __future__ import annotations

import time
import weakref
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from keitaro_mcp.periods import KEITARO_INTERVALS, preset_dates, tracker_now, zone_for

if TYPE_CHECKING:
    from keitaro_mcp.context import CallContext
    from keitaro_mcp.envelope import Envelope
    from keitaro_mcp.tracker import Tracker
    from keitaro_mcp.transport import Transport

__all__ = ["FIRST_DAY_TTL", "explicit_range", "prefetch_first_day", "state_range_and_money"]

FIRST_DAY_TTL = 600.0
"""Seconds a tracker's first click day is remembered (it moves only when old stats are cleaned)."""

_FIRST_DAY: weakref.WeakKeyDictionary[Transport, dict[tuple[Tracker, str], tuple[float, date | None]]] = (
    weakref.WeakKeyDictionary()
)


def explicit_range(sent: dict[str, Any], first_day: date | None, now: datetime | None = None) -> dict[str, Any]:
    """The range as a result states it: what was sent, with `from`/`to` for a Keitaro preset (all_time: from
    `first_day`, None when unknown)."""
    interval = sent.get("interval")
    if interval not in KEITARO_INTERVALS or ("from" in sent and "to" in sent):
        return sent
    tz = str(sent.get("timezone") or "UTC")
    today = tracker_now(tz, now).date()
    span = preset_dates(str(interval), today)
    start, end = span if span is not None else (first_day, today)
    return {
        "interval": interval,
        "from": start.isoformat() if start else None,
        "to": end.isoformat(),
        "timezone": tz,
    }


async def _first_click_day(ctx: CallContext, tz: str) -> date | None:
    """The day (in `tz`) of the tracker's earliest click; None when it has none or the read failed."""
    key = (ctx.tracker, tz)
    known = _FIRST_DAY.setdefault(ctx.transport, {})
    hit = known.get(key)
    if hit is not None and time.monotonic() - hit[0] < FIRST_DAY_TTL:
        return hit[1]
    body = {"range": {"interval": "all_time", "timezone": tz}, "columns": ["datetime"],
            "sort": [{"name": "datetime", "order": "ASC"}], "limit": 1}  # fmt: skip
    envelope, rows = await ctx.rows("/clicks/log", body)
    if not envelope["success"]:
        return None  # not remembered: the next call tries again
    first: date | None = None
    if rows and isinstance(rows[0].get("datetime"), str):
        try:
            first = date.fromisoformat(rows[0]["datetime"][:10])
        except ValueError:
            first = None
    known[key] = (time.monotonic(), first)
    return first


async def prefetch_first_day(ctx: CallContext, args: Any) -> None:
    """A read that asks for all_time reads the first click day before its own requests (then remembered), so its
    own request is the last one it makes; a call that comes to all_time by default reads it after, and so does an
    export (its pages are read first, whatever else happens)."""
    if getattr(args, "period", None) == "all_time" and ctx.op.read_only:
        await _first_click_day(ctx, zone_for(args, ctx.tracker))


async def state_range_and_money(ctx: CallContext, envelope: Envelope) -> Envelope:
    """A successful result that reports a range gets explicit dates in it, and the tracker's currency beside it."""
    meta = envelope.get("meta")
    if not envelope["success"] or not isinstance(meta, dict) or not isinstance(meta.get("range"), dict):
        return envelope
    sent: dict[str, Any] = meta["range"]
    first_day = None
    if sent.get("interval") == "all_time":
        first_day = await _first_click_day(ctx, str(sent.get("timezone") or "UTC"))
    meta["range"] = explicit_range(sent, first_day, ctx.started)
    meta["currency"] = ctx.tracker.currency
    return envelope
