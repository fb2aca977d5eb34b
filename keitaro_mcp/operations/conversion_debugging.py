"""debug_conversions: why conversions are missing. Reads the click, its conversions, the received and sent
postback logs and the S2S postback settings, and says where the chain broke."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from pydantic import Field, model_validator

from keitaro_mcp.compact import compact_rows, to_number
from keitaro_mcp.envelope import Envelope, read_failed, read_problem
from keitaro_mcp.operations._common import CampaignId
from keitaro_mcp.operations.reports import answer_of, numeric_columns, report_op
from keitaro_mcp.periods import PeriodArgs, field_error, resolve_range

if TYPE_CHECKING:
    from keitaro_mcp.context import CallContext

__all__ = ["OPERATIONS", "DebugConversions"]


class DebugConversions(PeriodArgs):
    """Why conversions are missing for a sub_id or a campaign_id: clicks, conversions, postback logs, where the chain
    broke."""

    sub_id: str | None = Field(default=None, min_length=1, max_length=100)
    """The click's subid."""
    campaign_id: CampaignId | None = None

    @model_validator(mode="after")
    def _one(self) -> DebugConversions:
        if (self.sub_id is None) == (self.campaign_id is None):
            raise field_error("sub_id", "target", "give sub_id or campaign_id (one of them)")
        return self


# Names beside ids: the evidence is read by a person, who knows "Taboola" and "Keto Burn", not 3 and 19.
CLICK_DEBUG_COLUMNS = ["sub_id", "datetime", "campaign_id", "campaign", "ts_id", "ts", "offer_id", "offer", "is_bot"]
CONVERSION_DEBUG_COLUMNS = [
    "sub_id", "conversion_id", "status", "revenue", "postback_datetime", "tid", "campaign_id", "campaign",
]  # fmt: skip
LOG_LIMIT = 200
DEBUG_ROWS = 20
_SUBID_IN_LOG = re.compile(r"subid[=\s\"']+([^&\s\"']+)", re.IGNORECASE)
_REFUSED = re.compile(r"not found|ignored|not allowed|unknown status|invalid", re.IGNORECASE)


_POSTBACK_KEY_IN_URL = re.compile(r"/[^/\s?]+/postback")


def _lines(envelope: Envelope) -> list[str]:
    """Log lines, oldest first (Keitaro lists newest first); the postback key in logged URLs is masked."""
    data = envelope["data"]
    if not isinstance(data, list):
        return []
    lines = [f"{r.get('datetime', '')} {r.get('message', '')}".strip()[:300] for r in data if isinstance(r, dict)]
    return [_POSTBACK_KEY_IN_URL.sub("/***/postback", line) for line in reversed(lines)]


def _postbacks(lines: list[str]) -> list[list[str]]:
    """Received-postback log lines grouped per postback (each starts with "Received postback")."""
    groups: list[list[str]] = []
    for line in lines:
        if "received postback" in line.lower() or not groups:
            groups.append([])
        groups[-1].append(line)
    return groups


def _mentions(line: str, sub_ids: set[str]) -> bool:
    found = _SUBID_IN_LOG.findall(line)
    return any(s in sub_ids for s in found) or any(f'"{s}"' in line or f"subid {s}" in line for s in sub_ids)


