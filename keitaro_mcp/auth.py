"""Who is calling over HTTP: the bearer token of a `[users]` entry (or `KEITARO_MCP_TOKEN`), or an OAuth access
token from the team's identity provider.

The server is an OAuth 2.1 resource server only (the MCP authorization spec), with no authorization server of its
own: keitaro_mcp.http publishes the protected-resource metadata (RFC 9728) naming the identity provider, and a
401 points to it. Access tokens are JWTs checked here with PyJWT: the signature against the provider's keys
(its JWKS, cached, and fetched again when a token names a key id the cache does not know, at most once every
`REFRESH_INTERVAL` seconds so forged key ids cannot make us hammer the provider), the issuer, the audience (this
server's resource URL, RFC 8707), expiry and not-before. Only asymmetric algorithms are accepted. The subject
claim (`[oauth] subject_claim`) names the `[users]` entry by its `subject`.

`Authenticator` follows the SDK's `TokenVerifier` protocol: `verify_token` returns an `AccessToken` whose
`client_id` is the user's name, or None.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from pathlib import Path
from typing import Any

import anyio
import httpx
import jwt
from mcp.server.auth.provider import AccessToken

from keitaro_mcp.config import OAuth, Team
from keitaro_mcp.tracker import LOCAL_USER

__all__ = ["ALGORITHMS", "REFRESH_INTERVAL", "Authenticator", "JwksCache", "JwtVerifier"]

logger = logging.getLogger("keitaro_mcp.auth")

ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
"""Signatures by the provider's private key only: never `none`, never a shared secret (HS*)."""
LEEWAY = 30
"""Seconds of clock skew allowed on exp and nbf."""
CACHE_TTL = 3600.0
"""Keys are fetched again after an hour even when every token names a known key (rotation, revocation)."""
REFRESH_INTERVAL = 30.0
"""At most one fetch in this many seconds for tokens naming an unknown key id."""
MAX_JWKS_BYTES = 1_000_000
FETCH_TIMEOUT = 10.0


class JwksCache:
    """The provider's signing keys by key id, from `jwks_url` (or `jwks_file`)."""

    def __init__(self, oauth: OAuth, *, network: httpx.AsyncBaseTransport | None = None) -> None:
        self.oauth = oauth
        self._network = network
        self._keys: dict[str | None, dict[str, Any]] = {}
        self._fetched = float("-inf")
        self._lock = anyio.Lock()

    async def key(self, kid: str | None) -> dict[str, Any] | None:
        """The JWK for `kid` (a token without kid: the only key, if there is one); None when there is none."""
        now = time.monotonic()
        if now - self._fetched > CACHE_TTL or (self._find(kid) is None and now - self._fetched > REFRESH_INTERVAL):
            async with self._lock:
                if time.monotonic() - self._fetched > REFRESH_INTERVAL:
                    await self._refresh()
        return self._find(kid)

    def _find(self, kid: str | None) -> dict[str, Any] | None:
        if kid is None:
            return next(iter(self._keys.values())) if len(self._keys) == 1 else None
        return self._keys.get(kid)

    async def _refresh(self) -> None:
        self._fetched = time.monotonic()
        try:
            data = await self._load()
            keys = data.get("keys") if isinstance(data, dict) else None
            if not isinstance(keys, list):
                raise ValueError("no keys")
        except (OSError, ValueError, httpx.HTTPError) as exc:
            # Keep the keys we had: a provider hiccup must not sign everybody out.
            logger.warning("cannot read the identity provider's keys (%s): %s", self._where(), type(exc).__name__)
            return
        self._keys = {k.get("kid"): k for k in keys if isinstance(k, dict) and k.get("use", "sig") == "sig"}

    async def _load(self) -> Any:
        if self.oauth.jwks_file is not None:
            return json.loads(await anyio.Path(self.oauth.jwks_file).read_bytes())
        assert self.oauth.jwks_url is not None
        async with (
            httpx.AsyncClient(transport=self._network, timeout=FETCH_TIMEOUT, follow_redirects=False) as client,
            client.stream("GET", self.oauth.jwks_url, headers={"Accept": "application/json"}) as response,
        ):
            response.raise_for_status()
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_JWKS_BYTES:
                    raise ValueError("JWKS larger than 1 MB")
        return json.loads(bytes(body))

    def _where(self) -> str:
        return self.oauth.jwks_url or Path(self.oauth.jwks_file or "").name


class JwtVerifier:
    """Checks one access token: signature, issuer, audience, expiry, not-before. Returns its claims or None."""

    def __init__(self, oauth: OAuth, keys: JwksCache) -> None:
        self.oauth = oauth
        self.keys = keys

    async def claims(self, token: str) -> dict[str, Any] | None:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            return None
        alg = header.get("alg")
        kid = header.get("kid")
        if alg not in ALGORITHMS or not (kid is None or isinstance(kid, str)):
            return None
        jwk = await self.keys.key(kid)
        if jwk is None or jwk.get("alg", alg) != alg:
            return None
        try:
            # The algorithm is the token's, checked against the list and the key's own: a key of another type fails.
            key = jwt.PyJWK(jwk, alg)
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=self.oauth.audience,
                issuer=self.oauth.issuer,
                leeway=LEEWAY,
                options={"require": ["exp", "iss", "aud"]},
            )
        except (jwt.PyJWTError, ValueError, TypeError):
            return None
        return claims


class Authenticator:
    """Maps a presented bearer token to the user it opens the server for (the SDK's TokenVerifier protocol)."""

    def __init__(self, team: Team, mcp_token: str = "", *, network: httpx.AsyncBaseTransport | None = None) -> None:
        self._tokens = [(u.token.encode(), u.name) for u in team.users if u.token]
        if mcp_token:
            self._tokens.append((mcp_token.encode(), LOCAL_USER))
        self._subjects = {u.subject: u.name for u in team.users if u.subject}
        self.oauth = team.oauth
        self._jwt = JwtVerifier(team.oauth, JwksCache(team.oauth, network=network)) if team.oauth else None

    @property
    def required(self) -> bool:
        """Whether requests must carry a token at all."""
        return bool(self._tokens) or self._jwt is not None

    async def verify_token(self, token: str) -> AccessToken | None:
        presented = token.encode()
        found: str | None = None
        for secret, name in self._tokens:  # every entry compared, in constant time each
            if hmac.compare_digest(presented, secret) and found is None:
                found = name
        if found is not None:
            return AccessToken(token="", client_id=found, scopes=[])
        if self._jwt is None or self.oauth is None or token.count(".") != 2:
            return None
        claims = await self._jwt.claims(token)
        if claims is None:
            return None
        subject = claims.get(self.oauth.subject_claim)
        user = self._subjects.get(subject) if isinstance(subject, str) else None
        if user is None:
            logger.warning("a signed-in identity has no [users] entry (claim %s)", self.oauth.subject_claim)
            return None
        scopes = claims.get("scope")
        return AccessToken(
            token="",
            client_id=user,
            scopes=scopes.split() if isinstance(scopes, str) else [],
            expires_at=int(claims["exp"]),
            resource=self.oauth.audience,
            subject=str(claims.get("sub") or subject),
            claims={"iss": claims.get("iss")},
        )
