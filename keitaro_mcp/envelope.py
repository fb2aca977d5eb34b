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


class Redactor:
    """Replaces every secret value (API key, postback key, HTTP token) with *** in any JSON-like value."""

    def __init__(self, secrets: tuple[str, ...]) -> None:
        # Longest first, so a secret that contains another is masked whole.
        self._secrets = tuple(sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True))
        # A secret JSON writes unchanged can be looked for in one C-speed dump of the whole value first; almost
        # every result holds none, and walking it node by node cost more than the rest of our per-call work.
        self._json_safe = all(json.dumps(s, ensure_ascii=False)[1:-1] == s for s in self._secrets)

    def contains_secret(self, value: Any) -> bool:
        """True when a secret may occur somewhere in `value` (exact for JSON-safe secrets)."""
        if not self._secrets:
            return False
        if not self._json_safe:
            return True
        dumped = to_json(value)
        return any(secret in dumped for secret in self._secrets)

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