async def _debug_conversions(ctx: CallContext, args: DebugConversions) -> Envelope:
    steps = 5
    if args.sub_id is not None:
        # A click can be old: without an explicit period, look at all time.
        range_ = resolve_range(args, ctx.tracker, default="all_time")
        flt: list[dict[str, Any]] = [{"name": "sub_id", "operator": "EQUALS", "expression": args.sub_id}]
    else:
        range_ = resolve_range(args, ctx.tracker, default="last_7_days")
        flt = [{"name": "campaign_id", "operator": "EQUALS", "expression": args.campaign_id}]
    await ctx.progress(0, steps, "clicks")
    clicks, click_rows = await ctx.rows(
        "/clicks/log",
        {"range": range_, "columns": CLICK_DEBUG_COLUMNS, "filters": flt, "limit": DEBUG_ROWS,
         "sort": [{"name": "datetime", "order": "DESC"}]},
    )  # fmt: skip
    if not clicks["success"]:
        return read_failed(clicks, "the click log")
    await ctx.progress(1, steps, "conversions")
    # Conversions of this click whenever they arrived (the conversion log filters by postback time).
    all_time = {"interval": "all_time", "timezone": range_["timezone"]}
    conversions, conv_rows = await ctx.rows(
        "/conversions/log",
        {"range": all_time if args.sub_id else range_, "columns": CONVERSION_DEBUG_COLUMNS, "filters": flt,
         "limit": DEBUG_ROWS, "sort": [{"name": "postback_datetime", "order": "DESC"}]},
    )  # fmt: skip
    if not conversions["success"]:
        return read_failed(conversions, "the conversion log")
    # Past the click and conversion logs, a read that fails is named in `unread` and leaves its part unknown
    # (null): a verdict is given only when every read it rests on answered.
    unread: list[str] = []

    async def log_lines(path: str, what: str, query: dict[str, Any]) -> list[str] | None:
        envelope = await ctx.read(path, query)
        if not envelope["success"]:
            unread.append(read_problem(envelope, what))
            return None
        return _lines(envelope)

    await ctx.progress(2, steps, "postback logs")
    # The recent log groups each postback with the lines after it ("Unknown status ... ignored" names no subid);
    # a search by subid finds older ones.
    recent = await log_lines("/logs/postbacks", "the received postbacks log", {"limit": LOG_LIMIT})
    found = (
        await log_lines("/logs/postbacks", "the received postbacks log (search by subid)",
                        {"limit": LOG_LIMIT, "query": args.sub_id})
        if args.sub_id else []
    )  # fmt: skip
    sent = await log_lines("/logs/sent_postbacks", "the sent postbacks log", {"limit": LOG_LIMIT, **_q(args.sub_id)})
    await ctx.progress(3, steps, "S2S postback settings")
    s2s = await _s2s_targets(ctx, args.campaign_id, click_rows, unread)
    await ctx.progress(steps, steps, "done")
    sub_ids = {str(r.get("sub_id")) for r in [*click_rows, *conv_rows] if r.get("sub_id")}
    if args.sub_id is not None:
        sub_ids.add(args.sub_id)
    groups = _postbacks(recent or [])
    ours = [g for g in groups if any(_mentions(line, sub_ids) for line in g)]
    mine = list(
        dict.fromkeys([*(line for line in found or [] if _mentions(line, sub_ids)), *(x for g in ours for x in g)])
    )
    refused = [line for line in mine if _REFUSED.search(line)]
    unmatched = [
        line for g in groups if g not in ours for line in g if "subid not found" in line.lower()
    ]  # fmt: skip
    # A postback seen in one log is known even when the other failed; none seen is known only if both answered.
    received = len(mine) if mine or (recent is not None and found is not None) else None
    sent_mine = None if sent is None else [line for line in sent if _mentions(line, sub_ids)]
    click_total = to_number(answer_of(clicks).get("total"))
    conv_total = to_number(answer_of(conversions).get("total"))
    verdict, explanation = _verdict(
        clicks=click_total if isinstance(click_total, int) else len(click_rows),
        conversions=conv_total if isinstance(conv_total, int) else len(conv_rows),
        received=received, refused=refused, unmatched=len(unmatched),
        sent=None if sent_mine is None else len(sent_mine), s2s=s2s,
        target=f"sub_id {args.sub_id}" if args.sub_id else "the campaign in this period",
    )  # fmt: skip
    if verdict is None:
        explanation = "No verdict: " + "; ".join(unread) + "."
    data: dict[str, Any] = {
        "verdict": verdict,
        "explanation": explanation,
        "clicks": _table(click_rows, CLICK_DEBUG_COLUMNS),
        "conversions": _table(conv_rows, CONVERSION_DEBUG_COLUMNS),
        "received_postbacks": mine[:DEBUG_ROWS] if received is not None else None,
        "unmatched_postbacks": unmatched[:5] if recent is not None else None,
        "sent_postbacks": sent_mine[:DEBUG_ROWS] if sent_mine is not None else None,
        "s2s_postbacks": s2s,
    }
    if unread:
        data["unread"] = unread
    envelope = clicks
    envelope["data"] = data
    envelope["meta"] = {
        "range": range_,
        "counts": {"clicks": click_total, "conversions": conv_total, "received": received,
                   "sent": None if sent_mine is None else len(sent_mine)},
    }  # fmt: skip
    return envelope


