"""Team mode over real HTTP: sandbox trackers, an identity provider and our server, each a uvicorn server on
127.0.0.1, and the SDK's MCP client speaking streamable HTTP to it.

The sandboxes' users have keys of their own (test values, known to the secrets guard); the configuration file
names the environment variables that hold them, and the server reads them from the `env` given to load_team.
The identity provider is a key pair made here and its JWKS served by a small Starlette app that counts fetches.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from keitaro_mcp.config import Team, load_team
from keitaro_mcp.http import build_http_app
from keitaro_mcp.sandbox import Sandbox
from tests.conftest import make_settings
from tests.reliability._servers import free_socket, serve_in_thread
from tests.secrets_guard import register

ADMIN_KEY = "team-admin-key-c41e98d2"
USER_KEYS = {
    "anna.buyer": "team-anna-key-0b7f3e51",
    "oleg.buyer": "team-oleg-key-9a2c64d8",
    "max.analyst": "team-max-key-5d18e0b7",
}
"""The sandbox users' own Keitaro API keys (login -> key)."""
TOKENS = {
    "anna": "team-token-anna-7c2e91f04b6d3a58",
    "oleg": "team-token-oleg-3f8a05d2c7e14b96",
    "max": "team-token-max-e6b1d47a90c25f38",
}
"""Bearer tokens of the [users] entries."""
for _name, _value in [("team admin key", ADMIN_KEY), *USER_KEYS.items(), *TOKENS.items()]:
    register(f"team mode test secret ({_name})", _value)

ENV = {
    "ANNA_KEY": USER_KEYS["anna.buyer"],
    "OLEG_KEY": USER_KEYS["oleg.buyer"],
    "MAX_KEY": USER_KEYS["max.analyst"],
    "TRACKER_KEY": ADMIN_KEY,
    "ANNA_TOKEN": TOKENS["anna"],
    "OLEG_TOKEN": TOKENS["oleg"],
    "MAX_TOKEN": TOKENS["max"],
}


@dataclass
class Tracker:
    """One sandbox tracker served on loopback."""

    sandbox: Sandbox
    url: str

    def requests(self) -> int:
        return sum(self.sandbox.request_counts.values())


def _tracker(seed: int) -> Iterator[Tracker]:
    keys = {key: login for login, key in USER_KEYS.items()}
    sandbox = Sandbox(seed=seed, clicks=1_500, api_key=ADMIN_KEY, user_keys=keys)
    sandbox.ensure_seeded()
    with serve_in_thread(sandbox.app) as url:
        yield Tracker(sandbox, url)
    sandbox.close()


@pytest.fixture(scope="session")
def main_tracker() -> Iterator[Tracker]:
    yield from _tracker(seed=21)


@pytest.fixture(scope="session")
def eu_tracker() -> Iterator[Tracker]:
    yield from _tracker(seed=77)


@dataclass
class IdentityProvider:
    """An OAuth identity provider as far as a resource server sees it: an issuer, signing keys and their JWKS."""

    issuer: str
    jwks_url: str
    keys: dict[str, rsa.RSAPrivateKey] = field(default_factory=dict)
    published: list[str] = field(default_factory=list)
    """The key ids the JWKS lists now."""
    fetches: int = 0

    def new_key(self, kid: str, *, publish: bool = True) -> str:
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if publish:
            self.published.append(kid)
        return kid

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid in self.published:
            jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.keys[kid].public_key(), as_dict=True)
            keys.append({**jwk, "kid": kid, "use": "sig", "alg": "RS256"})
        return {"keys": keys}

    def token(self, subject: str, *, kid: str | None = None, audience: str, **claims: Any) -> str:
        """A signed access token; `claims` override the defaults (iss, aud, sub, iat, exp)."""
        kid = kid or self.published[0]
        now = int(time.time())
        body = {"iss": self.issuer, "aud": audience, "sub": subject, "email": subject, "iat": now, "exp": now + 600}
        body.update(claims)
        token = jwt.encode(body, self.keys[kid], algorithm="RS256", headers={"kid": kid})
        register(f"an access token for {subject}", token)
        return token


@pytest.fixture(scope="session")
def identity() -> Iterator[IdentityProvider]:
    sock = free_socket()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    idp = IdentityProvider(issuer=f"{base}/realms/team", jwks_url=f"{base}/realms/team/certs")
    idp.new_key("key-1")

    async def certs(request: Request) -> JSONResponse:
        idp.fetches += 1
        return JSONResponse(idp.jwks())

    app = Starlette(routes=[Route("/realms/team/certs", certs)])
    with serve_in_thread(app, sock=sock):
        yield idp


@dataclass
class Served:
    url: str
    team: Team

    @property
    def mcp(self) -> str:
        return self.url + "/mcp"


@contextmanager
def serve_team(config: str, tmp_path: Path, settings_env: dict[str, str] | None = None, **env: str) -> Iterator[Served]:
    """Our server for this configuration file (and these KEITARO_* options), over HTTP on 127.0.0.1."""
    path = tmp_path / "keitaro-mcp.toml"
    path.write_text(config, encoding="utf-8")
    settings = make_settings(**{"KEITARO_TOOLSETS": "all", **(settings_env or {})})
    team = load_team(settings, {**ENV, **env, "KEITARO_CONFIG": str(path)})
    sock = free_socket()
    port = sock.getsockname()[1]
    app = build_http_app(settings, team=team, host="127.0.0.1", port=port, allowed_hosts=[])
    with serve_in_thread(app, sock=sock) as url:
        yield Served(url, team)


def tracker_tables(**urls: str) -> str:
    """`[trackers.<name>]` tables in the order given (the first is the default), all with the test key."""
    return "".join(f'\n[trackers.{name}]\nurl = "{url}"\napi_key_env = "TRACKER_KEY"\n' for name, url in urls.items())


def users_config(main: Tracker, eu: Tracker | None = None, *, oauth: str = "") -> str:
    """Anna and Oleg (buyers) and Max (read-only); Anna also on `eu` when it is given."""
    eu_table = f'[trackers.eu]\nurl = "{eu.url}"\napi_key_env = "TRACKER_KEY"\n' if eu else ""
    anna_keys = '{ main = "ANNA_KEY", eu = "ANNA_KEY" }' if eu else '{ main = "ANNA_KEY" }'
    subject = 'subject = "anna@team.example"' if oauth else ""
    return f"""
[trackers.main]
url = "{main.url}"
api_key_env = "TRACKER_KEY"
timezone = "Europe/Berlin"

{eu_table}
[users.anna]
token_env = "ANNA_TOKEN"
keys = {anna_keys}
{subject}

[users.oleg]
token_env = "OLEG_TOKEN"
keys = {{ main = "OLEG_KEY" }}

[users.max]
token_env = "MAX_TOKEN"
keys = {{ main = "MAX_KEY" }}
read_only = true
{oauth}
"""
