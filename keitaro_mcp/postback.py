"""The tracker-side postback: how a conversion reaches Keitaro (not an Admin API call).

`GET {tracker_root}/{postback_key}/postback?subid=...&status=...&payout=...` is what affiliate networks call. Keitaro
has no Admin API endpoint that creates or changes a conversion, so the conversion tools (and update_click's status
change) send this postback and then look the result up in `/conversions/log`. The postback key authenticates (it is
the tracker's postback key, KEITARO_POSTBACK_KEY); the redactor masks it in `request.url` like every other secret.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from keitaro_mcp.envelope import Envelope

if TYPE_CHECKING:
    from keitaro_mcp.context import CallContext

__all__ = ["MISSING_KEY", "postback_params", "postback_url", "send_postback", "tracker_root"]

MISSING_KEY = (
    "KEITARO_POSTBACK_KEY is not set; expected the tracker's postback key "
    "(Maintenance > Postback URL: https://<tracker>/<postback_key>/postback)"
)


def tracker_root(ctx: CallContext) -> str:
    """The call's tracker's URL without /admin_api/v1."""
    return ctx.tracker.root


def postback_params(
    sub_id: str,
    *,
    status: str | None = None,
    payout: float | None = None,
    cost: float | None = None,
    currency: str | None = None,
    tid: str | None = None,
    sub_ids: dict[str, str] | None = None,
) -> dict[str, str]:
    """Keitaro's postback parameters (reference §8), only those given; `subid` first."""
    params: dict[str, str] = {"subid": sub_id}
    for name, value in (("status", status), ("payout", payout), ("cost", cost), ("currency", currency), ("tid", tid)):
        if value is not None:
            params[name] = f"{value:g}" if isinstance(value, float) else str(value)
    params.update(sub_ids or {})
    return params


def postback_url(ctx: CallContext, params: dict[str, str]) -> str:
    key = quote(ctx.tracker.postback_key, safe="")
    return f"{tracker_root(ctx)}/{key}/postback?{urlencode(params)}"


async def send_postback(ctx: CallContext, params: dict[str, str]) -> Envelope:
    """Send one postback; on success `data` is the tracker's short text answer. No key: a `config` envelope."""
    if not ctx.tracker.postback_key:
        url = f"{tracker_root(ctx)}/<postback_key>/postback?{urlencode(params)}"
        return ctx.fail("config", MISSING_KEY, request=ctx.request_info("GET", url))
    envelope = await ctx.send(
        "GET",
        "",
        # Not retried: the tracker queues postbacks, and a lost answer does not mean a lost postback.
        retry=False,
        absolute_url=postback_url(ctx, params),
        expect="bytes",
    )
    if envelope["success"]:
        raw: Any = envelope["data"]
        envelope["data"] = raw.decode("utf-8", "replace")[:300] if isinstance(raw, bytes) else raw
    return envelope
