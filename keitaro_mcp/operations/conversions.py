"""Conversions: the conversion log, and conversions created, changed or tested through the tracker postback.

Keitaro's Admin API has no conversion endpoint to write (`POST /conversions`, `PUT /conversions/{id}` do not exist).
A conversion is what the tracker records from a postback `/{postback_key}/postback?subid=...`: a new `tid` makes a
separate conversion, no `tid` changes the click's one conversion, and Keitaro allows lead→sale, lead→rejected,
sale→rejected, rebill→rejected. Keitaro decides; each tool sends the postback, then reads `/conversions/log` and
says whether the conversion is recorded as sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import anyio
from pydantic import Field

from keitaro_mcp.envelope import Envelope, read_failed, read_problem
from keitaro_mcp.operations._common import CampaignId, CountryCode, Currency, Params, Sort, Text
from keitaro_mcp.operations._entity import operation_factory
from keitaro_mcp.operations.campaigns import ConversionStatus
from keitaro_mcp.operations.clicks import ALL_TIME, LogArgs, equals_filters, log_request, log_rows, report_filter
from keitaro_mcp.postback import postback_params, send_postback
from keitaro_mcp.registry import RequestParts
from keitaro_mcp.report_catalog import CONVERSION_LOG_COLUMNS

if TYPE_CHECKING:
    from keitaro_mcp.context import CallContext
    from keitaro_mcp.tracker import Tracker

__all__ = ["OPERATIONS", "find_conversion", "post_and_verify"]

CONVERSION_COLUMNS = (
    "conversion_id", "postback_datetime", "click_datetime", "sub_id", "tid", "status", "previous_status", "revenue",
    "campaign", "campaign_id", "offer_id", "country_code",
)  # fmt: skip
VERIFY_DELAYS = (0.0, 1.0)
"""Seconds to wait before each conversions/log look-up: Keitaro queues postbacks before recording them."""
NOT_RECORDED = (
    "Not in conversions/log as sent: unknown sub_id, a refused status change (allowed: lead→sale, lead→rejected, "
    "sale→rejected, rebill→rejected), a repeated tid, or still queued. See get_log log_type=postbacks."
)


class ListConversions(LogArgs):
    """Conversion log, newest postback first."""

    LOG_COLUMNS = CONVERSION_LOG_COLUMNS
    DEFAULT_COLUMNS = CONVERSION_COLUMNS

    status: ConversionStatus | None = None
    sub_id: str | None = None
    tid: str | None = None
    campaign_id: CampaignId | None = None
    country_code: CountryCode | None = None
    sort: Sort | None = None
    """Default -postback_datetime."""


def _list_conversions(args: ListConversions, tracker: Tracker) -> RequestParts:
    filters = equals_filters(
        {
            "status": args.status,
            "sub_id": args.sub_id,
            "tid": args.tid,
            "campaign_id": args.campaign_id,
            "country_code": args.country_code,
        }
    )
    sort = args.sort or "-postback_datetime"
    return log_request(args, tracker, filters=filters, sort=sort, what="conversions")


async def find_conversion(ctx: CallContext, sub_id: str, tid: str | None) -> tuple[Envelope, dict[str, Any] | None]:
    """The click's latest conversion (with this tid when given) from /conversions/log, or None."""
    filters = [report_filter("sub_id", "EQUALS", sub_id)]
    if tid is not None:
        filters.append(report_filter("tid", "EQUALS", tid))
    body = {
        "range": ALL_TIME, "columns": list(CONVERSION_COLUMNS), "filters": filters,
        "sort": [{"name": "postback_datetime", "order": "DESC"}], "limit": 1,
    }  # fmt: skip
    envelope, rows = await ctx.rows("/conversions/log", body)
    return envelope, rows[0] if rows else None


async def post_and_verify(ctx: CallContext, params: dict[str, str]) -> Envelope:
    """Send the postback, then look the conversion up: data = {sent, answer, recorded, conversion}."""
    envelope = await send_postback(ctx, params)
    if not envelope["success"]:
        return envelope
    answer = envelope["data"]
    conversion: dict[str, Any] | None = None
    recorded: bool | None = False
    note = NOT_RECORDED
    for delay in VERIFY_DELAYS:
        if delay:
            await anyio.sleep(delay)
        found, conversion = await find_conversion(ctx, params["subid"], params.get("tid"))
        if not found["success"]:
            # The postback went out; whether it was recorded is unknown, not "no".
            recorded = None
            note = read_problem(found, "the conversion log") + "; the postback was sent, check with list_conversions."
            break
        recorded = conversion is not None and str(conversion.get("status")) == params["status"]
        if recorded:
            break
    # The envelope's request is the postback (key masked); what the log showed is in data.
    envelope["data"] = {"sent": dict(params), "answer": answer, "recorded": recorded, "conversion": conversion}
    if not recorded:
        envelope["meta"] = {"notes": [note]}
    return envelope


