"""Streamable HTTP transport: `/mcp`, stateless, bearer-token protected, Host and Origin checked.

Stateless: no session lives in the process, so any replica behind a load balancer can serve any request.
The server calls Keitaro with its own key; a client's bearer token only opens this server and is never
forwarded (the spec forbids token passthrough).
"""

from __future__ import annotations

import hmac
import ipaddress
import os

from mcp.server.auth.provider import AccessToken, TokenVerifier
from mcp.server.auth.settings import AuthSettings
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette

from keitaro_mcp.settings import Settings, SettingsError

__all__ = ["StaticTokenVerifier", "build_http_app", "serve_http"]


class StaticTokenVerifier(TokenVerifier):
    """Accepts exactly KEITARO_MCP_TOKEN (constant-time comparison)."""

    def __init__(self, token: str, resource: str) -> None:
        self._token = token.encode()
        self._resource = resource

    async def verify_token(self, token: str) -> AccessToken | None:
        if hmac.compare_digest(token.encode(), self._token):
            return AccessToken(token="***", client_id="keitaro-mcp-client", scopes=[], resource=self._resource)
        return None


def is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _security(host: str, port: int) -> TransportSecuritySettings:
    """DNS-rebinding protection: only our own Host names, and browser Origins of the same host."""
    hosts = ["127.0.0.1", "localhost", "[::1]"] if is_loopback(host) else [host]
    extra = [h.strip() for h in os.environ.get("KEITARO_MCP_ALLOWED_HOSTS", "").split(",") if h.strip()]
    hosts += extra
    allowed_hosts = [f"{h}:{port}" for h in hosts] + [f"{h}:*" for h in hosts if h in extra] + extra
    origins = [f"{scheme}://{h}:{port}" for h in hosts for scheme in ("http", "https")]
    origins += [f"{scheme}://{h}" for h in extra for scheme in ("http", "https")]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=allowed_hosts, allowed_origins=origins
    )


def build_http_app(settings: Settings, *, host: str = "127.0.0.1", port: int = 8000) -> Starlette:
    """The ASGI app serving MCP at /mcp. Refuses to bind beyond loopback without KEITARO_MCP_TOKEN."""
    if not is_loopback(host) and not settings.mcp_token:
        raise SettingsError(f"refusing to serve HTTP on {host} without KEITARO_MCP_TOKEN; set a long random token")
    from keitaro_mcp.server import build_server

    server = build_server(settings)
    resource = f"http://{host}:{port}/mcp"
    verifier = StaticTokenVerifier(settings.mcp_token, resource) if settings.mcp_token else None
    auth = (
        AuthSettings(
            issuer_url="https://keitaro-mcp.invalid",  # static token: no authorization server exists
            resource_server_url=resource,
            required_scopes=[],
            validate_token_resource=False,
        )
        if verifier
        else None
    )
    return server.streamable_http_app(
        streamable_http_path="/mcp",
        json_response=True,
        stateless_http=True,
        transport_security=_security(host, port),
        host=host,
        auth=auth,
        token_verifier=verifier,
    )


def serve_http(settings: Settings, *, host: str, port: int) -> int:
    """Run the HTTP transport with uvicorn until interrupted."""
    import uvicorn

    app = build_http_app(settings, host=host, port=port)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="on")
    uvicorn.Server(config).run()
    return 0
