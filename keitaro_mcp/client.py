"""The shared Keitaro client: one httpx.AsyncClient per server, every outcome an envelope.

One request path for every tool: build the request from the operation entry, send it with the API key in the
`Api-Key` header (never in the URL), never follow redirects (the key would travel to another host), retry only
what is safe to repeat, and turn whatever happens into the node envelope with secrets masked.
"""

from __future__ import annotations

import email.utils
import json
import random
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

import anyio
import httpx

from keitaro_mcp import __version__
from keitaro_mcp.compact import apply_budget
from keitaro_mcp.envelope import MASK, Envelope, Redactor, RequestInfo, error_envelope
from keitaro_mcp.errors import HINTS, RETRYABLE_STATUSES, ErrorKind, classify_status, is_cloudflare
from keitaro_mcp.registry import Operation, RequestParts
from keitaro_mcp.sandbox_link import SANDBOX_BASE_URL
from keitaro_mcp.settings import ADMIN_API_PATH, Settings
from keitaro_mcp.tool_index import ToolCard

__all__ = ["CallContext", "KeitaroClient", "ProgressFn", "default_parts"]

ProgressFn = Callable[[float, float | None, str | None], Awaitable[None]]

BACKOFF_BASE = 0.25
BACKOFF_CAP = 4.0
MAX_RETRY_AFTER = 10.0
"""A longer Retry-After is reported to the model rather than waited out inside one tool call."""
MAX_ERROR_TEXT = 2000
MAX_CONNECTIONS = 4
UNCONFIGURED_BASE_URL = "http://unconfigured.invalid/admin_api/v1"
MAYBE_APPLIED = "This write is not safe to repeat and may have been applied: check the tracker before calling again."
TRUNCATED_JSON = (
    "The tracker accepted the request but its JSON answer was cut off: a read can be repeated; a write was "
    "applied, so check the tracker before calling it again."
)


async def _no_progress(progress: float, total: float | None, message: str | None) -> None:
    return None


@dataclass
class CallContext:
    """What a composing handler gets: the shared client, the settings and a progress reporter."""

    client: KeitaroClient
    settings: Settings
    op: Operation
    progress: ProgressFn = _no_progress


def default_parts(op: Operation, args: Any) -> tuple[str, RequestParts]:
    """Path with URL-escaped ids; remaining fields to the query (GET/DELETE and `op.query`) or the JSON body."""
    dumped: dict[str, Any] = args.model_dump(mode="json", by_alias=True, exclude_none=True)
    path = op.path.format(**{name: quote(str(dumped.pop(name)), safe="") for name in op.path_fields})
    if op.build is not None:
        return path, op.build(args)
    query = {k: v for k, v in dumped.items() if k in op.query or op.method in ("GET", "DELETE")}
    body = {k: v for k, v in dumped.items() if k not in query}
    return path, RequestParts(query=query or None, body=body if op.method in ("POST", "PUT") else None)


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(raw) if raw.strip() else None
        if parsed is None:
            return None
        return max(0.0, parsed.timestamp() - time.time())


def _field_messages(data: Any) -> str | None:
    """Keitaro's 406/422 bodies map fields to messages: {"alias": ["Alias is required"]}."""
    if isinstance(data, dict) and data and "error" not in data:
        parts = []
        for key, value in data.items():
            messages = value if isinstance(value, list) else [value]
            parts.append(f"{key}: {'; '.join(str(m) for m in messages)}")
        return ", ".join(parts)
    return None


