"""The server's instructions over HTTP are written for the user who connects: their tools, their trackers.

A user limited to a toolset or to reading is never told about a tool they cannot list (a tool of another toolset
reads "enable toolset X for <tool>", a hidden write is not named); a user with several trackers is told the default
among theirs; a full user reads what the server's own surface reads. Both protocol eras: the instructions come in
`initialize` (2025) and in `server/discover` (2026-07-28).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from mcp import Client

from keitaro_mcp.config import Team
from keitaro_mcp.server import build_server
from tests.conftest import make_settings
from tests.reliability._servers import mcp_over_http
from tests.team.conftest import Served, Tracker, serve_team, tracker_tables
from tests.test_dead_ends import Seen

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

ERAS = ["legacy", "auto"]
"""The client's modes: the 2025 `initialize` handshake, and `server/discover` on 2026-07-28."""

TOKENS = {
    "anna": "team-token-anna-7c2e91f04b6d3a58",  # every toolset, trackers main and eu
    "rita": "team-token-rita-58d0c3e7a19f42b6",  # reports only, tracker eu only
    "oleg": "team-token-oleg-3f8a05d2c7e14b96",  # trackers eu and asia (not main)
    "max": "team-token-max-e6b1d47a90c25f38",  # read-only, tracker main
}


def config(main: Tracker, eu: Tracker) -> str:
    return f"""{tracker_tables(main=main.url, eu=eu.url, asia=eu.url)}
[users.anna]
token_env = "ANNA_TOKEN"
keys = {{ main = "ANNA_KEY", eu = "ANNA_KEY" }}

[users.rita]
token_env = "RITA_TOKEN"
keys = {{ eu = "ANNA_KEY" }}
toolsets = "reports"

[users.oleg]
token_env = "OLEG_TOKEN"
keys = {{ eu = "OLEG_KEY", asia = "OLEG_KEY" }}

[users.max]
token_env = "MAX_TOKEN"
keys = {{ main = "MAX_KEY" }}
read_only = true
"""


@pytest.fixture(scope="module")
def served(main_tracker: Tracker, eu_tracker: Tracker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    from tests.secrets_guard import register

    register("team mode test secret (rita)", TOKENS["rita"])
    with serve_team(config(main_tracker, eu_tracker), tmp_path_factory.mktemp("team"), RITA_TOKEN=TOKENS["rita"]) as s:
        yield s


async def instructions_and_tools(served: Served, user: str, mode: str) -> tuple[str, frozenset[str]]:
    async with mcp_over_http(served.mcp, TOKENS[user], mode=mode) as client:
        listed = frozenset(t.name for t in (await client.list_tools()).tools)
        return client.instructions or "", listed


@pytest.mark.parametrize("mode", ERAS)
async def test_a_restricted_user_is_told_only_of_tools_they_can_list(served: Served, mode: str) -> None:
    text, listed = await instructions_and_tools(served, "rita", mode)
    assert "list_campaigns" not in listed
    problems = list(Seen(listed, read_only=False).problems("instructions", text))
    assert not problems, "\n".join(problems)
    assert "enable toolset" in text  # the tools they lack are named with what would bring them
    # One tracker for her: no tracker argument, no default to name.
    assert text.startswith("Tools for one Keitaro tracker") and "keitaro://trackers" not in text


@pytest.mark.parametrize("mode", ERAS)
async def test_a_read_only_user_is_told_only_of_tools_they_can_list(served: Served, mode: str) -> None:
    text, listed = await instructions_and_tools(served, "max", mode)
    problems = list(Seen(listed, read_only=True).problems("instructions", text))
    assert not problems, "\n".join(problems)
    assert "list_campaigns" in text and "enable toolset" not in text


@pytest.mark.parametrize("mode", ERAS)
async def test_the_default_tracker_named_is_one_the_user_may_use(served: Served, mode: str) -> None:
    text, _ = await instructions_and_tools(served, "oleg", mode)
    assert "Tools for 2 Keitaro trackers" in text and "(default eu)" in text


@pytest.mark.parametrize("mode", ERAS)
async def test_a_full_user_reads_the_servers_own_instructions(served: Served, mode: str) -> None:
    text, listed = await instructions_and_tools(served, "anna", mode)
    assert "Tools for 2 Keitaro trackers" in text and "(default main)" in text
    assert not list(Seen(listed, read_only=False).problems("instructions", text))
    # The same text a local client of a server with her two trackers reads.
    two = Team(trackers=served.team.trackers[:2])
    async with Client(build_server(make_settings(KEITARO_TOOLSETS="all"), team=two)) as local:
        assert text == local.instructions
