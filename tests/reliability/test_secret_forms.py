"""Secrets in every form: the redactor masks each secret as is, URL-encoded and JSON-escaped; a secret too short
to mask is a `config` problem at start; a bearer token that opens the HTTP transport beyond loopback is long.

Trackers here are httpx MockTransports that echo what they were sent in every form a secret can take.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client

from keitaro_mcp.config import ConfigError, Team, User, load_team
from keitaro_mcp.envelope import Redactor, secret_forms
from keitaro_mcp.http import check_bind
from keitaro_mcp.server import build_server
from keitaro_mcp.settings import MIN_POSTBACK_KEY, MIN_REMOTE_TOKEN, MIN_SECRET, SettingsError
from keitaro_mcp.tracker import Tracker
from tests.conftest import make_settings
from tests.secrets_guard import register

pytestmark = pytest.mark.anyio

POSTBACK_KEY = "pb/key+secret 42"
"""A postback key with a slash, a plus and a space: each is percent-encoded in the postback URL."""
API_KEY = 'api"key\\with/escapes-7f3a'
"""An API key JSON writes escaped (a quote, a backslash; PHP's json_encode escapes the slash too)."""
for _name, _value in (("postback key with escapes", POSTBACK_KEY), ("API key with escapes", API_KEY)):
    register(_name, _value)


def echo(request: httpx.Request) -> httpx.Response:
    """A hostile tracker: a 500 whose text holds every form of both secrets, and an echo of the URL it was sent."""
    forms = sorted(secret_forms(POSTBACK_KEY) | secret_forms(API_KEY))
    text = f"url={request.url} key={request.headers.get('api-key')} forms=" + " | ".join(forms)
    return httpx.Response(500, text=text)


def leaks(text: str) -> list[str]:
    return [form for form in secret_forms(POSTBACK_KEY) | secret_forms(API_KEY) if form in text]


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [("test_postback", {"sub_id": "abc"}), ("get_campaign", {"campaign_id": 1}), ("create_campaign", {"name": "n"})],
)
async def test_no_form_of_a_secret_leaks(tool: str, arguments: dict[str, Any]) -> None:
    """Was: `pb%2Fkey%2Bsecret%2042` in request.url, and a key the tracker echoed JSON-escaped, unmasked."""
    settings = make_settings(KEITARO_API_KEY=API_KEY, KEITARO_POSTBACK_KEY=POSTBACK_KEY, KEITARO_DEBUG="true")
    async with Client(build_server(settings, transport=httpx.MockTransport(echo))) as client:
        result = await client.call_tool(tool, arguments)
    text = json.dumps(result.model_dump(mode="json"))
    assert result.is_error and leaks(text) == [] and leaks(json.loads(text)["content"][0]["text"]) == []
    envelope: Any = result.structured_content
    assert "***" in envelope["error"]["responseData"]
    if tool == "test_postback":
        assert envelope["request"]["url"].startswith("http://tracker.test/***/postback?")


def test_every_form_is_masked_and_found_in_keys_too() -> None:
    redact = Redactor((POSTBACK_KEY,))
    for form in secret_forms(POSTBACK_KEY):
        assert redact({"a": [f"x{form}y"], form: 1}) == {"a": ["x***y"], "***": 1}, form
    assert "pb%2Fkey%2Bsecret%2042" in secret_forms(POSTBACK_KEY)
    assert "pb%2fkey%2bsecret%2042" in secret_forms(POSTBACK_KEY)
    assert "pb\\/key+secret 42" in secret_forms(POSTBACK_KEY)
    assert Redactor(("plainhexkey0123",))({"v": "nothing here"}) == {"v": "nothing here"}


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("KEITARO_API_KEY", "abc1234"),
        ("KEITARO_POSTBACK_KEY", "a" * (MIN_POSTBACK_KEY - 1)),
        ("KEITARO_MCP_TOKEN", "tok"),
    ],
)
async def test_a_secret_too_short_to_mask_is_a_config_problem(variable: str, value: str) -> None:
    """Was: secrets under 4 characters were never masked, and short ones turned up inside ordinary values."""
    settings = make_settings(**{variable: value})
    assert settings.config_problem and variable in settings.config_problem
    assert "at least" in settings.config_problem
    async with Client(build_server(settings, transport=httpx.MockTransport(echo))) as client:
        envelope: Any = (await client.call_tool("list_campaigns", {})).structured_content
    assert envelope["error"]["kind"] == "config" and variable in envelope["error"]["message"]


def test_real_lengths_are_accepted() -> None:
    assert make_settings(KEITARO_POSTBACK_KEY="7d2c4a1").config_problem is None  # Keitaro's 7-character keys
    assert make_settings(KEITARO_API_KEY="k" * MIN_SECRET).config_problem is None
    assert make_settings(KEITARO_URL="sandbox").config_problem is None  # the demo's postback key, sandboxpb


def test_a_short_key_in_the_team_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "team.toml"
    path.write_text('[trackers.main]\nurl = "tracker.example.com"\napi_key_env = "MAIN_KEY"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"trackers.main.api_key_env: MAIN_KEY has 5 characters; at least 8"):
        load_team(make_settings(), {"KEITARO_CONFIG": str(path), "MAIN_KEY": "short"})


def test_a_token_opening_the_http_transport_beyond_loopback_is_long() -> None:
    short = "t" * (MIN_REMOTE_TOKEN - 1)
    register("short token", short)
    check_bind(make_settings(KEITARO_MCP_TOKEN=short), "127.0.0.1")  # loopback: any token
    with pytest.raises(SettingsError, match=f"KEITARO_MCP_TOKEN has {MIN_REMOTE_TOKEN - 1} characters; use at least"):
        check_bind(make_settings(KEITARO_MCP_TOKEN=short), "10.0.0.5")
    check_bind(make_settings(KEITARO_MCP_TOKEN=short + "t"), "10.0.0.5")
    tracker = Tracker(name="main", base_url="http://tracker-a.test/admin_api/v1", api_key="team-admin-key-c41e98d2")
    max_user = User(name="max", keys={"main": "team-max-key-5d18e0b7"}, token=short)
    with pytest.raises(SettingsError, match=r"users\.max\.token_env holds a token of 31 characters"):
        check_bind(make_settings(), "10.0.0.5", [], Team(trackers=(tracker,), users=(max_user,)))
