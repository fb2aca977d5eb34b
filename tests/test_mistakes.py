"""The usual set-up mistakes get a hint that names the fix: plain http behind a guessed https://, the admin panel's
path in KEITARO_URL, a real key left set with KEITARO_URL=sandbox, typos in toolsets and tool names, a config error
that shows the URL as configured, and an export folder that cannot be written.

Trackers here are the sandbox served by uvicorn on 127.0.0.1, or in-process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from keitaro_mcp.classify import Problem
from keitaro_mcp.mistakes import explain
from keitaro_mcp.sandbox import Sandbox
from keitaro_mcp.server import build_server
from keitaro_mcp.settings import SettingsError, load_settings
from keitaro_mcp.tracker import Tracker
from tests.conftest import TEST_API_KEY
from tests.reliability._servers import serve_in_thread

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def tracker_url() -> Iterator[str]:
    """The sandbox tracker over plain HTTP on 127.0.0.1."""
    box = Sandbox(seed=3, clicks=50, api_key=TEST_API_KEY)
    with serve_in_thread(box.app) as url:
        yield url
    box.close()


async def call(env: dict[str, str], tool: str = "get_campaign", arguments: dict[str, Any] | None = None) -> Any:
    settings = load_settings({"KEITARO_TOOLSETS": "all"} | env)
    async with Client(build_server(settings)) as client:
        result = await client.call_tool(tool, {"campaign_id": 1} if arguments is None else arguments)
    return result.structured_content


async def test_plain_http_behind_a_guessed_https_says_write_http(tracker_url: str) -> None:
    address = tracker_url.removeprefix("http://")  # 127.0.0.1:PORT, as people write it
    envelope = await call({"KEITARO_URL": address, "KEITARO_API_KEY": TEST_API_KEY})
    error = envelope["error"]
    assert error["kind"] == "connection" and "WRONG_VERSION_NUMBER" in error["message"].upper()
    assert error["hint"] == f"This address speaks plain http, not https: write KEITARO_URL=http://{address}"


async def test_the_admin_panel_path_says_use_the_domain_only(tracker_url: str) -> None:
    envelope = await call({"KEITARO_URL": f"{tracker_url}/admin/", "KEITARO_API_KEY": TEST_API_KEY})
    error = envelope["error"]
    assert envelope["request"]["url"] == f"{tracker_url}/admin/admin_api/v1/campaigns/1"
    assert error["kind"] == "not_found"
    assert error["hint"] == (
        f"KEITARO_URL has the admin panel's path (/admin/): use the panel's domain only, KEITARO_URL={tracker_url}"
    )


async def test_the_same_answers_without_the_mistake_keep_their_usual_hint(tracker_url: str) -> None:
    found = await call({"KEITARO_URL": tracker_url, "KEITARO_API_KEY": TEST_API_KEY})
    assert found["success"] is True
    missing = await call({"KEITARO_URL": tracker_url, "KEITARO_API_KEY": TEST_API_KEY}, arguments={"campaign_id": 999})
    assert missing["error"]["kind"] == "not_found" and "admin panel" not in missing["error"]["hint"]
    wrong_key = await call({"KEITARO_URL": tracker_url, "KEITARO_API_KEY": "another-key-123"})
    assert wrong_key["error"]["kind"] == "auth" and "sandbox" not in wrong_key["error"]["hint"]


def test_a_tracker_under_a_path_keeps_it_in_the_fix() -> None:
    tracker = Tracker(base_url="https://example.com/keitaro/admin/admin_api/v1")
    problem = explain(Problem("not_json", "Keitaro answered 200 with text/html, not JSON", status=200), tracker)
    assert problem.hint is not None and problem.hint.endswith("KEITARO_URL=https://example.com/keitaro")


async def test_a_real_key_with_the_sandbox_says_the_sandbox_has_its_own() -> None:
    envelope = await call({"KEITARO_URL": "sandbox", "KEITARO_API_KEY": "a-real-admin-key-9"})
    error = envelope["error"]
    assert error["kind"] == "auth" and error["status"] == 401
    assert error["hint"].startswith("KEITARO_URL=sandbox opens only with its own demo key, and KEITARO_API_KEY is set")
    assert "a-real-admin-key-9" not in str(envelope)


@pytest.mark.parametrize(
    ("raw", "guess"), [("campaign", "campaigns"), ("reprots", "reports"), ("al", "all"), ("defualt", "default")]
)
def test_a_mistyped_toolset_gets_a_did_you_mean(raw: str, guess: str) -> None:
    with pytest.raises(SettingsError, match=rf"unknown toolset\(s\) {raw} \(did you mean {guess}\?\)"):
        load_settings({"KEITARO_TOOLSETS": raw})


def cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KEITARO_")}
    return subprocess.run(
        [sys.executable, "-m", "keitaro_mcp", *args], env=clean | env, capture_output=True, text=True, timeout=60,
        check=False,
    )  # fmt: skip


def test_a_mistyped_tool_gets_a_did_you_mean_in_one_line() -> None:
    done = cli("call", "get_campain", '{"campaign_id": 1}', KEITARO_URL="sandbox")
    assert done.returncode == 2
    assert done.stderr.splitlines() == ["keitaro-mcp: error: Unknown tool: get_campain; did you mean get_campaign?"]
    typo = cli("tools", KEITARO_TOOLSETS="campains")
    assert typo.returncode == 2 and len(typo.stderr.splitlines()) == 1 and "did you mean campaigns?" in typo.stderr


@pytest.mark.parametrize(
    ("env", "url"),
    [
        ({"KEITARO_URL": "https://tracker.example.com"}, "https://tracker.example.com/admin_api/v1/campaigns/7"),
        ({"KEITARO_URL": "tracker.example.com/"}, "https://tracker.example.com/admin_api/v1/campaigns/7"),
        ({"KEITARO_URL": "ftp://tracker.example.com", "KEITARO_API_KEY": "k" * 12}, "ftp://tracker.example.com"),
        ({"KEITARO_URL": "https://me:pw@tracker.example.com", "KEITARO_API_KEY": "k" * 12},
         "https://***@tracker.example.com"),
        ({"KEITARO_API_KEY": "k" * 12}, None),
    ],
    ids=["key-missing", "bare-domain-key-missing", "bad-scheme", "credentials-in-url", "url-missing"],
)  # fmt: skip
async def test_a_config_error_shows_the_url_as_configured(env: dict[str, str], url: str | None) -> None:
    # Nothing is sent: a config error stops the call before the network (tracker.example.com is never contacted).
    envelope = await call(env, arguments={"campaign_id": 7})
    assert envelope["error"]["kind"] == "config"
    assert envelope["request"]["url"] == url
    assert "unconfigured.invalid" not in str(envelope) and "{campaign_id}" not in str(envelope)
    assert "pw@" not in str(envelope)


async def test_an_export_folder_that_cannot_be_written_is_a_config_problem(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    env = {"KEITARO_URL": "sandbox", "KEITARO_EXPORT_DIR": str(blocker / "exports")}
    envelope = await call(env, "export_clicks", {"period": "today"})
    error = envelope["error"]
    assert error["kind"] == "config", error
    assert error["message"].startswith("the export folder exports cannot be written")
    assert "KEITARO_EXPORT_DIR" in error["message"] and error["responseData"] is None
    assert str(tmp_path) not in str(envelope)  # the folder by its own name, never the server's paths
