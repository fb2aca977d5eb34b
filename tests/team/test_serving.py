"""Serving a team: the command's ready line, a bind beyond loopback opened by users' tokens, and the tracker
argument on stdio (the `local` caller, with the trackers' own keys)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from mcp import Client

from keitaro_mcp.config import Team, User
from keitaro_mcp.http import check_bind
from keitaro_mcp.server import build_server
from keitaro_mcp.settings import SettingsError
from keitaro_mcp.tracker import Tracker
from tests.conftest import make_settings, records
from tests.reliability._servers import mcp_over_http
from tests.secrets_guard import register
from tests.team.conftest import TOKENS, USER_KEYS
from tests.test_cli_messages import READY, http_server

pytestmark = pytest.mark.anyio

MAIN = Tracker(name="main", base_url="http://tracker-a.test/admin_api/v1", api_key="team-admin-key-c41e98d2")
EU = Tracker(name="eu", base_url="http://tracker-b.test/admin_api/v1", api_key="team-admin-key-c41e98d2")


def test_users_tokens_open_a_bind_beyond_loopback() -> None:
    settings = make_settings()
    with pytest.raises(SettingsError, match=r"without KEITARO_MCP_TOKEN or \[users\]"):
        check_bind(settings, "10.0.0.5", [], Team(trackers=(MAIN,)))
    anna = User(name="anna", keys={"main": USER_KEYS["anna.buyer"]}, token=TOKENS["anna"])
    check_bind(settings, "10.0.0.5", [], Team(trackers=(MAIN,), users=(anna,)))
    # A short token is fine on loopback, refused beyond it, naming whose it is.
    short = User(name="oleg", keys={"main": USER_KEYS["oleg.buyer"]}, token="oleg-short-token-1234")
    register("a short test token", short.token)
    check_bind(settings, "127.0.0.1", [], Team(trackers=(MAIN,), users=(anna, short)))
    with pytest.raises(SettingsError, match=r"users\.oleg\.token_env holds a token of 21 characters; use at least 32"):
        check_bind(settings, "10.0.0.5", [], Team(trackers=(MAIN,), users=(anna, short)))


async def test_on_stdio_the_tracker_argument_routes_with_the_trackers_own_keys() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": 1, "name": request.url.host})

    server = build_server(make_settings(), transport=httpx.MockTransport(answer), team=Team(trackers=(MAIN, EU)))
    async with Client(server) as client:
        tools = (await client.list_tools()).tools
        default = await client.call_tool("get_campaign", {"campaign_id": 1})
        eu = await client.call_tool("get_campaign", {"campaign_id": 1, "tracker": "eu"})
    assert all(t.input_schema["properties"]["tracker"]["enum"] == ["main", "eu"] for t in tools)
    assert default.structured_content is not None and eu.structured_content is not None
    assert (default.structured_content["tracker"], eu.structured_content["tracker"]) == ("main", "eu")
    assert [r.url.host for r in seen] == ["tracker-a.test", "tracker-b.test"]
    assert {r.headers["Api-Key"] for r in seen} == {MAIN.api_key}


@pytest.mark.slow
async def test_the_ready_line_names_the_users_and_serves_them(tmp_path: Path) -> None:
    config = tmp_path / "keitaro-mcp.toml"
    config.write_text(
        '[trackers.main]\nurl = "sandbox"\n'
        '[users.anna]\ntoken_env = "ANNA_TOKEN"\nkeys = { main = "ANNA_KEY" }\n'
        '[users.max]\ntoken_env = "MAX_TOKEN"\nkeys = { main = "MAX_KEY" }\nread_only = true\n',
        encoding="utf-8",
    )
    env = {"KEITARO_CONFIG": str(config), "ANNA_TOKEN": TOKENS["anna"], "MAX_TOKEN": TOKENS["max"],
           "ANNA_KEY": "sandbox-anna-key", "MAX_KEY": "sandbox-max-key"}  # fmt: skip
    with http_server("--transport", "http", "--port", "0", **env) as (_, line):
        match = READY.match(line)
        assert match, line
        url, auth, tracker = match.groups()
        assert (auth, tracker) == ("bearer tokens of 2 users", "sandbox")
        async with mcp_over_http(url, TOKENS["anna"]) as client:
            result = await client.call_tool("list_campaigns", {})
        assert result.structured_content is not None
        assert {c["name"][:4] for c in records(result.structured_content["data"])} == {"FB |"}
        async with httpx.AsyncClient() as http:
            assert (await http.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"})).status_code == 401


async def test_the_tracker_argument_costs_at_most_12_tokens_a_tool() -> None:
    import bpe_openai

    encoding = bpe_openai.get_encoding("cl100k_base")

    async def tokens(team: Team) -> tuple[int, int]:
        async with Client(build_server(make_settings(KEITARO_TOOLSETS="default"), team=team)) as client:
            result = await client.list_tools()
        text = result.model_dump_json(by_alias=True, exclude_none=True, include={"tools"})
        return len(encoding.encode(text)), len(result.tools)

    one, count = await tokens(Team(trackers=(MAIN,)))
    two, _ = await tokens(Team(trackers=(MAIN, EU)))
    assert 0 < two - one <= 12 * count, f"{two - one} tokens for {count} tools"
