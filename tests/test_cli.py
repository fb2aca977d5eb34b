"""The command line: tools table, one call through MCP, bad options, and the stdio server for the SDK's client."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from mcp import Client, StdioServerParameters

from tests.conftest import TEST_API_KEY

pytestmark = [pytest.mark.anyio, pytest.mark.slow]  # every test starts a process


def cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KEITARO_")}
    return subprocess.run(
        [sys.executable, "-m", "keitaro_mcp", *args],
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_tools_table_lists_campaign_tools_with_annotations() -> None:
    done = cli("tools", KEITARO_TOOLSETS="campaigns,campaigns_admin")
    assert done.returncode == 0, done.stderr
    lines = {line.split()[0]: line for line in done.stdout.splitlines() if line.strip()}
    assert "read" in lines["get_campaign"]
    assert "destructive" in lines["archive_campaign"] and "write" in lines["archive_campaign"]
    assert "idempotent" in lines["update_campaign"]


def test_call_prints_the_envelope_and_masks_nothing_it_should_not_show() -> None:
    # Port 9 (discard) on loopback: nothing listens, so the envelope is a connection error.
    done = cli(
        "call", "get_campaign", '{"campaign_id": 1}', KEITARO_URL="http://127.0.0.1:9", KEITARO_API_KEY=TEST_API_KEY
    )
    envelope = json.loads(done.stdout)
    assert done.returncode == 1
    assert envelope["request"]["url"] == "http://127.0.0.1:9/admin_api/v1/campaigns/1"
    assert envelope["request"]["headers"]["Api-Key"] == "***"
    assert envelope["error"]["kind"] == "connection"
    assert TEST_API_KEY not in done.stdout + done.stderr


@pytest.mark.parametrize(
    ("args", "env", "fragment"),
    [
        (("tools",), {"KEITARO_TOOLSETS": "bogus"}, "unknown toolset"),
        (("tools",), {"KEITARO_TIMEOUT": "abc"}, "KEITARO_TIMEOUT"),
        (("call", "get_campaign", "{not json"), {}, "not JSON"),
        (("call", "nope", "{}"), {"KEITARO_URL": "sandbox"}, "Unknown tool: nope"),
        (("--bogus",), {}, "unrecognized arguments: --bogus"),
        (("serve", "--transport", "htp"), {}, "invalid choice: 'htp'"),
        (("--port", "abc"), {}, "invalid int value: 'abc'"),
        (("call",), {}, "keitaro-mcp call: error: the following arguments are required: tool"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(args: tuple[str, ...], env: dict[str, str], fragment: str) -> None:
    done = cli(*args, **env)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0] and "Traceback" not in done.stderr


def test_missing_config_warns_once_and_still_serves() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "keitaro_mcp"],
        env={k: v for k, v in os.environ.items() if not k.startswith("KEITARO_")},
        input="",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0
    assert done.stderr.count("warning") == 1 and "KEITARO_URL" in done.stderr
    assert done.stdout == "", "nothing but protocol on stdout"


async def test_stdio_server_answers_tools_list_for_the_sdk_client() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEITARO_")}
    env |= {"KEITARO_URL": "http://127.0.0.1:9", "KEITARO_API_KEY": TEST_API_KEY}
    params = StdioServerParameters(command=sys.executable, args=["-m", "keitaro_mcp"], env=env)
    async with Client(params) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert "get_campaign" in tools and "list_campaigns" in tools
    assert tools["get_campaign"].annotations is not None
    assert TEST_API_KEY not in " ".join(params.args)
