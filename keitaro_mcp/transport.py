"""The HTTP transport: one connection pool per tracker, and one request sent with retries, backoff and a deadline.

Rules every request follows, whatever tool sends it:

* The API key goes in the `Api-Key` header of each request (never in the URL, never a pool default: one pool
  serves every key used with its tracker). Requests outside the Admin API (the postback endpoint) carry none:
  the postback key in their path authenticates.
* Redirects are never followed: the key would travel to another host.
* Only what is safe to repeat is retried (`retry=True`: reads and idempotent writes), on a connection failure, a
  connect/pool timeout, or 429/502/503/504, with jittered exponential backoff or the tracker's `Retry-After` when
  it is short; a write that may have reached the tracker is sent once.
* At most `MAX_CONNECTIONS` requests are in flight to one tracker for one user; users share no connection.
* One deadline per attempt (`timeout`) covers the whole answer, headers and body: httpx's own timeouts are per
  read, so a tracker dripping a byte every few seconds would hold a call for ever. A body cut at the deadline is
  a timeout, not retried (the next attempt would drip the same way).
* The body is read up to `max_body` bytes (decoded); a longer one is dropped unread, a `too_large` failure.

The answer is an `httpx.Response` (body read) or a `Failure`; keitaro_mcp.classify turns either into data or an
error kind.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

import anyio
import httpx

from keitaro_mcp import __version__
from keitaro_mcp.errors import RETRYABLE_STATUSES, retry_after
from keitaro_mcp.settings import Settings
from keitaro_mcp.tracker import Tracker

__all__ = [
    "BACKOFF_BASE",
    "BACKOFF_CAP",
    "DEFAULT_MAX_BODY",
    "MAX_CONNECTIONS",
    "MAX_RETRY_AFTER",
    "Failure",
    "TooLarge",
    "Transport",
    "flat_query",
]

BACKOFF_BASE = 0.25
BACKOFF_CAP = 4.0
MAX_RETRY_AFTER = 10.0
"""A longer Retry-After is reported to the model rather than waited out inside one tool call."""
MAX_CONNECTIONS = 4
"""Per tracker: Keitaro is self-hosted and its PHP workers also serve the clicks (reference §2.4). A larger pool
bought no throughput in benchmarks/load_bench.py (32 connections: lower, as httpcore's pool bookkeeping grows with
every connection)."""

DEFAULT_MAX_BODY = 50 * 1024 * 1024
"""Bytes of one answer (KEITARO_MAX_RESPONSE_MB): a report or log page is a few MB; more is a mistake or an attack."""

Sleep = Callable[[float], Awaitable[None]]


class TooLarge(Exception):
    """The answer is longer than the body cap."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the answer is larger than {limit // (1024 * 1024)} MB")
        self.limit = limit


@dataclass(frozen=True, slots=True)
class Failure:
    """No HTTP answer: the request could not be built, sent or answered in time."""

    kind: Literal["timeout", "connection", "invalid_arguments", "too_large"]
    exc: Exception
    maybe_applied: bool = False
    """A write that is not safe to repeat left us, then its answer was lost: it may have been applied."""