class KeitaroClient:
    """Talks to one tracker. Create once per server; close with `aclose()`."""

    def __init__(
        self,
        settings: Settings,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        self.settings = settings
        self.redact = Redactor(settings.secrets())
        self._sleep = sleep
        self._transport = transport
        self.base_url = SANDBOX_BASE_URL if settings.is_sandbox else settings.base_url or UNCONFIGURED_BASE_URL
        self._http: httpx.AsyncClient | None = None

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()

    @property
    def http(self) -> httpx.AsyncClient:
        """The shared httpx client, made on first use: start-up pays for neither its TLS context nor the sandbox."""
        if self._http is None:
            transport = self._transport
            if self.settings.is_sandbox and transport is None:
                from keitaro_mcp.sandbox_link import sandbox_transport

                transport = sandbox_transport()
            timeout = self.settings.timeout
            self._http = httpx.AsyncClient(
                base_url=self.base_url + "/",
                headers={
                    "Api-Key": self.settings.api_key,
                    "Accept": "application/json",
                    # Cloudflare fronts block some default client fingerprints; an explicit agent passes.
                    "User-Agent": f"keitaro-mcp/{__version__}",
                },
                timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)),
                follow_redirects=False,
                transport=transport,
                # At most 4 requests in flight to one tracker: Keitaro is self-hosted and its PHP workers also serve
                # the clicks (reference §2.4). A larger pool bought no throughput in benchmarks/load_bench.py
                # (32 connections: lower, as httpcore's pool bookkeeping grows with every connection).
                limits=httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS),
            )
        return self._http

    def request_info(self, method: str, url: str | None, *, has_body: bool = False) -> RequestInfo:
        headers = {"Api-Key": MASK, "Accept": "application/json"}
        if has_body:
            headers["Content-Type"] = "application/json"
        return {"url": self.redact.text(url) if url else url, "method": method, "headers": headers}

    def template_url(self, op: Operation | ToolCard) -> str:
        """The operation's URL with its placeholders unfilled (for envelopes of calls that were not sent)."""
        if op.api == "tracker":
            return self.base_url.removesuffix(ADMIN_API_PATH) + op.path
        return self.base_url + op.path

    def url_for(self, path: str, query: dict[str, Any] | None = None) -> str:
        url = httpx.URL(self.base_url + path)
        if query:
            url = url.copy_merge_params(_flat_query(query))
        return str(url)

    async def call(self, op: Operation, args: Any, progress: ProgressFn = _no_progress) -> Envelope:
        """Run one operation with validated arguments and return its envelope."""
        if op.handler is not None:
            envelope = await op.handler(CallContext(self, self.settings, op, progress), args)
        else:
            path, parts = default_parts(op, args)
            envelope = await self.request(
                op.method,
                path,
                resource=op.resource,
                operation=op.operation,
                query=parts.query,
                body=parts.body,
                retry=op.read_only or op.idempotent,
            )
            if envelope["success"] and op.shape is not None:
                shaped = op.shape(envelope["data"], args)
                envelope["data"] = shaped.data
                if shaped.meta:
                    envelope["meta"] = shaped.meta
        if envelope["success"] and isinstance(envelope["data"], list):
            envelope["count"] = len(envelope["data"])
        if envelope["success"]:
            # The result budget: rows beyond it are cut, and meta says the total and where to continue.
            pages = "offset" in op.params.model_fields
            envelope = apply_budget(envelope, offset=(getattr(args, "offset", None) or 0) if pages else None)
        redacted: Envelope = self.redact(envelope)
        return redacted

    async def request(
        self,
        method: str,
        path: str,
        *,
        resource: str,
        operation: str,
        query: dict[str, Any] | None = None,
        body: Any = None,
        retry: bool,
        absolute_url: str | None = None,
        expect: Literal["json", "bytes"] = "json",
    ) -> Envelope:
        """Send one request (retrying only when `retry` is true) and return the envelope with the answer as data.

        `absolute_url` sends to a tracker URL outside the Admin API (the postback endpoint); the Api-Key header
        is dropped there since the postback key in the path authenticates.
        """
        url = absolute_url or self.url_for(path, query)
        info = self.request_info(method, url, has_body=body is not None)
        if self.settings.config_problem:
            return error_envelope(info, resource, operation, "config", self.settings.config_problem)
        attempts = 1 + (self.settings.max_retries if retry else 0)
        deadline = time.monotonic() + self.settings.timeout * attempts + BACKOFF_CAP * (attempts - 1)
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                request = self.http.build_request(
                    method,
                    url if absolute_url else path.lstrip("/"),
                    params=None if absolute_url or not query else _flat_query(query),
                    json=body if body is not None else None,
                )
            except ValueError as exc:  # e.g. an infinite float (pydantic reads "1e999" as inf): not JSON
                message = self.redact.text(f"the arguments cannot be sent as JSON: {exc}")
                return error_envelope(info, resource, operation, "invalid_arguments", message)
            if absolute_url:
                # Outside the Admin API (the postback endpoint) the key in the path authenticates.
                del request.headers["Api-Key"]
            try:
                response = await self.http.send(request)
            except httpx.TimeoutException as exc:
                connect_phase = isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout)
                if connect_phase and not last and await self._backoff(attempt, None, deadline):
                    continue
                sent = not retry and not connect_phase
                return self._transport_error(info, resource, operation, "timeout", exc, maybe_applied=sent)
            except httpx.TransportError as exc:
                if not last and await self._backoff(attempt, None, deadline):
                    continue
                sent = not retry and not isinstance(exc, httpx.ConnectError)
                return self._transport_error(info, resource, operation, "connection", exc, maybe_applied=sent)
            if response.status_code in RETRYABLE_STATUSES and not last:
                wait = _retry_after(response)
                if (wait is None or wait <= MAX_RETRY_AFTER) and await self._backoff(attempt, wait, deadline):
                    continue
            return self._from_response(info, resource, operation, response, expect)
        raise AssertionError("unreachable: the last attempt always returns")  # pragma: no cover

    async def _backoff(self, attempt: int, retry_after: float | None, deadline: float) -> bool:
        """Sleep before the next attempt; False when that would pass the call's deadline."""
        delay = retry_after if retry_after is not None else min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt)
        delay *= random.uniform(1.0, 1.25) if retry_after is not None else random.uniform(0.5, 1.0)
        if time.monotonic() + delay >= deadline:
            return False
        await self._sleep(delay)
        return True

    def _transport_error(
        self,
        info: RequestInfo,
        resource: str,
        operation: str,
        kind: ErrorKind,
        exc: Exception,
        *,
        maybe_applied: bool = False,
    ) -> Envelope:
        """`maybe_applied`: a write that is not safe to repeat left us, then the answer was lost."""
        what = "no answer within" if kind == "timeout" else "could not reach the tracker:"
        detail = f"{self.settings.timeout:g} s" if kind == "timeout" else (str(exc) or type(exc).__name__)
        hint = f"{HINTS[kind]} {MAYBE_APPLIED}" if maybe_applied else None
        message = self.redact.text(f"{what} {detail}")
        envelope = error_envelope(info, resource, operation, kind, message, hint=hint)
        if self.settings.debug:
            envelope["error"]["stack"] = self.redact.text("".join(traceback.format_exception(exc)))
        return envelope

    def _from_response(
        self,
        info: RequestInfo,
        resource: str,
        operation: str,
        response: httpx.Response,
        expect: Literal["json", "bytes"],
    ) -> Envelope:
        status = response.status_code
        headers = {k.lower(): v for k, v in response.headers.items()}
        if 200 <= status < 300 and expect == "bytes":
            return self._ok(info, resource, operation, response.content)
        text = response.text
        data: Any = None
        parsed = False
        if text.strip():
            try:
                data = json.loads(text)
                parsed = True
            except ValueError:
                data = None
        if 200 <= status < 300:
            if parsed or not text.strip():
                return self._ok(info, resource, operation, data)
            if is_cloudflare(status, headers, text, None):
                return self._http_error(info, resource, operation, response, "cloudflare", text[:300])
            kind: ErrorKind = "not_json"
            ctype = headers.get("content-type", "unknown")
            message = f"Keitaro answered {status} with {ctype}, not JSON"
            hint = None
            if "json" in ctype.lower():  # JSON announced but unreadable: cut off on the way, not a wrong URL
                message = f"Keitaro answered {status} with malformed JSON (cut off?)"
                hint = TRUNCATED_JSON
            return error_envelope(
                info, resource, operation, kind, message, status=status,
                status_text=response.reason_phrase, response_data=text[:300], hint=hint,
            )  # fmt: skip
        if is_cloudflare(status, headers, text, data):
            return self._http_error(info, resource, operation, response, "cloudflare", data if parsed else text[:300])
        kind = classify_status(status)
        detail: Any = data if parsed else text[:MAX_ERROR_TEXT]
        if kind == "redirect":
            detail = {"location": self.redact.text(headers.get("location", ""))}
        return self._http_error(info, resource, operation, response, kind, detail)

    def _ok(self, info: RequestInfo, resource: str, operation: str, data: Any) -> Envelope:
        return {"request": info, "resource": resource, "operation": operation, "success": True, "data": data}

    def _http_error(
        self,
        info: RequestInfo,
        resource: str,
        operation: str,
        response: httpx.Response,
        kind: ErrorKind,
        detail: Any,
    ) -> Envelope:
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
        if kind == "rate_limited" and (wait := _retry_after(response)) is not None:
            hint = f"The tracker is throttling requests; retry after {wait:.0f} s."
        if status == 402:
            hint = "402: this Keitaro edition has no Admin API, or the licence lapsed."
        return error_envelope(
            info, resource, operation, kind, self.redact.text(message), status=status,
            status_text=response.reason_phrase, response_data=detail, hint=hint,
        )  # fmt: skip


def _flat_query(query: dict[str, Any]) -> dict[str, str | list[str]]:
    """Query values as strings (booleans as Keitaro's 1/0 are not assumed: true/false as sent)."""
    flat: dict[str, str | list[str]] = {}
    for key, value in query.items():
        if isinstance(value, list):
            flat[key] = [str(v) for v in value]
        elif isinstance(value, bool):
            flat[key] = "true" if value else "false"
        elif isinstance(value, dict):
            flat[key] = json.dumps(value, separators=(",", ":"))
        else:
            flat[key] = str(value)
    return flat
