"""The request pipeline every request goes through: count → (a known caller's body) → faults → auth → handler
(in a worker thread; SQLite is guarded by the store lock) → record. A body is read only for a known caller (or the
postback key's path), and at most MAX_BODY bytes of it.

Nothing escapes as a traceback: Keitaro-style errors come from :class:`HttpError`, anything
unexpected becomes ``500 {"error": ...}``. Who is calling is decided in one place,
:meth:`Pipeline.caller`, for the Admin API and the control path alike (the control path takes
only the tracker's own key); what that caller may reach is :mod:`keitaro_mcp.sandbox.access`,
checked in the worker thread under the store lock, before and after the handler. The postback
endpoint is authorised by the postback key in its path, as on a real tracker.
"""

from __future__ import annotations

import hmac
import json
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import anyio
import anyio.to_thread
import httpx
from starlette.requests import Request
from starlette.responses import Response

from keitaro_mcp.sandbox.access import admit
from keitaro_mcp.sandbox.control import ControlHost, control
from keitaro_mcp.sandbox.errors import HttpError
from keitaro_mcp.sandbox.faults import BAD_GATEWAY_HTML, CHALLENGE_HTML, Fault
from keitaro_mcp.sandbox.postback import Postbacks, postback_params
from keitaro_mcp.sandbox.recording import Exchange, emit
from keitaro_mcp.sandbox.routing import Call, Handler, Reply, Router, to_response
from keitaro_mcp.sandbox.state import Tracker

__all__ = ["API_PREFIX", "CONTROL_PREFIX", "MAX_BODY", "Caller", "DroppedConnection", "Host", "Pipeline"]

API_PREFIX = "/admin_api/v1"
CONTROL_PREFIX = "/_sandbox"
MAX_BODY = 16 * 1024 * 1024
"""Bytes of one request body, read only for a known caller: an unauthenticated 300 MB body was read whole."""

# What a real tracker answers for an unknown /admin_api/v1 path: the admin SPA, 200 HTML.
SPA_HTML = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Keitaro</title>
<link rel="stylesheet" href="/admin/assets/app.css"></head>
<body><div id="app"></div><script src="/admin/assets/app.js"></script></body></html>
"""


class DroppedConnection(httpx.RemoteProtocolError):
    """Raised through an in-process (ASGI transport) client to simulate a dropped connection:
    httpx re-raises app exceptions, so the client sees a transport error."""

    def __init__(self) -> None:
        super().__init__("Server disconnected without sending a response.")


@dataclass(frozen=True)
class Caller:
    """Whose key a request carries: `login` of the Keitaro user it belongs to, None for the tracker's own key."""

    login: str | None = None


class Host(ControlHost, Protocol):
    """What the pipeline needs of the sandbox that runs it."""

    api_key: str
    user_keys: Mapping[str, str]
    """Users' own API keys -> their login."""
    postback_key: str
    faults_rng: random.Random
    tracker: Tracker
    postbacks: Postbacks

    def ensure_seeded(self) -> None: ...

    def count(self, route: str) -> None: ...


