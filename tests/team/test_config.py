"""The configuration file: what it makes of trackers, users and sign-in, and one line naming the key when it is
wrong (the CLI then exits with code 2)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from keitaro_mcp.config import ConfigError, Team, load_team
from keitaro_mcp.sandbox_link import SANDBOX_BASE_URL
from tests.conftest import make_settings
from tests.team.conftest import ENV, TOKENS, USER_KEYS

GOOD = """
[trackers.main]
url = "tracker-a.example.com"
api_key_env = "TRACKER_KEY"
timezone = "Europe/Moscow"

[trackers.eu]
url = "https://tracker-b.example.com/"

[users.anna]
token_env = "ANNA_TOKEN"
keys = { main = "ANNA_KEY", eu = "ANNA_KEY" }
read_only = true
toolsets = "reports,campaigns"
subject = "anna@team.example"

[users.oleg]
token_env = "OLEG_TOKEN"
keys = { main = "OLEG_KEY" }

[oauth]
issuer = "https://idp.example/realms/team"
audience = "https://mcp.example.com/mcp"
jwks_url = "https://idp.example/realms/team/certs"
subject_claim = "email"
"""


def load(text: str, tmp_path: Path, **env: str) -> Team:
    path = tmp_path / "team.toml"
    path.write_text(text, encoding="utf-8")
    return load_team(make_settings(), {**ENV, **env, "KEITARO_CONFIG": str(path)})


def refusal(text: str, tmp_path: Path, **env: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load(text, tmp_path, **env)
    message = str(caught.value)
    assert "\n" not in message
    return message.split(": ", 1)[1]  # after "KEITARO_CONFIG <path>"


def test_a_good_file(tmp_path: Path) -> None:
    team = load(GOOD, tmp_path)
    main, eu = team.trackers
    assert (main.name, main.base_url, main.timezone) == (
        "main",
        "https://tracker-a.example.com/admin_api/v1",
        "Europe/Moscow",
    )
    assert main.api_key == ENV["TRACKER_KEY"] and main.problem is None
    assert (eu.name, eu.base_url, eu.api_key) == ("eu", "https://tracker-b.example.com/admin_api/v1", "")
    assert eu.problem is not None and "trackers.eu.api_key_env" in eu.problem
    anna, oleg = team.users
    assert dict(anna.keys) == {"main": USER_KEYS["anna.buyer"], "eu": USER_KEYS["anna.buyer"]}
    assert anna.token == TOKENS["anna"] and anna.read_only and anna.toolsets == frozenset({"reports", "campaigns"})
    assert (anna.subject, oleg.subject, oleg.read_only, oleg.toolsets) == ("anna@team.example", None, False, None)
    assert team.oauth is not None and team.oauth.subject_claim == "email"
    # Nothing secret in what a log or a traceback could print.
    for secret in (*ENV.values(),):
        assert secret not in repr(team)
    assert set(team.secrets()) >= {TOKENS["anna"], USER_KEYS["anna.buyer"], ENV["TRACKER_KEY"]}


def test_the_sandbox_as_a_tracker(tmp_path: Path) -> None:
    team = load('[trackers.demo]\nurl = "sandbox"\n', tmp_path)
    (demo,) = team.trackers
    assert demo.sandbox and demo.base_url == SANDBOX_BASE_URL and demo.name == "demo" and demo.api_key


BASE = '[trackers.main]\nurl = "https://t.example"\napi_key_env = "TRACKER_KEY"\n'
MAIN = '[trackers.main]\nurl = "https://t.example"\n'
ANNA = '[users.anna]\ntoken_env = "ANNA_TOKEN"\nkeys = { main = "ANNA_KEY" }\n'
OAUTH = '[oauth]\nissuer = "https://idp.example"\naudience = "https://m.example/mcp"\n'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "trackers: is required"),
        ("[trackers]\n", "trackers: name at least one tracker"),
        (BASE + "colour = 1\n", "trackers.main.colour: unknown key; allowed: url, api_key_env"),
        ('[trackers.main]\napi_key_env = "TRACKER_KEY"\n', "trackers.main.url: is required"),
        ('[trackers.main]\nurl = "ftp://t.example"\n', "trackers.main.url: has scheme"),
        (MAIN + 'api_key_env = "NOT_SET_ANYWHERE"\n',
         "trackers.main.api_key_env: the environment variable NOT_SET_ANYWHERE is not set"),
        (MAIN + 'api_key_env = "team-admin-key"\n',
         "trackers.main.api_key_env: 'team-admin-key' is not an environment variable name"),
        (MAIN, "trackers.main.api_key_env: is required when there are no"),
        (BASE + 'timezone = "Mars/Olympus"\n', "trackers.main.timezone: 'Mars/Olympus' is not an IANA timezone"),
        ('[trackers."a b"]\nurl = "https://t.example"\n', "trackers.a b: a tracker name is letters"),
        ('[trackers.a]\nurl = "sandbox"\n[trackers.b]\nurl = "sandbox"\n',
         "trackers.b.url: trackers.a is the built-in sandbox"),
        (BASE + '[users.anna]\ntoken_env = "ANNA_TOKEN"\n', "users.anna.keys: is required"),
        (BASE + ANNA.replace("main =", "us ="), "users.anna.keys.us: no such tracker; trackers: main"),
        (BASE + '[users.anna]\nkeys = { main = "ANNA_KEY" }\n', "users.anna: give token_env (a bearer token)"),
        (BASE + ANNA + 'read_only = "yes"\n', "users.anna.read_only: must be true or false"),
        (BASE + ANNA + 'toolsets = "reprots"\n', "users.anna.toolsets: has unknown toolset(s) reprots (did you mean"),
        (BASE + ANNA + 'subject = "a@b"\n', "users.anna.subject: needs an [oauth] table"),
        (BASE + ANNA + ANNA.replace("anna", "oleg"), "users.oleg.token_env: the same token as users.anna"),
        (BASE + ANNA.replace("anna", "local"), "users.local: a user name"),
        (BASE + ANNA + OAUTH.replace("https://idp", "http://idp") + 'jwks_url = "https://idp.example/k"\n',
         "oauth.issuer: 'http://idp.example' must be an https:// URL"),
        (BASE + ANNA + OAUTH, "oauth.jwks_url: give exactly one of jwks_url"),
        (BASE + ANNA + OAUTH + 'jwks_file = "/nonexistent/k.json"\n', "oauth.jwks_file: no such file"),
        (BASE + ANNA + OAUTH + 'jwks_url = "https://idp.example/k"\n', "oauth: no user has a subject"),
    ],
)  # fmt: skip
def test_a_bad_file_is_one_line_naming_the_key(text: str, expected: str, tmp_path: Path) -> None:
    assert refusal(text, tmp_path).startswith(expected)


def test_not_toml_and_a_server_token_beside_users(tmp_path: Path) -> None:
    path = tmp_path / "team.toml"
    path.write_text("[trackers.main\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"is not valid TOML: .*line 1"):
        load_team(make_settings(), {"KEITARO_CONFIG": str(path)})
    path.write_text(BASE + ANNA, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"KEITARO_MCP_TOKEN is set and .* has .users.: each user has a token"):
        load_team(make_settings(KEITARO_MCP_TOKEN="x" * 40), {**ENV, "KEITARO_CONFIG": str(path)})


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_team(make_settings(), {"KEITARO_CONFIG": str(tmp_path / "missing.toml")})


def test_without_a_file_the_environment_configures_one_tracker() -> None:
    settings = make_settings()
    team = load_team(settings, {})
    (tracker,) = team.trackers
    assert (
        tracker.name == "default" and tracker.base_url == settings.base_url and not team.users and team.source is None
    )


@pytest.mark.slow
def test_the_command_says_one_line_and_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "team.toml"
    path.write_text(BASE + '[users.anna]\ntoken_env = "ANNA_TOKEN"\nkeys = { main = "NOBODY_SET_THIS" }\n')
    env = {"KEITARO_CONFIG": str(path), "TRACKER_KEY": ENV["TRACKER_KEY"], "ANNA_TOKEN": TOKENS["anna"], "PATH": ""}
    for args in ([], ["--transport", "http"], ["tools"]):
        done = subprocess.run(
            [sys.executable, "-m", "keitaro_mcp", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 2, done.stderr
        assert done.stderr == (
            f"keitaro-mcp: error: KEITARO_CONFIG {path}: users.anna.keys.main: the environment variable "
            "NOBODY_SET_THIS is not set\n"
        )
