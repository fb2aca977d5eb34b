"""Limits of the HTTP transport: what a slow, idle, vanished or greedy client can cost the server.

* **Connections are capped** (`ConnectionLimits.max_connections`, at most half the process's file descriptors): a
  connection over the cap takes the place of the oldest one still waiting for its request head, so a flood of
  idle connections cannot lock real clients (or `/healthz`) out; when every connection is busy with a request,
  the newcomer gets a 503 and is closed. The file descriptors stay well inside the process's limit.
* **Slow clients are closed**: a request head must be complete within `head_timeout` seconds of the connection
  (or of the previous response), a request body within `body_timeout` of its head; an idle keep-alive connection
  is closed after `keep_alive` seconds (uvicorn's own timer) and a head is at most 16 KiB (h11's limit).
* **No log flood**: should the process still run out of file descriptors, asyncio's accept loop would log a
  traceback every second; `quiet_resource_errors` says it once a minute, on one line.
* `GET /mcp` answers 405 at once: the server is stateless, so there is no event stream to open (the SDK held the
  request open, streaming nothing, until the client gave up).
* A call whose client went away is cancelled: the SDK's stateless JSON path keeps serving a request whose
  connection closed (an export would keep fetching and writing), so `CancelOnDisconnect` listens for the
  disconnect once the request body is read and cancels the call; the call's own clean-up runs (an export removes
  its partial file).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import logging
import resource
import time
from dataclasses import dataclass
from typing import Any, ClassVar

import anyio
import h11
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = [
    "CancelOnDisconnect",
    "ConnectionLimits",
    "NoEventStream",
    "quiet_resource_errors",
    "uvicorn_options",
]

logger = logging.getLogger("keitaro_mcp.http")


@dataclass(frozen=True)
class ConnectionLimits:
    max_connections: int = 256
    head_timeout: float = 10.0
    body_timeout: float = 30.0
    keep_alive: float = 5.0
    max_head_bytes: int = 16 * 1024

    @classmethod
    def for_this_process(cls) -> ConnectionLimits:
        """The defaults, with the cap at most half the file descriptors this process may open (the rest: the
        tracker's connections, the sandbox, log files)."""
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        cap = cls.max_connections if soft == resource.RLIM_INFINITY else min(cls.max_connections, soft // 2)
        return cls(max_connections=max(8, cap))


def uvicorn_options(limits: ConnectionLimits | None = None) -> dict[str, Any]:
    """uvicorn.Config options that apply `limits`: the guarded h11 protocol and uvicorn's own limits."""
    limits = limits or ConnectionLimits.for_this_process()
    protocol = type("LimitedH11Protocol", (GuardedH11Protocol,), {"limits": limits})
    return {
        "http": protocol,
        # uvicorn's own cap (503 for a request beyond it) backs ours: ours keeps connections at most at the cap.
        "limit_concurrency": limits.max_connections + 1,
        "timeout_keep_alive": limits.keep_alive,
        "h11_max_incomplete_event_size": limits.max_head_bytes,
        "backlog": 128,
    }


_TOO_MANY = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\ncontent-length: 21\r\n"
    b"connection: close\r\nretry-after: 1\r\n\r\ntoo many connections\n"
)


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with the connection cap and the head and body timeouts (module docstring)."""

    limits: ClassVar[ConnectionLimits] = ConnectionLimits()
    _timer: asyncio.TimerHandle | None = None
    _phase: str | None = None
    _since: float = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        if len(self.connections) > self.limits.max_connections:
            waiting = [c for c in self.connections if isinstance(c, GuardedH11Protocol) and c is not self
                       and c._phase == "head"]  # fmt: skip
            if not waiting:
                self.transport.write(_TOO_MANY)
                self.transport.close()
                return
            min(waiting, key=lambda c: c._since).close_now()
        self._follow()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._follow()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._follow()

    def connection_lost(self, exc: Exception | None) -> None:
        self._arm(None, 0.0)
        super().connection_lost(exc)

    def close_now(self) -> None:
        """Close the connection (a timeout, or its place went to a newer one)."""
        self._arm(None, 0.0)
        if not self.transport.is_closing():
            with contextlib.suppress(h11.LocalProtocolError):
                self.conn.send(h11.ConnectionClosed())
            self.transport.close()

    def _follow(self) -> None:
        """Arm the timer of the phase the client is in: sending a head, sending a body, or neither."""
        if self.transport.is_closing():
            return
        state = self.conn.their_state
        if state is h11.IDLE:
            self._arm("head", self.limits.head_timeout)
        elif state is h11.SEND_BODY:
            self._arm("body", self.limits.body_timeout)
        else:
            self._arm(None, 0.0)

    def _arm(self, phase: str | None, seconds: float) -> None:
        if phase is not None and phase == self._phase:
            return  # the phase's deadline runs from its start, whatever arrives meanwhile (a byte at a time)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._phase = phase
        self._since = time.monotonic()
        if phase is not None:
            self._timer = self.loop.call_later(seconds, self.close_now)


_RESOURCE_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
RESOURCE_LOG_EVERY = 60.0


def quiet_resource_errors(loop: asyncio.AbstractEventLoop) -> None:
    """Log running out of file descriptors (or socket buffers) once a minute on one line, not a traceback per
    accept attempt; anything else goes to the loop's handler as before."""
    previous = loop.get_exception_handler()
    last = [-RESOURCE_LOG_EVERY]

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, OSError) and exc.errno in _RESOURCE_ERRNOS:
            now = time.monotonic()
            if now - last[0] >= RESOURCE_LOG_EVERY:
                last[0] = now
                logger.warning("%s: new connections wait until others close (said once a minute)", exc.strerror)
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)


class NoEventStream:
    """ASGI middleware: `GET` on the MCP path answers 405 at once (a stateless server has no stream to open)."""

    def __init__(self, app: ASGIApp, *, path: str = "/mcp") -> None:
        self.app = app
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"].rstrip("/") == self.path:
            body = json.dumps(
                {"error": "method_not_allowed", "error_description": "stateless server: POST JSON-RPC to /mcp"}
            ).encode()
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                       (b"allow", b"POST")]  # fmt: skip
            await send({"type": "http.response.start", "status": 405, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


class CancelOnDisconnect:
    """ASGI middleware: cancel the app when the client disconnects before the response is complete."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        body_read = anyio.Event()
        responded = False

        async def receiving() -> Message:
            message = await receive()
            if message["type"] == "http.disconnect" or not message.get("more_body", False):
                body_read.set()
            return message

        async def sending(message: Message) -> None:
            nonlocal responded
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                responded = True
            await send(message)

        async with anyio.create_task_group() as tg:

            async def watch() -> None:
                await body_read.wait()
                # The server only waits here: once the body is read, the next message is the disconnect.
                while (await receive())["type"] != "http.disconnect":
                    pass
                if not responded:
                    tg.cancel_scope.cancel()

            tg.start_soon(watch)
            await self.app(scope, receiving, sending)
            tg.cancel_scope.cancel()