class _PostbackFields(Params):
    sub_id: Text
    status: ConversionStatus | None = None
    payout: float | None = Field(default=None, ge=0)
    currency: Currency | None = None
    tid: str | None = None
    """A new tid adds a conversion."""

    def params(self, **extra: Any) -> dict[str, str]:
        return postback_params(
            self.sub_id, status=self.status or "sale", payout=self.payout, tid=self.tid, currency=self.currency, **extra
        )


class TestPostback(_PostbackFields):
    """Send a postback as a network would, say if Keitaro recorded it (a real conversion; S2S postbacks fire). To
    record a sale: create_conversion."""

    cost: float | None = Field(default=None, ge=0)
    sub_id_1: str | None = None


RECEIPT_FIELDS = ("sub_id", "conversion_id", "tid", "status", "revenue", "campaign_id")


def _view(conversion: dict[str, Any] | None) -> dict[str, Any] | None:
    """What a receipt shows of a conversion-log row."""
    return None if conversion is None else {k: conversion[k] for k in RECEIPT_FIELDS if k in conversion}


async def _upsert(ctx: CallContext, params: dict[str, str], before: dict[str, Any] | None) -> Envelope:
    """Send the postback, look the conversion up, and tell the receipt what it was and is."""
    envelope = await post_and_verify(ctx, params)
    if envelope["success"]:
        ctx.observe(_view(before), _view(envelope["data"]["conversion"]))
    return envelope


async def _existing(ctx: CallContext, sub_id: str, tid: str | None) -> dict[str, Any] | None:
    """The conversion a postback would replace (None when there is none, or the log could not be read)."""
    if not ctx.tracker.postback_key:
        return None  # nothing will be sent: the postback answers with the config error, nothing read first
    _, existing = await find_conversion(ctx, sub_id, tid)
    return existing


async def _test_postback(ctx: CallContext, args: TestPostback) -> Envelope:
    """POST /conversions/log (what it replaces), tracker postback GET /{postback_key}/postback, POST /conversions/log
    to check it was recorded."""
    sub_ids = {"sub_id_1": args.sub_id_1} if args.sub_id_1 is not None else None
    before = await _existing(ctx, args.sub_id, args.tid)
    return await _upsert(ctx, args.params(cost=args.cost, sub_ids=sub_ids), before)


class CreateConversion(_PostbackFields):
    """Record a click's conversion as the network's postback would; the S2S postbacks fire. No tid: replaces the
    click's conversion; a new tid adds one."""

    cost: float | None = Field(default=None, ge=0)


async def _create_conversion(ctx: CallContext, args: CreateConversion) -> Envelope:
    """POST /conversions/log (what it replaces), tracker postback GET /{postback_key}/postback, POST /conversions/log
    to check it was recorded."""
    before = await _existing(ctx, args.sub_id, args.tid)
    return await _upsert(ctx, args.params(cost=args.cost), before)


class UpdateConversion(Params):
    """Change a recorded conversion (lead→sale|rejected, sale|rebill→rejected) via the postback; S2S postbacks
    fire."""

    sub_id: Text
    status: ConversionStatus
    payout: float | None = Field(default=None, ge=0)
    currency: Currency | None = None
    tid: str | None = None
    """Which one, if several."""


async def _update_conversion(ctx: CallContext, args: UpdateConversion) -> Envelope:
    """POST /conversions/log (it must exist), tracker postback GET /{postback_key}/postback, POST /conversions/log."""
    found, existing = await find_conversion(ctx, args.sub_id, args.tid)
    if not found["success"]:
        return read_failed(found, "the conversion log", nothing_changed=True)
    if existing is None:
        which = f"sub_id {args.sub_id!r}" + (f" and tid {args.tid!r}" if args.tid else "")
        message = f"No conversion with {which} in the conversion log; create_conversion records a new one"
        return ctx.fail("not_found", message, request=found["request"])
    params = postback_params(args.sub_id, status=args.status, payout=args.payout, tid=args.tid, currency=args.currency)
    return await _upsert(ctx, params, existing)


_conversion = operation_factory("conversion", "conversions")
_POSTBACK = "/{postback_key}/postback"


OPERATIONS = (
    _conversion(name="list_conversions", operation="getAll", method="POST", path="/conversions/log",
                params=ListConversions, title="List conversions", read_only=True, build=_list_conversions,
                shape=log_rows),
    # The writes go to the tracker's postback URL, outside the Admin API; the key comes from the settings. A
    # conversion without tid replaces the click's existing one: an upsert, not purely additive.
    # test_postback checks the tracker's postback endpoint, beside the postback logs (conversions are recorded with
    # create_conversion).
    _conversion(name="test_postback", operation="test", method="GET", path=_POSTBACK, params=TestPostback,
                title="Test postback", effect="upsert", resource="postback", api="tracker", toolset="logs",
                handler=_test_postback),
    _conversion(name="create_conversion", operation="create", method="GET", path=_POSTBACK, params=CreateConversion,
                title="Create conversion", effect="upsert", api="tracker", handler=_create_conversion),
    _conversion(name="update_conversion", operation="update", method="GET", path=_POSTBACK, params=UpdateConversion,
                title="Update conversion", effect="update", api="tracker", idempotent=True,
                handler=_update_conversion),
)  # fmt: skip