class Transport:
    """Sends requests to trackers. One per server; close with `aclose()`.

    `network` replaces the network for every tracker (tests: MockTransport, the sandbox's ASGI app); without it a
    sandbox tracker is reached in-process and any other over HTTP.
    """

    def __init__(
        self,
        *,
        timeout: float = 30.0,
        max_retries: int = 2,
        max_body: int = DEFAULT_MAX_BODY,
        network: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = anyio.sleep,
    ) -> None:
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_body = max_body
        self._network = network
        self._sleep = sleep
        self._pools: dict[tuple[str, str], httpx.AsyncClient] = {}
        self._sandboxes: dict[str, httpx.AsyncBaseTransport] = {}

    @classmethod
    def from_settings(
        cls, settings: Settings, network: httpx.AsyncBaseTransport | None = None, *, sleep: Sleep = anyio.sleep
    ) -> Transport:
        return cls(
            timeout=settings.timeout, max_retries=settings.max_retries, max_body=settings.max_response_bytes,
            network=network, sleep=sleep,
        )  # fmt: skip

    @property
    def pools(self) -> dict[tuple[str, str], httpx.AsyncClient]:
        """The connection pools made so far, by tracker base URL and user."""
        return self._pools

    def pool(self, tracker: Tracker) -> httpx.AsyncClient:
        """The httpx client of this tracker and user, made on first use: start-up pays for neither its TLS context
        nor the sandbox. Each user has pools of their own: no connection carries two people's requests."""
        http = self._pools.get((tracker.base_url, tracker.user))
        if http is None:
            network = self._network
            if tracker.sandbox and network is None:
                from keitaro_mcp.sandbox_link import sandbox_transport

                # One in-process sandbox per tracker, whoever calls it.
                network = self._sandboxes.get(tracker.base_url)
                if network is None:
                    network = self._sandboxes[tracker.base_url] = sandbox_transport()
            http = self._pools[(tracker.base_url, tracker.user)] = httpx.AsyncClient(
                base_url=tracker.base_url + "/",
                headers={
                    "Accept": "application/json",
                    # Cloudflare fronts block some default client fingerprints; an explicit agent passes.
                    "User-Agent": f"keitaro-mcp/{__version__}",
                },
                timeout=httpx.Timeout(self.timeout, connect=min(10.0, self.timeout)),
                follow_redirects=False,
                transport=network,
                limits=httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS),
            )
        return http

    async def aclose(self) -> None:
        pools, self._pools = self._pools, {}
        for http in pools.values():
            await http.aclose()

    async def send(
        self,
        tracker: Tracker,
        method: str,
        path: str,
        *,
        query: dict[str, Any] | None = None,
        body: Any = None,
        retry: bool,
        absolute_url: str | None = None,
    ) -> httpx.Response | Failure:
        """One request to `tracker` (its Admin API `path`, or `absolute_url` outside it), retried when `retry`.

        The last answer is returned whatever its status; retryable statuses are retried while attempts and the
        call's deadline last.
        """
        http = self.pool(tracker)
        attempts = 1 + (self.max_retries if retry else 0)
        deadline = time.monotonic() + self.timeout * attempts + BACKOFF_CAP * (attempts - 1)
        # Outside the Admin API (the postback endpoint) the key in the path authenticates: no Api-Key header.
        headers = None if absolute_url else {"Api-Key": tracker.api_key}
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                request = http.build_request(
                    method,
                    absolute_url or path.lstrip("/"),
                    params=None if absolute_url or not query else flat_query(query),
                    json=body if body is not None else None,
                    headers=headers,
                )
            except ValueError as exc:  # e.g. an infinite float (pydantic reads "1e999" as inf): not JSON
                return Failure("invalid_arguments", exc)
            # Whether the request left: httpcore says so through its trace hook; in-process networks (the sandbox,
            # tests) have none, so for them it counts as sent from the start.
            sent = [self._network is not None or tracker.sandbox]
            if not sent[0]:
                request.extensions["trace"] = _on_send(sent)
            try:
                with anyio.fail_after(self.timeout):
                    response = await self._answer(http, request)
            except TooLarge as exc:
                return Failure("too_large", exc)
            except TimeoutError as exc:  # the attempt's deadline: the whole answer did not arrive in time
                if not sent[0] and not last and await self._backoff(attempt, None, deadline):
                    continue  # still connecting or waiting for a free connection: safe to repeat
                return Failure("timeout", exc, maybe_applied=not retry and sent[0])
            except httpx.TimeoutException as exc:
                connect_phase = isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout)
                if connect_phase and not last and await self._backoff(attempt, None, deadline):
                    continue
                return Failure("timeout", exc, maybe_applied=not retry and not connect_phase)
            except httpx.TransportError as exc:
                if not last and await self._backoff(attempt, None, deadline):
                    continue
                return Failure("connection", exc, maybe_applied=not retry and not isinstance(exc, httpx.ConnectError))
            if response.status_code in RETRYABLE_STATUSES and not last:
                wait = retry_after(response.headers.get("retry-after"))
                if (wait is None or wait <= MAX_RETRY_AFTER) and await self._backoff(attempt, wait, deadline):
                    continue
            return response
        raise AssertionError("unreachable: the last attempt always returns")  # pragma: no cover

    async def _answer(self, http: httpx.AsyncClient, request: httpx.Request) -> httpx.Response:
        """The response with its whole body read, at most `max_body` bytes of it (TooLarge beyond)."""
        response = await http.send(request, stream=True)
        try:
            length = response.headers.get("content-length", "")
            if length.isdigit() and int(length) > self.max_body:
                raise TooLarge(self.max_body)
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self.max_body:
                    raise TooLarge(self.max_body)
                chunks.append(chunk)
        finally:
            await response.aclose()
        # The body as read (decoded): the answer classification reads `.content` and `.text` as usual.
        headers = [(k, v) for k, v in response.headers.raw if k.lower() not in _BODY_HEADERS]
        return httpx.Response(
            response.status_code, headers=headers, content=b"".join(chunks), request=request,
            extensions=response.extensions,
        )  # fmt: skip

    async def _backoff(self, attempt: int, wait: float | None, deadline: float) -> bool:
        """Sleep before the next attempt; False when that would pass the call's deadline."""
        delay = wait if wait is not None else min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt)
        delay *= random.uniform(1.0, 1.25) if wait is not None else random.uniform(0.5, 1.0)
        if time.monotonic() + delay >= deadline:
            return False
        await self._sleep(delay)
        return True


def _on_send(sent: list[bool]) -> Callable[[str, dict[str, Any]], Awaitable[None]]:
    async def trace(event: str, info: dict[str, Any]) -> None:
        if event.endswith("send_request_headers.started"):
            sent[0] = True

    return trace


_BODY_HEADERS = frozenset({b"content-encoding", b"content-length", b"transfer-encoding"})


def flat_query(query: dict[str, Any]) -> dict[str, str | list[str]]:
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
