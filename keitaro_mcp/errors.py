"""Error kinds: the one status map and the hints the envelope carries.

Every failed call becomes an envelope whose `error.kind` is one of `ErrorKind`:

    config        the server is not configured (KEITARO_URL / KEITARO_API_KEY)      no request sent
    invalid_arguments  the arguments do not fit the tool's schema                    no request sent
    read_only     a write tool called in read-only mode                              no request sent
    needs_confirmation  cannot be undone, and the client cannot ask the person       no request sent
    declined      the person declined or cancelled the confirmation                  no request sent
    auth          401: the key is wrong or revoked
    forbidden     402 (edition without Admin API) or 403 (the key's user lacks rights)
    cloudflare    a Cloudflare challenge or block page in front of the tracker
    not_found     404: missing or archived entity (Keitaro answers in plain text)
    validation    400 / 406 / 422: Keitaro refused the values (per-field messages kept)
    rate_limited  429
    server        5xx
    redirect      3xx: not followed, the key would travel to another host
    timeout       no answer within KEITARO_TIMEOUT
    too_large     the answer is larger than KEITARO_MAX_RESPONSE_MB (dropped unread)
    connection    the tracker could not be reached, or the connection dropped
    not_json      a 2xx answer that is not JSON (Keitaro answers unknown paths with its HTML panel)
    http          any other HTTP status
    conflict      a write was sent, but read back another writer had undone it (Keitaro has no version check)
"""

from __future__ import annotations

import datetime
import email.utils
import re
import time
from typing import Any, Literal

__all__ = ["HINTS", "RETRYABLE_STATUSES", "ErrorKind", "classify_status", "is_cloudflare", "retry_after"]

ErrorKind = Literal[
    "config",
    "invalid_arguments",
    "read_only",
    "needs_confirmation",
    "declined",
    "auth",
    "forbidden",
    "cloudflare",
    "not_found",
    "validation",
    "rate_limited",
    "server",
    "redirect",
    "timeout",
    "too_large",
    "connection",
    "not_json",
    "http",
    "conflict",
]

HINTS: dict[str, str] = {
    "config": "Set the named environment variable in the MCP client's config and restart the server.",
    "invalid_arguments": "Fix the named arguments and call again; nothing was sent to the tracker.",
    "read_only": "The server runs with KEITARO_READ_ONLY=true; writes are disabled.",
    "needs_confirmation": (
        "Nothing was sent. This cannot be undone, so a person confirms it in the client, and this client cannot ask "
        "(MCP elicitation). Tell the user: do it in a client that asks, or in the Keitaro panel; or the operator "
        "restarts the server with KEITARO_CONFIRM=off, taking the risk."
    ),
    "declined": "Nothing was sent: the person said no. Do not call again unless they ask for it.",
    "auth": "Keitaro rejected the API key: check KEITARO_API_KEY (keys cannot be edited, only recreated).",
    "forbidden": "The key's user lacks this permission, or the edition has no Admin API (402).",
    "cloudflare": "Cloudflare blocked the request: allow the server's IP or use the panel's direct domain.",
    "not_found": "No such entity, or it is archived: find_entity finds ids by name and says each one's state.",
    "validation": "Keitaro refused the values; see responseData for the message per field.",
    "rate_limited": "The tracker is throttling requests; wait and retry later.",
    "server": "The tracker failed; retry later or check its system log (get_log log_type=system).",
    "redirect": "The tracker redirected; set KEITARO_URL to the final address (redirects are not followed).",
    "timeout": "The tracker did not answer in time; narrow the period or raise KEITARO_TIMEOUT.",
    "too_large": "Ask for less: a shorter period, fewer columns, a limit; export_report/export_clicks for big tables.",
    "connection": "The tracker could not be reached; check KEITARO_URL and the network.",
    "not_json": "Not JSON: check KEITARO_URL is the panel's domain (Keitaro answers unknown paths with HTML).",
    "http": "Unexpected HTTP status from the tracker.",
    "conflict": "Another writer changed the same entity at the same moment and Keitaro kept theirs: read it again and "
    "repeat the change if it is still missing.",
}

RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})


_DELAY = re.compile(r"\d{1,9}(?:\.\d{1,6})?", re.ASCII)


def retry_after(raw: str | None) -> float | None:
    """Seconds a `Retry-After` header asks to wait: delay-seconds or an HTTP date (RFC 9110), never negative; None
    without one, or for anything else (`soon`, `inf`, `-5`, a date no calendar has): garbage means no hint."""
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    if _DELAY.fullmatch(text):
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (ValueError, TypeError, OverflowError, IndexError):
        return None
    if when is None:  # pragma: no cover - older Pythons answered None instead of raising
        return None
    if when.tzinfo is None:  # an HTTP date is GMT; a zone-less one is read so too
        when = when.replace(tzinfo=datetime.UTC)
    try:
        return max(0.0, when.timestamp() - time.time())
    except (OverflowError, OSError, ValueError):
        return None


def is_cloudflare(status: int, headers: dict[str, str], text: str, data: Any) -> bool:
    """True for a Cloudflare block or challenge page ('Just a moment...', error 1010, cf-ray headers)."""
    if isinstance(data, dict) and data.get("cloudflare_error") is True:
        return True
    server = headers.get("server", "").lower()
    if status in (403, 429, 503) and (server == "cloudflare" or "cf-ray" in headers):
        return True
    lowered = text[:4000].lower()
    return "<html" in lowered and ("just a moment" in lowered or "cf-chl" in lowered or "attention required" in lowered)


def classify_status(status: int) -> ErrorKind:
    """The only place that maps a Keitaro HTTP status to an error kind."""
    if status == 401:
        return "auth"
    if status in (402, 403):
        return "forbidden"
    if status == 404:
        return "not_found"
    if status in (400, 406, 422):
        return "validation"
    if status == 429:
        return "rate_limited"
    if status >= 500:
        return "server"
    if 300 <= status < 400:
        return "redirect"
    return "http"
