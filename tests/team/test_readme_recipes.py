"""The README's team deployment recipes, as written: every configuration block loads, and the one-tracker recipe
on the sandbox does what the README says it does (Anna's five campaigns; Max's 23, read tools only, his toolsets
only, even for a tool called by name)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import MCPError
from mcp.types import INVALID_PARAMS

from keitaro_mcp.config import Team, load_team
from keitaro_mcp.http import build_http_app
from keitaro_mcp.tool_index import load_cards
from tests.conftest import make_settings, records
from tests.reliability._servers import free_socket, mcp_over_http, serve_in_thread
from tests.secrets_guard import register

ROOT = Path(__file__).resolve().parents[2]
BLOCKS = dict(
    re.findall(r"<!-- team-config: ([\w-]+) -->\s*```toml\n(.*?)```", (ROOT / "README.md").read_text("utf-8"), re.S)
)
SANDBOX_KEYS = {"ANNA_KEITARO_KEY": "sandbox-anna-key", "MAX_KEITARO_KEY": "sandbox-max-key"}


def variables(text: str) -> dict[str, str]:
    """A value for every environment variable the block names (keys and tokens)."""
    names = re.findall(r'(?:_env|\b\w+) = "([A-Z][A-Z0-9_]+)"', text)
    values = {name: f"value-of-{name.lower()}-0123456789abcdef" for name in names}
    for value in values.values():
        register("a README recipe's variable", value)
    return values


def load(text: str, tmp_path: Path) -> Team:
    path = tmp_path / "keitaro-mcp.toml"
    path.write_text(text, encoding="utf-8")
    return load_team(make_settings(), {**variables(text), "KEITARO_CONFIG": str(path)})


def test_the_readme_has_the_recipes() -> None:
    assert set(BLOCKS) == {"shape", "one-tracker", "two-trackers", "oauth"}


@pytest.mark.parametrize("name", ["shape", "one-tracker", "two-trackers"])
def test_each_recipe_loads(name: str, tmp_path: Path) -> None:
    team = load(BLOCKS[name], tmp_path)
    assert team.trackers and team.users
    assert [t.name for t in team.trackers] == list(tomllib.loads(BLOCKS[name])["trackers"])


def test_the_oauth_recipe_loads_beside_a_tracker(tmp_path: Path) -> None:
    team = load('[trackers.main]\nurl = "sandbox"\n' + BLOCKS["oauth"], tmp_path)
    assert team.oauth is not None and team.oauth.subject_claim == "email"
    assert [u.subject for u in team.users] == ["anna@team.example"]


@pytest.fixture(scope="module")
def one_tracker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    text = BLOCKS["one-tracker"]
    env = {**variables(text), **SANDBOX_KEYS}
    path = tmp_path_factory.mktemp("readme") / "keitaro-mcp.toml"
    path.write_text(text, encoding="utf-8")
    settings = make_settings(KEITARO_TOOLSETS="")  # the default toolsets, as a fresh install has them
    team = load_team(settings, {**env, "KEITARO_CONFIG": str(path)})
    sock = free_socket()
    app = build_http_app(settings, team=team, port=sock.getsockname()[1], allowed_hosts=[])
    with serve_in_thread(app, sock=sock) as url:
        yield url + "/mcp", {"anna": env["MCP_TOKEN_ANNA"], "max": env["MCP_TOKEN_MAX"]}


async def campaigns_and_tools(url: str, token: str) -> tuple[list[Any], list[Any]]:
    async with mcp_over_http(url, token) as client:
        tools = (await client.list_tools()).tools
        result = await client.call_tool("list_campaigns", {})
    assert result.structured_content is not None and not result.is_error
    return records(result.structured_content["data"]), tools


@pytest.mark.anyio
@pytest.mark.slow
async def test_one_tracker_two_people_on_the_sandbox(one_tracker: tuple[str, dict[str, str]]) -> None:
    url, tokens = one_tracker
    anna, anna_tools = await campaigns_and_tools(url, tokens["anna"])
    assert len(anna) == 5 and all(c["name"].startswith("FB |") for c in anna)
    assert "update_campaign" in {t.name for t in anna_tools}
    everything, max_tools = await campaigns_and_tools(url, tokens["max"])
    assert len(everything) == 23 and len(max_tools) == 9
    assert not {t.name for t in max_tools} & {card.name for card in load_cards() if card.writes}


@pytest.mark.anyio
@pytest.mark.slow
async def test_a_tool_outside_a_persons_toolsets_is_refused_by_name(one_tracker: tuple[str, dict[str, str]]) -> None:
    # Max's toolsets are reports and campaigns: offers are not his, even called by name; Anna has the default set.
    url, tokens = one_tracker
    async with mcp_over_http(url, tokens["max"]) as client:
        assert "list_offers" not in {t.name for t in (await client.list_tools()).tools}
        with pytest.raises(MCPError) as refused:
            await client.call_tool("list_offers", {})
    assert refused.value.error.code == INVALID_PARAMS
    assert refused.value.error.message == (
        "Tool list_offers is in toolset 'offers', which is not enabled ([users.max] toolsets)"
    )
    async with mcp_over_http(url, tokens["anna"]) as client:
        offers = await client.call_tool("list_offers", {})
    assert not offers.is_error and offers.structured_content is not None
    assert records(offers.structured_content["data"])
