"""Response classification: what the tracker answered, or why it did not, as data or as an error.

`classify_response` reads a status and a body: a 2xx JSON (or empty) answer is data; anything else is a `Problem`
with its error kind (the status map is keitaro_mcp.errors), a message in Keitaro's own words (its `error` text,
its per-field 406/422 messages, a redirect's target) and a hint. `classify_failure` does the same for a request
that got no answer. Secrets are not this module's business: the executor masks every message it builds from here.
"""

from __future__ import annotations

import json
import traceback
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from keitaro_mcp.errors import HINTS, ErrorKind, classify_status, is_cloudflare, retry_after
from keitaro_mcp.transport import Failure

__all__ = [
    "MAX_ERROR_BODY",
    "MAYBE_APPLIED",
    "TRUNCATED_JSON",
    "Ok",
    "Problem",
    "classify_failure",
    "classify_response",
]

MAX_ERROR_BODY = 4000
"""Characters of an error answer kept in `responseData`: Keitaro's own error bodies are short; a longer one (an HTML
page, a 20 MB 404) is cut, unparsed, and says how long it was."""
MAYBE_APPLIED = "This write is not safe to repeat and may have been applied: check the tracker before calling again."
TRUNCATED_JSON = (
    "The tracker accepted the request but its JSON answer was cut off: a read can be repeated; a write was "
    "applied, so check the tracker before calling it again."
)

Expect = Literal["json", "bytes"]


@dataclass(frozen=True, slots=True)
class Ok:
    """A successful answer's data: parsed JSON (None for an empty body), or the raw bytes when asked for."""

    data: Any


@dataclass(frozen=True, slots=True)
class Problem:
    """A failed request, ready for the envelope's `error` (the hint defaults to the kind's)."""

    kind: ErrorKind
    message: str
    status: int | None = None
    status_text: str | None = None
    response_data: Any = None
    hint: str | None = None
    stack: str | None = None


def classify_response(response: httpx.Response, expect: Expect = "json") -> Ok | Problem:
    """A tracker's answer as data or as a problem."""
    status = response.status_code
    if 200 <= status < 300 and expect == "bytes":
        return Ok(response.content)
    text = response.text
    data: Any = None
    parsed = False
    ok = 200 <= status < 300
    if not ok and len(text) > MAX_ERROR_BODY:
        text = text[:MAX_ERROR_BODY] + f"... (cut: {len(response.content):,} bytes in all)"
    elif text.strip():
        try:
            data = json.loads(text)
            parsed = True
        except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
            data = None
    headers = {k.lower(): v for k, v in response.headers.items()}
    if ok:
        if parsed or not text.strip():
            return Ok(data)
        if is_cloudflare(status, headers, text, None):
            return _http_problem(response, "cloudflare", text[:300])
        ctype = headers.get("content-type", "unknown")
        message = f"Keitaro answered {status} with {ctype}, not JSON"
        hint = None
        if "json" in ctype.lower():  # JSON announced but unreadable: cut off on the way, not a wrong URL
            message = f"Keitaro answered {status} with malformed JSON (cut off?)"
            hint = TRUNCATED_JSON
        return Problem(
            "not_json", message, status=status, status_text=response.reason_phrase, response_data=text[:300], hint=hint
        )
    if is_cloudflare(status, headers, text, data):
        return _http_problem(response, "cloudflare", data if parsed else text[:300])
    kind = classify_status(status)
    detail: Any = data if parsed else text
    if kind == "redirect":
        detail = {"location": headers.get("location", "")}
    return _http_problem(response, kind, detail)


def classify_failure(failure: Failure, timeout: float, *, debug: bool = False) -> Problem:
    """A request without an answer as a problem; with `debug`, the exception's stack goes along."""
    exc = failure.exc
    if failure.kind == "invalid_arguments":
        return Problem("invalid_arguments", f"the arguments cannot be sent as JSON: {exc}")
    if failure.kind == "too_large":
        return Problem("too_large", f"{exc}: not read (KEITARO_MAX_RESPONSE_MB)")
    if failure.kind == "timeout":
        message = f"no answer within {timeout:g} s"
    else:
        message = f"could not reach the tracker: {str(exc) or type(exc).__name__}"
    hint = f"{HINTS[failure.kind]} {MAYBE_APPLIED}" if failure.maybe_applied else None
    stack = "".join(traceback.format_exception(exc)) if debug else None
    return Problem(failure.kind, message, hint=hint, stack=stack)


def _field_messages(data: Any) -> str | None:
    """Keitaro's 406/422 bodies map fields to messages: {"alias": ["Alias is required"]}."""
    if isinstance(data, dict) and data and "error" not in data:
        parts = []
        for key, value in data.items():
            messages = value if isinstance(value, list) else [value]
            parts.append(f"{key}: {'; '.join(str(m) for m in messages)}")
        return ", ".join(parts)
    return None


def _http_problem(response: httpx.Response, kind: ErrorKind, detail: Any) -> Problem:
    status = response.status_code
    if isinstance(detail, dict) and isinstance(detail.get("error"), str):
        reason = detail["error"]
    elif kind == "redirect" and isinstance(detail, dict):
        reason = f"redirect to {detail.get('location') or '?'}"
    else:
        reason = _field_messages(detail) or (detail.strip()[:300] if isinstance(detail, str) else None)
    if kind == "cloudflare":
        reason = "Cloudflare challenge or block page"
    message = f"Keitaro answered {status} {response.reason_phrase}" + (f": {reason}" if reason else "")
    hint = None
    if kind == "rate_limited" and (wait := retry_after(response.headers.get("retry-after"))) is not None:
        hint = f"The tracker is throttling requests; retry after {wait:.0f} s."
    if status == 402:
        hint = "402: this Keitaro edition has no Admin API, or the licence lapsed."
    return Problem(kind, message, status=status, status_text=response.reason_phrase, response_data=detail, hint=hint)
