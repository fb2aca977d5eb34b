"""What report and log requests have in common: the range (resolved in the request's timezone),
column lists, paging, sorting, and the ``meta`` block of the answer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from keitaro_mcp.sandbox.errors import bad_request
from keitaro_mcp.sandbox.reports.timeranges import RangeError, Span, local_time_sql, resolve
from keitaro_mcp.sandbox.store import JsonDict, Store

__all__ = ["Source", "meta", "names", "paging", "sort"]


@dataclass(frozen=True)
class Source:
    """What a report reads: the tracker's database and clock."""

    store: Store
    clock: Callable[[], int]

    def span(self, body: JsonDict) -> Span:
        """The request's ``range`` as UTC epoch bounds, or a 400."""
        try:
            return resolve(body.get("range"), datetime.fromtimestamp(self.clock(), UTC))
        except RangeError as exc:
            raise bad_request(str(exc)) from None
        except KeyError as exc:
            raise bad_request(f"Bad range: {exc}") from None

    def local(self, span: Span, column: str) -> str:
        """SQL for the epoch ``column`` shifted to the span's timezone (an open span is bounded by the data)."""
        lo, hi = span.start, span.end
        if lo is None or hi is None:
            row = self.store.one("SELECT min(dt), max(dt) FROM clicks")
            data_lo = int(row[0]) if row and row[0] is not None else self.clock()
            data_hi = int(row[1]) if row and row[1] is not None else self.clock()
            lo = data_lo if lo is None else lo
            hi = max(data_hi, self.clock()) if hi is None else hi
        return local_time_sql(column, span.tz, lo, hi)


def names(body: JsonDict, *keys: str) -> list[str]:
    """The first present key's list of names (deduplicated, in order), or []."""
    for key in keys:
        if key in body and body[key] is not None:
            value = body[key]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise bad_request(f"{key} must be an array of strings")
            return list(dict.fromkeys(value))
    return []


def paging(body: JsonDict) -> tuple[int | None, int]:
    try:
        limit = None if body.get("limit") in (None, "") else int(body["limit"])
        offset = int(body.get("offset") or 0)
    except (TypeError, ValueError):
        raise bad_request("limit and offset must be integers") from None
    if (limit is not None and limit < 0) or offset < 0:
        raise bad_request("limit and offset must be >= 0")
    return limit, offset


def sort(body: JsonDict, allowed: set[str]) -> list[tuple[str, str]]:
    """``[(name, ASC|DESC)]``; only requested columns can be sorted on."""
    items = body.get("sort") or []
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list):
        raise bad_request("sort must be an array of {name, order}")
    out = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise bad_request("sort must be an array of {name, order}")
        order = str(item.get("order") or "ASC").upper()
        if order not in ("ASC", "DESC"):
            raise bad_request(f"Sort order must be ASC or DESC, got {item.get('order')!r}")
        if item["name"] not in allowed:
            raise bad_request(
                f"Cannot sort by {item['name']!r}: not among the requested columns ({', '.join(sorted(allowed))})"
            )
        out.append((item["name"], order))
    return out


def _local_str(epoch: int | None, span: Span) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, span.tz).strftime("%Y-%m-%d %H:%M:%S")


def meta(span: Span) -> JsonDict:
    return {
        "timezone": str(span.tz.key),
        "from": _local_str(span.start, span),
        "to": _local_str(span.end, span),
        "attribution": "click_date",
    }