def _q(sub_id: str | None) -> dict[str, str]:
    return {"query": sub_id} if sub_id else {}


async def _s2s_targets(
    ctx: CallContext, campaign_id: int | None, clicks: list[dict[str, Any]], unread: list[str]
) -> list[str] | None:
    """The S2S postback URLs that should fire: the campaign's, else its traffic source's; None when a read failed
    (named in `unread`)."""
    cid = campaign_id or (to_number(clicks[0].get("campaign_id")) if clicks else None)
    if not isinstance(cid, int):
        return []
    got = await ctx.read(f"/campaigns/{cid}")
    if not got["success"]:
        unread.append(read_problem(got, f"campaign {cid} (its S2S postbacks)"))
        return None
    campaign = got["data"] if isinstance(got["data"], dict) else {}
    urls = [f"{p.get('url')} ({','.join(p.get('statuses') or [])})" for p in campaign.get("postbacks") or []]
    if urls:
        return urls
    ts_id = to_number(clicks[0].get("ts_id")) if clicks else to_number(campaign.get("traffic_source_id"))
    if not isinstance(ts_id, int) or ts_id < 1:
        return []
    source = await ctx.read(f"/traffic_sources/{ts_id}")
    if not source["success"]:
        unread.append(read_problem(source, f"traffic source {ts_id} (its S2S postback)"))
        return None
    doc = source["data"] if isinstance(source["data"], dict) else {}
    url = doc.get("postback_url")
    return [f"{url} ({','.join(doc.get('postback_statuses') or [])}) [traffic source]"] if url else []


def _table(rows: list[dict[str, Any]], columns: list[str]) -> dict[str, Any]:
    return {"columns": columns, "rows": compact_rows(rows, columns, numeric_columns(columns, ["revenue"]))}


def _verdict(
    *, clicks: int, conversions: int, received: int | None, refused: list[str], unmatched: int, sent: int | None,
    s2s: list[str] | None, target: str,
) -> tuple[str | None, str]:  # fmt: skip
    """Where the chain broke. None (unknown) stands for a read that failed: a verdict that would rest on it is not
    given (None, "")."""
    if not clicks:
        return "no_clicks", (
            f"No click for {target}: the visitor never reached the tracker through this campaign, or the subid "
            "passed to the offer is not the click's {subid}."
        )
    if not conversions:
        if received is None:
            return None, ""
        if not received:
            extra = f" {unmatched} other postback(s) named a subid the tracker does not know." if unmatched else ""
            return "no_postback_received", (
                "Clicks exist but no postback for them reached the tracker: check the postback URL at the affiliate "
                f"network (https://<tracker>/<postback_key>/postback?subid={{subid}}&status=...).{extra}"
            )
        why = f" The log says: {refused[0]}" if refused else ""
        return "postback_not_matched", (
            "Postbacks arrived but no conversion was recorded (subid not found, status ignored or unknown, or a "
            f"transition not allowed).{why}"
        )
    if sent:
        return "ok", "Clicks, conversions and the postbacks to the traffic source line up."
    if s2s == []:
        return "ok_no_s2s", "Conversions are recorded; no S2S postback to the traffic source is configured."
    if s2s is None or sent is None:
        return None, ""
    return "not_sent_to_source", (
        "Conversions are recorded but no postback to the traffic source appears in the sent postbacks log: check "
        "the S2S postback URL and its statuses (only the listed statuses are sent)."
    )


OPERATIONS = (
    report_op(name="debug_conversions", resource="conversion", operation="debug", path="/conversions/log",
              params=DebugConversions, title="Debug missing conversions", handler=_debug_conversions),
)  # fmt: skip
