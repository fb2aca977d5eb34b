"""The node envelope: the one result shape of every tool.

    {request: {url, method, headers}, resource, operation, success, data, count?, meta?, error?}

`headers` are masked (`"Api-Key": "***"`), `count` is present on list results, `meta` carries paging facts
(total, truncated, next_offset, the exact range sent, notes), and `error` is
`{message, url, status, statusText, responseData, kind, hint, stack?}`.
"""

from __future__ import annotations

import json
import re
from typing import Any, NotRequired, TypedDict
from urllib.parse import quote, quote_plus

from keitaro_mcp.errors import HINTS, ErrorKind

__all__ = [
    "MASK",
    "Envelope",
    "ErrorInfo",
    "Redactor",
    "RequestInfo",
    "error_envelope",
    "mask_secret_fields",
    "read_failed",
    "read_problem",
    "secret_forms",
    "to_json",
]

MASK = "***"
SECRET_FIELD = re.compile(r"password|token|secret|(?:^|_)key$", re.IGNORECASE)
"""Field names whose values are credentials wherever they appear: a user's password, the campaign's Click API
token, a Facebook access token, the AVScan key, the postback key. Their values are never shown in receipts or the
audit log, whether or not the server knows them."""


class RequestInfo(TypedDict):
    url: str | None
    method: str
    headers: dict[str, str]


class ErrorInfo(TypedDict):
    message: str
    url: str | None
    status: int | None
    statusText: str | None
    responseData: Any
    kind: ErrorKind
    hint: str
    stack: NotRequired[str]


class Envelope(TypedDict):
    request: RequestInfo
    resource: str
    operation: str
    success: bool
    data: Any
    tracker: NotRequired[str]
    """The tracker the call went to, when the server has several."""
    count: NotRequired[int]
    meta: NotRequired[dict[str, Any]]
    error: NotRequired[ErrorInfo]


def error_envelope(
    request: RequestInfo,
    resource: str,
    operation: str,
    kind: ErrorKind,
    message: str,
    *,
    status: int | None = None,
    status_text: str | None = None,
    response_data: Any = None,
    hint: str | None = None,
) -> Envelope:
    """A failed call's envelope; `data` is null."""
    return {
        "request": request,
        "resource": resource,
        "operation": operation,
        "success": False,
        "data": None,
        "error": {
            "message": message,
            "url": request["url"],
            "status": status,
            "statusText": status_text,
            "responseData": response_data,
            "kind": kind,
            "hint": hint or HINTS[kind],
        },
    }


def read_problem(envelope: Envelope, what: str) -> str:
    """What a composed tool says when one of its reads failed: which read, and why."""
    error = envelope.get("error")
    return f"could not read {what}: {error['message'] if error else 'no answer'}"


def read_failed(envelope: Envelope, what: str, *, nothing_changed: bool = False) -> Envelope:
    """The failed read's own envelope (kind, status, hint kept), its message naming the read. `nothing_changed`: a
    write tool stopped before writing."""
    if "error" in envelope:
        envelope["error"]["message"] = read_problem(envelope, what) + (
            "; nothing was changed" if nothing_changed else ""
        )
    return envelope


def secret_forms(secret: str) -> frozenset[str]:
    """Every form a secret can take in what we show: as is, URL-encoded (path or query style, upper- or lower-case
    hex: a postback key with `/`, `+` or a space reaches the URL encoded) and JSON-escaped (as Python writes it, and
    as PHP's json_encode does by default: `\\/` and `\\uXXXX`), when a tracker echoes it inside a text."""
    encoded = {quote(secret, safe=""), quote(secret, safe="/"), quote_plus(secret)}
    encoded |= {_PERCENT.sub(lambda m: m.group().lower(), e) for e in encoded}
    forms = {secret, *encoded}
    for form in list(forms):
        for ascii_only in (False, True):
            escaped = json.dumps(form, ensure_ascii=ascii_only)[1:-1]
            forms |= {escaped, escaped.replace("/", "\\/")}
    return frozenset(f for f in forms if f)


_PERCENT = re.compile(r"%[0-9A-F]{2}")


class Redactor:
    """Replaces every secret value (API key, postback key, HTTP token), in each of its forms (`secret_forms`), with
    *** in any JSON-like value."""

    def __init__(self, secrets: tuple[str, ...]) -> None:
        forms = {form for s in secrets if s for form in secret_forms(s)}
        # Longest first, so a form that contains another is masked whole.
        self._secrets = tuple(sorted(forms, key=len, reverse=True))
        # What each form looks like in a JSON dump of a value: one C-speed dump of the whole result is searched
        # first; almost every result holds none, and walking it node by node cost more than the rest of our work.
        self._needles = tuple({json.dumps(f, ensure_ascii=False)[1:-1] for f in self._secrets})

    def contains_secret(self, value: Any) -> bool:
        """True when a secret (in any of its forms) occurs somewhere in `value`, keys included."""
        if not self._secrets:
            return False
        dumped = to_json(value)
        return any(needle in dumped for needle in self._needles)

    def text(self, value: str) -> str:
        for secret in self._secrets:
            if secret in value:
                value = value.replace(secret, MASK)
        return value

    def __call__(self, value: Any) -> Any:
        if not self.contains_secret(value):
            return value
        return self._walk(value)

    def _walk(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(k) if isinstance(k, str) else k: self._walk(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._walk(v) for v in value]
        return value


def mask_secret_fields(value: Any) -> Any:
    """`value` with the value of every credential-named field (SECRET_FIELD) replaced by *** (empty ones kept)."""
    if isinstance(value, dict):
        return {
            k: MASK if isinstance(k, str) and SECRET_FIELD.search(k) and v not in (None, "") else mask_secret_fields(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [mask_secret_fields(v) for v in value]
    return value


def to_json(value: Any) -> str:
    """Compact JSON, non-ASCII kept as is (campaign names are often Cyrillic)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
