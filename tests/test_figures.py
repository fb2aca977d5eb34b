"""The benchmark figures in README.md and benchmarks/README.md come from benchmarks/figures.json, and the token
figures there are what `tools/list` measures now."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import REGENERATE
from tests.test_budget import tools_list_tokens

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"


def load_figures_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_figures", BENCHMARKS / "figures.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


figures = load_figures_module()


@pytest.mark.parametrize("readme", ["README.md", "benchmarks/README.md"])
def test_the_figure_tables_are_rendered_from_the_recorded_figures(readme: str) -> None:
    text = (ROOT / readme).read_text(encoding="utf-8")
    assert "<!-- figures:" in text
    assert text == figures.update(text), f"{readme}'s figures differ from benchmarks/figures.json: run {REGENERATE}"


async def test_the_recorded_token_figures_are_measured_now() -> None:
    recorded = figures.load()["tokens"]
    for toolsets in ("default", "all"):
        tokens, count = await tools_list_tokens(toolsets)
        assert (recorded[f"{toolsets}_tokens"], recorded[f"{toolsets}_tools"]) == (tokens, count), (
            f"tools/list ({toolsets}) is {tokens:,} tokens for {count} tools now: run {REGENERATE}"
        )


def test_every_recorded_figure_has_a_script_that_records_it() -> None:
    recorded = set(json.loads((BENCHMARKS / "figures.json").read_text(encoding="utf-8")))
    writers = {
        name: path.name
        for path in BENCHMARKS.glob("*.py")
        for name in re.findall(r'record\(\s*"(\w+)"', path.read_text(encoding="utf-8"))
    }
    assert recorded == set(writers), f"figures.json has {sorted(recorded)}, scripts record {writers}"
    for name in recorded:
        assert re.match(r"\d{4}-\d{2}-\d{2}$", figures.load()[name]["measured"]), name


def test_rendering_shows_a_range_only_when_runs_differ() -> None:
    data = figures.load()
    data["load"] = {**data["load"], "low_pct": 61, "high_pct": 61, "runs": 1}
    assert "**61%**, " in figures.summary(data)
    data["load"] = {**data["load"], "low_pct": 54, "high_pct": 68, "runs": 3}
    assert "**54–68%**, " in figures.summary(data) and "over 3 runs" in figures.detail(data)
