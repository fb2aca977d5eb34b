"""Streamable HTTP transport: `/mcp`, stateless, bearer-token protected, Host and Origin checked.

Stateless: no session lives in the process (the SDK's stateless mode, JSON responses), so any replica behind a
load balancer can serve any request. The server calls Keitaro with its own key; a client's bearer token only
opens this server and is never forwarded (the spec forbids token passthrough).

Every request to the app passes one guard, in this order, before the MCP transport sees it:

1. `Host` must be one of ours (DNS-rebinding protection): 421 otherwise.
2. `Origin`, when a browser sends one, must be one of ours: 403 otherwise.
3. With `KEITARO_MCP_TOKEN` set, `Authorization: Bearer <token>` (compared in constant time): 401 otherwise,
   with `WWW-Authenticate: Bearer realm="keitaro-mcp"` (RFC 6750; `error="invalid_token"` when a wrong token was
   sent). The token is static, so no OAuth resource metadata is advertised: there is no authorization server a
   client could go to.

`GET /healthz` answers 200 without these checks (load-balancer health probes carry neither token nor our Host);
it reveals nothing and never touches the tracker.

Which Host names are ours: on a loopback bind, `127.0.0.1`, `localhost` and `[::1]` with the bound port; on a
specific address, that address with the port; plus every name in `KEITARO_MCP_ALLOWED_HOSTS` (comma list, any
port: the names clients and the load balancer use). A wildcard bind (0.0.0.0, ::) has no name of its own, so it
needs `KEITARO_MCP_ALLOWED_HOSTS`; loopback names stay allowed for local probes.
"""

from __future__ import annotations

import errno
import hmac
import ipaddress
import json
import os
import socket
from collections.abc import Callable, Iterable

import httpx
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from keitaro_mcp.http_limits import CancelOnDisconnect
from keitaro_mcp.settings import Settings, SettingsError

__all__ = [
    "ALLOWED_HOSTS_ENV",
    "HttpGuard",
    "bind_socket",
    "build_http_app",
    "check_bind",
    "extra_hosts",
    "is_loopback",
    "ready_line",
    "serve_http",
]

ALLOWED_HOSTS_ENV = "KEITARO_MCP_ALLOWED_HOSTS"
MCP_PATH = "/mcp"
HEALTH_PATH = "/healthz"
REALM = "keitaro-mcp"
_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
_WILDCARDS = ("", "0.0.0.0", "::", "[::]")


def is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _host_name(host: str) -> str:
    """How a bind address appears in a Host header (IPv6 in brackets)."""
    bare = host.strip("[]")
    try:
        return f"[{bare}]" if ipaddress.ip_address(bare).version == 6 else bare
    except ValueError:
        return host.lower()


def extra_hosts(raw: str | None) -> list[str]:
    return [h.strip().lower() for h in (raw or "").split(",") if h.strip()]


def check_bind(settings: Settings, host: str, allowed_hosts: Iterable[str] = ()) -> None:
    """Raise SettingsError (one line) for a bind that would be unsafe or unusable."""
    if not is_loopback(host) and not settings.mcp_token:
        raise SettingsError(
            f"refusing to serve HTTP on {host} without KEITARO_MCP_TOKEN; set a long random token "
            "(clients send it as 'Authorization: Bearer <token>')"
        )
    if host in _WILDCARDS and not list(allowed_hosts):
        raise SettingsError(
            f"serving on {host or 'all interfaces'} needs {ALLOWED_HOSTS_ENV}: the host names clients use, "
            "e.g. mcp.example.com (the Host header is checked against DNS rebinding)"
        )


def security_settings(host: str, port: int, allowed_hosts: Iterable[str] = ()) -> TransportSecuritySettings:
    """The Host and Origin values we accept (see the module docstring)."""
    extra = list(allowed_hosts)
    own = list(_LOOPBACK_NAMES) if is_loopback(host) or host in _WILDCARDS else [_host_name(host)]
    hosts = [f"{h}:{port}" for h in own]
    origins = [f"{scheme}://{h}:{port}" for h in own for scheme in ("http", "https")]
    for name in extra:
        bare = name if name.startswith("[") or name.count(":") != 1 else name.rsplit(":", 1)[0]
        hosts += [name, f"{bare}:*"] if bare == name else [name]
        origins += [f"{scheme}://{name}" for scheme in ("http", "https")]
        if bare == name:
            origins += [f"{scheme}://{name}:*" for scheme in ("http", "https")]
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins)


def _allowed(value: str, patterns: list[str]) -> bool:
    value = value.lower()
    for pattern in patterns:
        if value == pattern:
            return True
        if pattern.endswith(":*") and value.startswith(pattern[:-1]) and value[len(pattern) - 1 :].isdigit():
            return True
    return False


