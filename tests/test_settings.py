"""Settings: URL normalisation, config problems that keep the server up, options that stop start-up."""

from __future__ import annotations

import pytest

from keitaro_mcp.settings import SettingsError, load_settings, normalize_url
from keitaro_mcp.toolsets import ALL_TOOLSETS, DEFAULT_TOOLSETS


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("tracker.example.com", "https://tracker.example.com/admin_api/v1"),
        ("https://tracker.example.com/", "https://tracker.example.com/admin_api/v1"),
        ("http://10.0.0.5:8080", "http://10.0.0.5:8080/admin_api/v1"),
        ("https://example.com/keitaro/admin_api/v1/", "https://example.com/keitaro/admin_api/v1"),
        ("  https://TRACKER.example.com  ", "https://tracker.example.com/admin_api/v1"),
    ],
)
def test_normalize_url(raw: str, expected: str) -> None:
    assert normalize_url(raw) == expected


@pytest.mark.parametrize(
    "raw", ["ftp://x.com", "https://user:pw@x.com", "https://x.com/?a=1", "https://", "http://x:99999"]
)
def test_malformed_urls_are_config_problems(raw: str) -> None:
    settings = load_settings({"KEITARO_URL": raw, "KEITARO_API_KEY": "k" * 10})
    assert settings.base_url is None
    assert settings.config_problem and "KEITARO_URL" in settings.config_problem


def test_missing_everything_is_a_config_problem_not_a_crash() -> None:
    settings = load_settings({})
    assert settings.config_problem is not None
    assert "KEITARO_URL" in settings.config_problem and "KEITARO_API_KEY" in settings.config_problem
    assert settings.toolsets == DEFAULT_TOOLSETS and settings.read_only is False


def test_key_is_not_in_repr() -> None:
    settings = load_settings({"KEITARO_URL": "x.com", "KEITARO_API_KEY": "supersecretkey"})
    assert "supersecretkey" not in repr(settings)
    assert settings.secrets() == ("supersecretkey",)


def test_sandbox_url_needs_no_key() -> None:
    settings = load_settings({"KEITARO_URL": "sandbox"})
    assert settings.is_sandbox and settings.config_problem is None and settings.api_key


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"KEITARO_TOOLSETS": "campaigns,nope"}, "unknown toolset(s) nope"),
        ({"KEITARO_TIMEOUT": "soon"}, "not a number"),
        ({"KEITARO_TIMEOUT": "-1"}, "between 0 and 600"),
        ({"KEITARO_READ_ONLY": "perhaps"}, "not a boolean"),
        ({"KEITARO_TIMEZONE": "Mars/Olympus"}, "IANA timezone"),
    ],
)
def test_malformed_options_stop_start_up(env: dict[str, str], fragment: str) -> None:
    with pytest.raises(SettingsError) as info:
        load_settings(env)
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_toolsets_all_default_and_lists() -> None:
    assert load_settings({"KEITARO_TOOLSETS": "all"}).toolsets == ALL_TOOLSETS
    assert load_settings({"KEITARO_TOOLSETS": "default,domains"}).toolsets == DEFAULT_TOOLSETS | {"domains"}
    assert load_settings({"KEITARO_TOOLSETS": " Reports , logs "}).toolsets == {"reports", "logs"}
    assert load_settings({"KEITARO_READ_ONLY": "TRUE"}).read_only is True
