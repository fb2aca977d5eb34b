"""OAuth sign-in: this server as a resource server of the team's identity provider (RFC 9728 metadata, JWTs
checked for signature, issuer, audience, expiry and not-before; the subject names the [users] entry)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from keitaro_mcp import auth
from keitaro_mcp.sandbox.seed.entities import USERS
from tests.conftest import records
from tests.reliability._servers import mcp_over_http
from tests.secrets_guard import check
from tests.team.conftest import TOKENS, IdentityProvider, Served, Tracker, serve_team, users_config

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

PING = {"jsonrpc": "2.0", "id": 1, "method": "ping"}


@pytest.fixture(scope="module")
def served(
    main_tracker: Tracker, identity: IdentityProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    # The audience is this server's public URL; the server's own port is only known once it is bound, and the
    # resource a token names need not be where the test reaches it.
    oauth = f"""
[oauth]
issuer = "{identity.issuer}"
audience = "https://mcp.team.example/mcp"
jwks_url = "{identity.jwks_url}"
subject_claim = "email"
"""
    with serve_team(users_config(main_tracker, oauth=oauth), tmp_path_factory.mktemp("oauth")) as served:
        yield served


AUDIENCE = "https://mcp.team.example/mcp"
METADATA = "https://mcp.team.example/.well-known/oauth-protected-resource/mcp"


async def post(served: Served, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient() as http:
        return await http.post(served.mcp, headers=headers, json=PING)


def assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 401
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('Bearer realm="keitaro-mcp"') and f'resource_metadata="{METADATA}"' in challenge
    assert not check(response.text + challenge, "the 401 answer")


async def test_the_metadata_names_the_identity_provider(served: Served, identity: IdentityProvider) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.get(served.url + "/.well-known/oauth-protected-resource/mcp")
    assert response.status_code == 200
    metadata = response.json()
    assert metadata["resource"] == AUDIENCE and metadata["authorization_servers"] == [identity.issuer]
    assert metadata["bearer_methods_supported"] == ["header"]


async def test_no_token_or_an_unknown_one_gets_401_with_the_metadata_url(served: Served) -> None:
    assert_refused(await post(served, None))
    assert_refused(await post(served, "not-a-token"))
    assert_refused(await post(served, "a.b.c"))


async def test_a_good_token_maps_to_its_user(served: Served, identity: IdentityProvider) -> None:
    token = identity.token("anna@team.example", audience=AUDIENCE)
    async with mcp_over_http(served.mcp, token) as client:
        result = await client.call_tool("list_campaigns", {})
    assert result.structured_content is not None and not result.is_error
    anna = next(set(c) for name, _, _, c in USERS if name == "anna.buyer")
    assert {c["id"] for c in records(result.structured_content["data"])} <= anna
    # Her static token opens the same door.
    assert (await post(served, TOKENS["anna"])).status_code == 200


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param({"aud": "https://another.example/mcp"}, id="wrong audience"),
        pytest.param({"iss": "https://evil.example/realms/team"}, id="wrong issuer"),
        pytest.param({"exp": int(time.time()) - 600}, id="expired"),
        pytest.param({"nbf": int(time.time()) + 600}, id="not yet valid"),
        pytest.param({"email": "stranger@team.example"}, id="no such user"),
    ],
)
async def test_a_bad_token_is_refused(served: Served, identity: IdentityProvider, claims: dict[str, Any]) -> None:
    token = identity.token("anna@team.example", audience=AUDIENCE, **claims)
    assert_refused(await post(served, token))


async def test_a_token_signed_by_another_key_is_refused(served: Served, identity: IdentityProvider) -> None:
    forger = identity.new_key("key-forged", publish=False)
    assert_refused(await post(served, identity.token("anna@team.example", kid=forger, audience=AUDIENCE)))
    # Even under the id of a published key.
    forged = identity.token("anna@team.example", kid=forger, audience=AUDIENCE)
    _, body, signature = forged.split(".")
    real_header = base64.urlsafe_b64encode(json.dumps({"alg": "RS256", "kid": "key-1", "typ": "JWT"}).encode())
    assert_refused(await post(served, f"{real_header.decode().rstrip('=')}.{body}.{signature}"))
    # A token with no signature at all.
    unsigned = base64.urlsafe_b64encode(json.dumps({"alg": "none", "kid": "key-1"}).encode()).decode().rstrip("=")
    assert_refused(await post(served, f"{unsigned}.{body}."))


async def test_a_rotated_key_is_fetched_and_unknown_key_ids_do_not_hammer_the_provider(
    main_tracker: Tracker, identity: IdentityProvider, tmp_path: Path
) -> None:
    oauth = f'[oauth]\nissuer = "{identity.issuer}"\naudience = "{AUDIENCE}"\njwks_url = "{identity.jwks_url}"\n'
    oauth += 'subject_claim = "email"\n'
    with pytest.MonkeyPatch.context() as patch, serve_team(users_config(main_tracker, oauth=oauth), tmp_path) as served:
        patch.setattr(auth, "REFRESH_INTERVAL", 2.0)
        assert (await post(served, identity.token("anna@team.example", audience=AUDIENCE))).status_code == 200
        # Tokens naming key ids the provider never published: at most one fetch per interval, whatever their number.
        stranger = identity.new_key(f"unpublished-{time.monotonic_ns()}", publish=False)
        forged = []
        for n in range(5):
            identity.keys[f"{stranger}-{n}"] = identity.keys[stranger]
            forged.append(identity.token("anna@team.example", kid=f"{stranger}-{n}", audience=AUDIENCE))
        fetches = identity.fetches
        for token in forged:
            assert_refused(await post(served, token))
        assert identity.fetches - fetches <= 1
        # The provider rotates its key: once the interval has passed, the first token naming it fetches the JWKS.
        rotated = identity.new_key(f"rotated-{time.monotonic_ns()}")
        token = identity.token("anna@team.example", kid=rotated, audience=AUDIENCE)
        time.sleep(2.1)
        fetches = identity.fetches
        assert (await post(served, token)).status_code == 200
        assert (await post(served, token)).status_code == 200
        assert identity.fetches == fetches + 1
