"""Streamable HTTP transport: `/mcp`, stateless, bearer-token protected, Host and Origin checked.

Stateless: no session lives in the process (the SDK's stateless mode, JSON responses), so any replica behind a
load balancer can serve any request. The server calls Keitaro with its own key; a client's bearer token only
opens this server and is never forwarded (the spec forbids token passthrough).

Every request to the app passes one guard, in this order, before the MCP transport sees it:

1. `Host` must be one of ours (DNS-rebinding protection): 421 otherwise.
2. `Origin`, when a browser sends one, must be one of ours: 403 otherwise.
3. With `KEITARO_MCP_TOKEN`, or `[users]` in the configuration file, `Authorization: Bearer <token>`: the token
   names the user the request acts for (keitaro_mcp.auth; static tokens compared in constant time, OAuth access
   tokens checked as JWTs). 401 otherwise, with `WWW-Authenticate: Bearer realm="keitaro-mcp"` (RFC 6750;
   `error="invalid_token"` when a token was sent). The user reaches the MCP handlers through the SDK's
   `get_access_token()`.

With `[oauth]` configured, this server is an OAuth resource server: the protected-resource metadata (RFC 9728,
the SDK's route) is served without a token at `/.well-known/oauth-protected-resource/mcp` (the path follows the
configured audience) and names the identity provider, and every 401 carries its URL as `resource_metadata`, so a
client knows where to sign in. A static token has no authorization server, so without `[oauth]` no metadata is
advertised.

`GET /healthz` answers 200 without these checks (load-balancer health probes carry neither token nor our Host);
it reveals nothing and never touches the tracker.

Which Host names are ours: on a loopback bind, `127.0.0.1`, `localhost` and `[::1]` with the bound port; on a
specific address, that address with the port; plus every name in `KEITARO_MCP_ALLOWED_HOSTS` (comma list, any
port: the names clients and the load balancer use). A wildcard bind (0.0.0.0, ::) has no name of its own, so it
needs `KEITARO_MCP_ALLOWED_HOSTS`; loopback names stay allowed for local probes.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import json
import os
import socket
from collections.abc import Callable, Iterable

import httpx
from mcp.server.auth.middleware.auth_context import auth_context_var
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import TokenVerifier
from mcp.server.auth.routes import build_resource_metadata_url, create_protected_resource_routes
from mcp.server.transport_security import TransportSecuritySettings
from pydantic import AnyHttpUrl
from starlette.applications import Starlette
from starlette.authentication import AuthCredentials
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from keitaro_mcp.auth import Authenticator
from keitaro_mcp.config import Team
from keitaro_mcp.http_limits import CancelOnDisconnect, NoEventStream, quiet_resource_errors, uvicorn_options
from keitaro_mcp.settings import MIN_REMOTE_TOKEN, Settings, SettingsError

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
MIN_USER_TOKEN_CHARS = MIN_REMOTE_TOKEN
"""Beyond loopback, the shortest bearer token a [users] entry may have."""
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


def check_bind(settings: Settings, host: str, allowed_hosts: Iterable[str] = (), team: Team | None = None) -> None:
    """Raise SettingsError (one line) for a bind that would be unsafe or unusable."""
    if not is_loopback(host) and not settings.mcp_token and not (team and team.users):
        raise SettingsError(
            f"refusing to serve HTTP on {host} without KEITARO_MCP_TOKEN or [users] in KEITARO_CONFIG; set a long "
            "random token (clients send it as 'Authorization: Bearer <token>')"
        )
    if not is_loopback(host) and 0 < len(settings.mcp_token) < MIN_REMOTE_TOKEN:
        # Beyond loopback anyone on the network can try tokens: a short one can be guessed.
        raise SettingsError(
            f"refusing to serve HTTP on {host}: KEITARO_MCP_TOKEN has {len(settings.mcp_token)} characters; use at "
            f'least {MIN_REMOTE_TOKEN} random ones (python -c "import secrets; print(secrets.token_urlsafe(32))")'
        )
    if not is_loopback(host) and team is not None:
        # A guessable token is no lock on a server the network reaches: each person's must be long and random.
        for user in team.users:
            if user.token and len(user.token) < MIN_USER_TOKEN_CHARS:
                raise SettingsError(
                    f"refusing to serve HTTP on {host}: users.{user.name}.token_env holds a token of "
                    f"{len(user.token)} characters; use at least {MIN_USER_TOKEN_CHARS} random ones "
                    '(python -c "import secrets; print(secrets.token_urlsafe(32))")'
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

    def __init__(
        self,
        app: ASGIApp,
        *,
        security: TransportSecuritySettings,
        verifier: TokenVerifier | None = None,
        resource_metadata: str | None = None,
    ) -> None:
        self.app = app
        self.security = security
        self.verifier = verifier
        self.resource_metadata = resource_metadata
        self._metadata_path = httpx.URL(resource_metadata).path if resource_metadata else None

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
        if self.verifier is None or scope["path"] == self._metadata_path:  # the metadata says how to sign in
            await self.app(scope, receive, send)
            return
        scheme, _, credentials = headers.get("authorization", "").partition(" ")
        presented = credentials.strip() if scheme.lower() == "bearer" else ""
        access = await self.verifier.verify_token(presented) if presented else None
        if access is None:
            challenge = f'Bearer realm="{REALM}"'
            body = {"error": "unauthorized", "error_description": "Bearer token required"}
            if presented:
                challenge += ', error="invalid_token", error_description="The bearer token is not valid"'
                body = {"error": "invalid_token", "error_description": "The bearer token is not valid"}
            if self.resource_metadata:
                challenge += f', resource_metadata="{self.resource_metadata}"'
            await _respond(send, 401, body, [(b"www-authenticate", challenge.encode())])
            return
        user = AuthenticatedUser(access)
        scope["user"], scope["auth"] = user, AuthCredentials(access.scopes)
        reset = auth_context_var.set(user)
        try:
            await self.app(scope, receive, send)
        finally:
            auth_context_var.reset(reset)


async def _respond(send: Send, status: int, body: dict[str, str], extra: Iterable[tuple[bytes, bytes]] = ()) -> None:
    raw = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": raw})


def build_http_app(
    settings: Settings,
    *,
    team: Team | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    allowed_hosts: Iterable[str] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    identity_network: httpx.AsyncBaseTransport | None = None,
) -> Starlette:
    """The ASGI app serving MCP at /mcp. `allowed_hosts` defaults to KEITARO_MCP_ALLOWED_HOSTS.

    Raises SettingsError for an unsafe bind (beyond loopback without a token) or a wildcard bind without allowed
    host names. `transport` replaces the network to the tracker, `identity_network` to the identity provider's
    keys (tests).
    """
    extra = extra_hosts(os.environ.get(ALLOWED_HOSTS_ENV)) if allowed_hosts is None else list(allowed_hosts)
    team = team or Team.from_settings(settings)
    check_bind(settings, host, extra, team)
    from keitaro_mcp.server import build_server

    server = build_server(settings, transport=transport, team=team)
    security = security_settings(host, port, extra)
    authenticator = Authenticator(team, settings.mcp_token, network=identity_network)
    metadata_url = None
    routes = []
    if team.oauth is not None:
        resource = AnyHttpUrl(team.oauth.audience)
        metadata_url = str(build_resource_metadata_url(resource))
        routes = create_protected_resource_routes(
            resource_url=resource, authorization_servers=[AnyHttpUrl(team.oauth.issuer)], resource_name="Keitaro"
        )
    app = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        json_response=True,
        stateless_http=True,
        transport_security=security,
        host=host,
        custom_starlette_routes=routes,
    )
    verifier = authenticator if authenticator.required else None
    app.add_middleware(CancelOnDisconnect)
    app.add_middleware(NoEventStream, path=MCP_PATH)
    app.add_middleware(HttpGuard, security=security, verifier=verifier, resource_metadata=metadata_url)
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


def ready_line(
    settings: Settings, host: str, port: int, allowed_hosts: Iterable[str] = (), team: Team | None = None
) -> str:
    """What the HTTP transport says on stderr once it accepts connections: where, which transport, which auth."""
    url = f"http://{_host_name(host)}:{port}{MCP_PATH}"
    names = ", ".join(allowed_hosts)
    where = f"; all interfaces, clients use {names}" if host in _WILDCARDS else ""
    if team is None or team.source is None:
        auth = "bearer token (KEITARO_MCP_TOKEN)" if settings.mcp_token else "none (loopback only)"
        tracker = "sandbox" if settings.is_sandbox else (settings.base_url or "not configured")
    else:
        tokens = sum(1 for u in team.users if u.token)
        auth = f"bearer tokens of {tokens} users" if tokens else ""
        if team.oauth is not None:
            auth += (" and " if auth else "") + f"OAuth sign-in ({team.oauth.issuer})"
        if not team.users:
            auth = "bearer token (KEITARO_MCP_TOKEN)" if settings.mcp_token else "none (loopback only)"
        several = len(team.trackers) > 1
        tracker = (
            ",".join(t.name for t in team.trackers)
            if several
            else ("sandbox" if team.default.sandbox else team.default.root)
        )
    return (
        f"keitaro-mcp: ready: MCP over streamable HTTP at {url}{where}; auth: {auth}; tracker: {tracker}; Ctrl-C stops"
    )


def serve_http(
    settings: Settings,
    *,
    team: Team | None = None,
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
    check_bind(settings, host, extra, team)
    sock = bind_socket(host, port)
    port = sock.getsockname()[1]  # the real one when --port 0 asked for any free port
    if before_start is not None:
        before_start(settings)
    app = build_http_app(settings, team=team, host=host, port=port, allowed_hosts=extra)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        server_header=False,
        timeout_graceful_shutdown=5,
        **uvicorn_options(),
    )
    line = ready_line(settings, host, port, extra, team)

    class _Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            quiet_resource_errors(asyncio.get_running_loop())
            await super().startup(sockets)
            if self.started and announce is not None:
                announce(line)

    try:
        _Server(config).run(sockets=[sock])
    finally:
        sock.close()
    return 0
