"""The generated files follow the registry and the settings, and one command rewrites them all."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from keitaro_mcp.docs import SNAPSHOTS, refresh_figures, regenerate, update_readme, update_server_json
from keitaro_mcp.settings import ENV_VARS
from tests.conftest import REGENERATE

ROOT = Path(__file__).parent.parent


def test_readme_tables_are_current() -> None:
    path = ROOT / "README.md"
    text = path.read_text(encoding="utf-8")
    assert text == update_readme(text), f"README tables are stale: run {REGENERATE}"


def test_readme_mentions_every_env_var_and_the_two_commands() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in ENV_VARS:
        assert f"`{name}`" in text
    assert ".venv/bin/keitaro-mcp demo" in text
    assert ".venv/bin/pytest" in text


def test_server_json_is_generated_from_the_settings() -> None:
    text = (ROOT / "server.json").read_text(encoding="utf-8")
    assert text == update_server_json(text), f"server.json is stale: run {REGENERATE}"


def test_one_command_rewrites_every_generated_file(tmp_path: Path) -> None:
    """A checkout where every generated file is stale or missing: one run makes them all current again."""
    for name in ("README.md", "server.json"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / SNAPSHOTS, tmp_path / SNAPSHOTS)
    readme, manifest, snapshots = tmp_path / "README.md", tmp_path / "server.json", tmp_path / SNAPSHOTS
    index = tmp_path / "tool_index.json"
    regenerate(tmp_path, index)
    current = {p: p.read_text(encoding="utf-8") for p in [readme, manifest, index, *snapshots.iterdir()]}
    readme.write_text(current[readme].replace("| `get_campaign` |", "| `get_campaign_` |"), encoding="utf-8")
    stale = json.loads(current[manifest])
    stale["packages"][0]["environmentVariables"] = []
    manifest.write_text(json.dumps(stale), encoding="utf-8")
    index.write_text("[]", encoding="utf-8")
    (snapshots / "get_campaign.json").unlink()
    (snapshots / "dropped_tool.json").write_text("{}", encoding="utf-8")

    changed = regenerate(tmp_path, index)

    assert sorted(p.relative_to(tmp_path).as_posix() for p in changed) == [
        "README.md", "server.json", f"{SNAPSHOTS.as_posix()}/dropped_tool.json",
        f"{SNAPSHOTS.as_posix()}/get_campaign.json", "tool_index.json",
    ]  # fmt: skip
    assert {p: p.read_text(encoding="utf-8") for p in [readme, manifest, index, *snapshots.iterdir()]} == current
    assert regenerate(tmp_path, index) == [], "a second run changes nothing"


def test_the_command_measures_the_token_figures_again(tmp_path: Path) -> None:
    """A changed tools/list needs no benchmark run by hand: the token figures are re-measured and rendered."""
    shutil.copytree(ROOT / "benchmarks", tmp_path / "benchmarks", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    figures = tmp_path / "benchmarks" / "figures.json"
    current = figures.read_text(encoding="utf-8")
    stale = json.loads(current)
    stale["tokens"]["all_tokens"] += 1_000
    figures.write_text(json.dumps(stale, indent=1) + "\n", encoding="utf-8")

    changed = refresh_figures(tmp_path / "benchmarks")

    now, before = json.loads(figures.read_text(encoding="utf-8"))["tokens"], json.loads(current)["tokens"]
    assert now | {"measured": ""} == before | {"measured": ""}
    assert figures in changed
    assert refresh_figures(tmp_path / "benchmarks") == [], "both tables are rendered from the figures as recorded"
