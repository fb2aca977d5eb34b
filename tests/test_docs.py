"""The README's generated tables and server.json follow the registry and the settings."""

from __future__ import annotations

import os
from pathlib import Path

from keitaro_mcp.docs import update_readme, update_server_json
from keitaro_mcp.settings import ENV_VARS

ROOT = Path(__file__).parent.parent


def test_readme_tables_are_current() -> None:
    path = ROOT / "README.md"
    text = path.read_text(encoding="utf-8")
    fresh = update_readme(text)
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        path.write_text(fresh, encoding="utf-8")
        text = fresh
    assert text == fresh, "README tables are stale: run python -m keitaro_mcp.docs"


def test_readme_mentions_every_env_var_and_the_two_commands() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in ENV_VARS:
        assert f"`{name}`" in text
    assert ".venv/bin/keitaro-mcp demo" in text
    assert ".venv/bin/pytest" in text


def test_server_json_is_generated_from_the_settings() -> None:
    text = (ROOT / "server.json").read_text(encoding="utf-8")
    assert text == update_server_json(text), "server.json is stale: run python -m keitaro_mcp.docs"