class HttpGuard:
    """ASGI middleware: health probe, then Host, Origin and bearer token checks (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, security: TransportSecuritySettings, token: str = "") -> None:
        self.app = app
        self.security = security
        self._token = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == HEALTH_PATH and scope["method"] in ("GET", "HEAD"):
            await _respond(send, 200, {"status": "ok"})
            return
        headers = Headers(scope=scope)
        if not _allowed(headers.get("host", ""), self.security.allowed_hosts):
            await _respond(send, 421, {"error": "invalid_host", "error_description": "Invalid Host header"})
            return
        origin = headers.get("origin")
        if origin is not None and not _allowed(origin, self.security.allowed_origins):
            await _respond(send, 403, {"error": "invalid_origin", "error_description": "Invalid Origin header"})
            return
        if self._token:
            scheme, _, credentials = headers.get("authorization", "").partition(" ")
            presented = credentials.strip().encode() if scheme.lower() == "bearer" else b""
            if not presented or not hmac.compare_digest(presented, self._token):
                challenge = f'Bearer realm="{REALM}"'
                body = {"error": "unauthorized", "error_description": "Bearer token required"}
                if presented:
                    challenge += ', error="invalid_token", error_description="The bearer token is not valid"'
                    body = {"error": "invalid_token", "error_description": "The bearer token is not valid"}
                await _respond(send, 401, body, [(b"www-authenticate", challenge.encode())])
                return
        await self.app(scope, receive, send)


async def _respond(send: Send, status: int, body: dict[str, str], extra: Iterable[tuple[bytes, bytes]] = ()) -> None:
    raw = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": raw})


def build_http_app(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    allowed_hosts: Iterable[str] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Starlette:
    """The ASGI app serving MCP at /mcp. `allowed_hosts` defaults to KEITARO_MCP_ALLOWED_HOSTS.

    Raises SettingsError for an unsafe bind (beyond loopback without KEITARO_MCP_TOKEN) or a wildcard bind without
    allowed host names. `transport` replaces the network to the tracker (tests).
    """
    extra = extra_hosts(os.environ.get(ALLOWED_HOSTS_ENV)) if allowed_hosts is None else list(allowed_hosts)
    check_bind(settings, host, extra)
    from keitaro_mcp.server import build_server

    server = build_server(settings, transport=transport)
    security = security_settings(host, port, extra)
    app = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        json_response=True,
        stateless_http=True,
        transport_security=security,
        host=host,
    )
    app.add_middleware(CancelOnDisconnect)
    app.add_middleware(HttpGuard, security=security, token=settings.mcp_token)
    return app


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening-ready TCP socket on host:port; raise SettingsError (one line, for the CLI's exit 2) when not.

    The socket is bound here rather than by uvicorn so a busy port or a bad address is one clear line instead of
    uvicorn's logged `[Errno 98]` and exit 3, and so `--port 0` can report the port it got.
    """
    where = f"{_host_name(host)}:{port}"
    if not 0 <= port <= 65535:
        raise SettingsError(f"--port {port} is not a TCP port; use a number from 1 to 65535")
    try:
        infos = socket.getaddrinfo(host.strip("[]") or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror:
        raise SettingsError(f"cannot serve HTTP on {where}: --host {host!r} is not a known address") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise SettingsError(f"cannot serve HTTP on {where}: {_bind_problem(exc, host)}") from None
    sock.set_inheritable(True)
    return sock


def _bind_problem(exc: OSError, host: str) -> str:
    if exc.errno == errno.EADDRINUSE:
        return "the port is in use (another server is running there); choose another with --port"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"{host} is not an address of this machine; use --host 127.0.0.1 or one of its own addresses"
    if exc.errno == errno.EACCES:
        return "permission denied (ports below 1024 need privileges); choose --port 1024 or above"
    return exc.strerror or str(exc)


def ready_line(settings: Settings, host: str, port: int, allowed_hosts: Iterable[str] = ()) -> str:
    """What the HTTP transport says on stderr once it accepts connections: where, which transport, which auth."""
    url = f"http://{_host_name(host)}:{port}{MCP_PATH}"
    auth = "bearer token (KEITARO_MCP_TOKEN)" if settings.mcp_token else "none (loopback only)"
    names = ", ".join(allowed_hosts)
    where = f"; all interfaces, clients use {names}" if host in _WILDCARDS else ""
    tracker = "sandbox" if settings.is_sandbox else (settings.base_url or "not configured")
    return (
        f"keitaro-mcp: ready: MCP over streamable HTTP at {url}{where}; auth: {auth}; tracker: {tracker}; Ctrl-C stops"
    )


def serve_http(
    settings: Settings,
    *,
    host: str,
    port: int,
    announce: Callable[[str], None] | None = None,
    before_start: Callable[[Settings], None] | None = None,
) -> int:
    """Run the HTTP transport with uvicorn until interrupted.

    Raises SettingsError (one line) for an unsafe bind, a busy port or an address that cannot be bound; nothing
    else is said before that. `before_start` runs once the socket is bound; `announce` gets the ready line once
    connections are accepted.
    """
    import uvicorn

    extra = extra_hosts(os.environ.get(ALLOWED_HOSTS_ENV))
    check_bind(settings, host, extra)
    sock = bind_socket(host, port)
    port = sock.getsockname()[1]  # the real one when --port 0 asked for any free port
    if before_start is not None:
        before_start(settings)
    app = build_http_app(settings, host=host, port=port, allowed_hosts=extra)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        server_header=False,
        timeout_graceful_shutdown=5,
    )
    line = ready_line(settings, host, port, extra)

    class _Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.started and announce is not None:
                announce(line)

    try:
        _Server(config).run(sockets=[sock])
    finally:
        sock.close()
    return 0