class Pipeline:
    """The request pipeline; :meth:`handle` is the Starlette endpoint of the catch-all route."""

    def __init__(self, host: Host, router: Router) -> None:
        self.host = host
        self.router = router

    def caller(self, headers: Mapping[str, str]) -> Caller | None:
        """Whose API key the request carries (``Api-Key``, or ``Authorization: Bearer``); None: no known key."""
        key = headers.get("api-key") or ""
        auth = headers.get("authorization") or ""
        if auth.lower().startswith("bearer "):
            key = key or auth[7:].strip()
        if not key:
            return None
        if hmac.compare_digest(key.encode(), self.host.api_key.encode()):
            return Caller()
        login = next((u for k, u in self.host.user_keys.items() if hmac.compare_digest(key.encode(), k.encode())), None)
        return Caller(login) if login is not None else None

    async def handle(self, request: Request) -> Response:
        path = request.url.path
        response = await self._dispatch(request, path)
        raw_body: bytes = getattr(request.state, "body", b"")
        if response is None:  # dropped connection under uvicorn
            return Response(b"", status_code=500)
        emit(
            Exchange(
                method=request.method,
                path=path,
                query=request.url.query,
                request_body=raw_body,
                status=response.status_code,
                response_headers={k.decode(): v.decode() for k, v in response.raw_headers},
                response_body=bytes(response.body),
                request_headers=dict(request.headers),
                route=getattr(request.state, "route", None),
            )
        )
        return response

    async def _body(self, request: Request) -> bytes | Response:
        """The request body, read only now that the caller is known, and at most MAX_BODY bytes of it (413)."""
        too_large = to_response(Reply({"error": f"Request body larger than {MAX_BODY} bytes"}, 413))
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > MAX_BODY:
            return too_large
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY:
                return too_large
            chunks.append(chunk)
        request.state.body = b"".join(chunks)
        return request.state.body  # type: ignore[no-any-return]

    async def _dispatch(self, request: Request, path: str) -> Response | None:
        host = self.host
        method = request.method
        if path.startswith(CONTROL_PREFIX):
            caller = self.caller(request.headers)
            if caller is None:
                return to_response(Reply({"error": "Unauthorized"}, 401))
            if caller.login is not None:
                return to_response(Reply({"error": "You have no permission to access this page"}, 403))
            raw_body = await self._body(request)
            if isinstance(raw_body, Response):
                return raw_body
            return to_response(control(host, method, path.removeprefix(CONTROL_PREFIX), raw_body))
        postback = re.fullmatch(r"/([^/]+)/postback/?", path)
        if (
            postback
            and hmac.compare_digest(postback.group(1).encode(), host.postback_key.encode())
            and method in ("GET", "POST")
        ):
            request.state.route = f"{method} /{{postback_key}}/postback"
            host.count(request.state.route)
            raw_body = await self._body(request)
            if isinstance(raw_body, Response):
                return raw_body
            return await self._postback(request, raw_body)
        if not (path == API_PREFIX or path.startswith(API_PREFIX + "/")):
            return to_response(Reply("Not Found", status=404, content_type="text/plain"))
        rel = path.removeprefix(API_PREFIX) or "/"
        template, handler, params = self.router.match(method, rel)
        route = f"{method} {template or rel}"
        request.state.route = route
        host.count(route)
        # A known caller's body is taken in first, as the web server in front of Keitaro does: a request whose
        # client stops waiting (a latency fault) still runs to its end. An unknown caller's is never read.
        caller = self.caller(request.headers)
        raw_body = b""
        if caller is not None:
            read = await self._body(request)
            if isinstance(read, Response):
                return read
            raw_body = read
        fired = host.faults.pick(method, rel, template)
        response = await self._faulty(request, fired)
        if response is not None or any(f.kind == "drop" for f in fired):
            return response
        truncate = any(f.kind == "malformed_json" for f in fired)
        return await self._answer(request, caller, (template or rel, handler), params, raw_body, truncate)

    async def _faulty(self, request: Request, fired: list[Fault]) -> Response | None:
        """The injected failure, if any fired. Injected answers carry ``x-sandbox-fault``."""
        for fault in fired:
            if fault.delay:
                await anyio.sleep(fault.delay)
            mark = {"x-sandbox-fault": fault.kind}
            if fault.kind == "rate_limit":
                return to_response(
                    Reply({"error": "Too Many Requests"}, 429, headers={"Retry-After": str(fault.retry_after), **mark})
                )
            if fault.kind == "server_error":
                if fault.status == 502:
                    return to_response(Reply(BAD_GATEWAY_HTML, 502, "text/html", {"server": "nginx", **mark}))
                return to_response(Reply({"error": "Internal Server Error"}, fault.status, headers=mark))
            if fault.kind == "challenge":
                ray = f"{self.host.faults_rng.getrandbits(64):016x}-AMS"
                return to_response(
                    Reply(CHALLENGE_HTML, 403, "text/html",
                          {"server": "cloudflare", "cf-ray": ray, "cf-mitigated": "challenge", **mark})
                )  # fmt: skip
            if fault.kind == "drop":
                close = request.scope.get("extensions", {}).get("sandbox.close")
                if close is None:
                    raise DroppedConnection()
                close()
                return None
        return None

    async def _answer(
        self,
        request: Request,
        caller: Caller | None,
        route: tuple[str, Handler | None],
        params: dict[str, int | str],
        raw_body: bytes,
        truncate: bool,
    ) -> Response:
        template, handler = route
        if caller is None:
            return to_response(Reply({"error": "Unauthorized"}, 401))
        if handler is None:
            return to_response(Reply(SPA_HTML, 200, "text/html"))
        try:
            body = json.loads(raw_body) if raw_body.strip() else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            return to_response(Reply({"error": "Invalid JSON in request body"}, 400))
        call = Call(params, dict(request.query_params), body)
        reply = await anyio.to_thread.run_sync(self._run, handler, call, caller, f"{request.method} {template}")
        response = to_response(reply)
        if truncate and reply.content_type == "application/json":
            cut = response.body[: max(1, len(response.body) // 2)]
            headers = {"x-sandbox-fault": "malformed_json"}
            response = Response(bytes(cut), status_code=reply.status, media_type="application/json", headers=headers)
        return response

    def _run(self, handler: Handler, call: Call, caller: Caller, route: str) -> Reply:
        tracker = self.host.tracker
        method, template = route.split(" ", 1)
        try:
            self.host.ensure_seeded()
            # One request at a time against the state: handlers read-modify-write documents.
            with tracker.store.lock:
                settle = admit(tracker, caller.login, method, template, call)
                result = handler(tracker, call)
                if not isinstance(result, Reply):
                    result = settle(result)
        except HttpError as err:
            return Reply(err.body, err.status, err.content_type)
        except Exception as exc:  # a sandbox bug: report it as Keitaro would, without a traceback
            return Reply({"error": f"Internal error: {type(exc).__name__}: {exc}"}, 500)
        return result if isinstance(result, Reply) else Reply(result)

    async def _postback(self, request: Request, raw_body: bytes) -> Response:
        params = postback_params(dict(request.query_params), raw_body, request.headers.get("content-type", ""))
        url = str(request.url)

        def run() -> tuple[int, str]:
            self.host.ensure_seeded()
            return self.host.postbacks.handle(params, url)

        status, text = await anyio.to_thread.run_sync(run)
        return to_response(Reply(text, status, "text/plain"))
