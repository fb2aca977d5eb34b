"""The benchmark figures the READMEs show: recorded by the scripts, rendered into both tables from one file.

    python benchmarks/tokens.py --record      any script with --record stores its figures in figures.json
    python benchmarks/figures.py              rewrite the figure tables of README.md and benchmarks/README.md

`figures.json` keeps, per script, the figures of its last recorded run and the date. tests/test_figures.py fails
when a README table differs from what this renders, and when the token figures (deterministic) differ from what
`tools/list` measures now.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FIGURES = Path(__file__).resolve().with_name("figures.json")
READMES = {"summary": ROOT / "README.md", "detail": ROOT / "benchmarks" / "README.md"}
_BLOCK = re.compile(r"(<!-- figures:(\w+) -->\n).*?(<!-- /figures:\2 -->)", re.S)

Figures = dict[str, dict[str, Any]]


def load() -> Figures:
    data: Figures = json.loads(FIGURES.read_text(encoding="utf-8"))
    return data


def record(script: str, values: dict[str, Any], *, enabled: bool) -> None:
    """Store a script's figures (when it was run with --record: `enabled`)."""
    if not enabled:
        return
    data = load() if FIGURES.exists() else {}
    data[script] = {"measured": datetime.date.today().isoformat(), **values}
    FIGURES.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nrecorded in {FIGURES.relative_to(ROOT)}; now run: python benchmarks/figures.py")


def _span(low: float, high: float, unit: str = "%") -> str:
    return f"{low:.0f}{unit}" if round(low) == round(high) else f"{low:.0f}–{high:.0f}{unit}"


def summary(f: Figures) -> str:
    """The README's table: one line per figure, the ratio first."""
    cold, call, tok, load_ = f["cold_start"], f["call_overhead"], f["tokens"], f["load"]
    box, exp, fuzz, cli = f["sandbox"], f["export"], f["fuzz"], f["cli"]
    res, was = f["result_tokens"], f["result_tokens_before"]
    rows = [
        ("cold start: spawn → `tools/list` answered over stdio, vs a bare mcp-SDK server with one tool",
         f"**{cold['default_ms'] / cold['floor_ms']:.2f}** (default toolsets), "
         f"{cold['all_ms'] / cold['floor_ms']:.2f} (all)", "≤ 1.15"),
        ("per call: `get_campaign` over stdio vs the same request with plain httpx",
         f"{call['mcp_ms']:.2f} / {call['httpx_ms']:.2f} ms = **{call['mcp_ms'] / call['httpx_ms']:.2f}**",
         f"≤ 1.5 (the SDK floor alone is {call['floor_ms'] / call['httpx_ms']:.1f})"),
        ("per call: keitaro-mcp vs the bare SDK server making the same async call, same envelope",
         f"**{call['mcp_ms'] / call['floor_ms']:.2f}** (+{call['mcp_ms'] - call['floor_ms']:.1f} ms)", "—"),
        (f"`tools/list` size, cl100k tokens: default ({tok['default_tools']} tools) / all ({tok['all_tools']} tools)",
         f"**{tok['default_tokens']:,} / {tok['all_tokens']:,}** ({tok['default_stock_ratio']:.2f} / "
         f"{tok['all_stock_ratio']:.2f} of stock pydantic schemas)", "3,500 / 14,000"),
        ("result tokens on the sandbox: 20 clicks / 23 campaigns listed / a campaign update",
         f"**{res['clicks_20']:,} / {res['list_campaigns']:,} / {res['update_campaign']:,}** (were "
         f"{was['clicks_20']:,} / {was['list_campaigns']:,} / {was['update_campaign']:,})", "1,000 / 1,500 / 400"),
        ("throughput over streamable HTTP vs the tracker directly, 100 clients",
         f"**{_span(load_['low_pct'], load_['high_pct'])}**, {load_['errors']} errors", "≥ 70%"),
        ("sandbox: seeding 1M clicks; report campaign × day over 1M clicks; peak memory",
         f"**{box['seed_s']:.1f} s; {box['report_s']:.2f} s; {box['peak_mb']:.0f} MB**", "≤ 60 s; ≤ 2 s; ≤ 1 GB"),
        ("`export_clicks` over 1M clicks: rows/s, memory",
         f"**{exp['rows_per_s']:,.0f} rows/s**, flat {exp['rss_mb']:.0f} MB", "≥ 50,000 rows/s, < 200 MB"),
        ("fuzzing: schema-driven calls over every tool",
         f"**{fuzz['calls']:,}** calls, {fuzz['failures']} invariant failures", "—"),
        ("`keitaro-mcp tools` (the table, read from the tool index)",
         f"**{cli['tools_ms']:.0f} ms** (`--version` alone {cli['version_ms']:.0f} ms; importing every operation "
         f"module {cli['import_all_ms']:,.0f} ms)", "well under 1 s"),
    ]  # fmt: skip
    return _table(("figure", "result", "target"), rows)


def detail(f: Figures) -> str:
    """benchmarks/README.md's table: the measured values behind each ratio, with the date of each run."""
    cold, call, tok, load_ = f["cold_start"], f["call_overhead"], f["tokens"], f["load"]
    box, exp, rep, fuzz, cli = f["sandbox"], f["export"], f["report_tokens"], f["fuzz"], f["cli"]
    runs = f" over {load_['runs']} runs" if load_.get("runs", 1) > 1 else ""
    rows = [
        ("cold start, default toolsets / floor",
         f"{cold['default_ms']:,.0f} ms / {cold['floor_ms']:,.0f} ms = **{cold['default_ms'] / cold['floor_ms']:.2f}**",
         "≤ 1.15", cold["measured"]),
        ("cold start, all toolsets / floor",
         f"{cold['all_ms']:,.0f} ms / {cold['floor_ms']:,.0f} ms = **{cold['all_ms'] / cold['floor_ms']:.2f}**",
         "—", cold["measured"]),
        ("per call, keitaro-mcp over stdio / plain httpx (A / B)",
         f"{call['mcp_ms']:.2f} ms / {call['httpx_ms']:.2f} ms = **{call['mcp_ms'] / call['httpx_ms']:.2f}**",
         "≤ 1.5", call["measured"]),
        ("per call, keitaro-mcp / bare SDK server with async httpx and the same envelope (A / C)",
         f"{call['mcp_ms']:.2f} ms / {call['floor_ms']:.2f} ms = **{call['mcp_ms'] / call['floor_ms']:.2f}**",
         "—", call["measured"]),
        ("`tools/list`, default toolsets",
         f"{tok['default_tools']} tools, **{tok['default_tokens']:,}** tokens "
         f"({tok['default_tokens'] / tok['default_tools']:.0f} per tool); {tok['default_stock_ratio']:.2f} of stock "
         "pydantic schemas", "≤ 3,500", tok["measured"]),
        ("`tools/list`, all toolsets",
         f"{tok['all_tools']} tools, **{tok['all_tokens']:,}** tokens ({tok['all_tokens'] / tok['all_tools']:.0f} "
         f"per tool); {tok['all_stock_ratio']:.2f} of stock pydantic schemas", "≤ 14,000", tok["measured"]),
        ("HTTP throughput, MCP / direct, 100 clients",
         f"**{_span(load_['low_pct'], load_['high_pct'])}**{runs} (e.g. {load_['mcp_rps']:.0f} / "
         f"{load_['direct_rps']:.0f} calls/s), {load_['errors']} errors", "≥ 70%", load_["measured"]),
        ("sandbox: seed 1,000,000 clicks (`sandbox_bench.py`)",
         f"**{box['seed_s']:.1f} s**, peak memory {box['peak_mb']:.0f} MB", "≤ 60 s, ≤ 1 GB", box["measured"]),
        ("sandbox: `report/build` campaign × day, 6 measures, 1M clicks",
         f"**{box['report_s']:.2f} s** (best of runs; worst {box['report_worst_s']:.2f} s)", "≤ 2 s", box["measured"]),
        ("`export_clicks` over 1,000,000 clicks, exporter alone (`export_bench.py`)",
         f"**{exp['rows_per_s']:,.0f} rows/s**, RSS flat at {exp['rss_mb']:.0f} MB (peak {exp['peak_mb']:.0f} MB)",
         "≥ 50,000 rows/s, < 200 MB", exp["measured"]),
        ("50-row report, compact `{columns, rows}` vs rows as objects (`report_tokens.py`)",
         f"**{_span(rep['compact_low_pct'], rep['compact_high_pct'])}** smaller; whole envelope "
         f"{_span(rep['envelope_low_pct'], rep['envelope_high_pct'])} smaller than Keitaro's raw answer",
         "≥ 40% for another form", rep["measured"]),
        ("fuzzing (`fuzz_bench.py`)",
         f"**{fuzz['calls']:,}** calls over {fuzz['tools']} tools, {fuzz['failures']} invariant failures", "—",
         fuzz["measured"]),
        ("`keitaro-mcp tools` / `--version` / importing every operation (`cli_bench.py`)",
         f"**{cli['tools_ms']:.0f} ms** / {cli['version_ms']:.0f} ms / {cli['import_all_ms']:,.0f} ms "
         f"(A / B = {cli['tools_ms'] / cli['version_ms']:.2f})", "well under 1 s", cli["measured"]),
    ]  # fmt: skip
    return _table(("figure", "result", "target", "measured"), rows)


RESULT_CALLS = {
    "list_campaigns": ("list campaigns (23 on the sandbox)", "`list_campaigns`", "≤ 1,500"),
    "get_campaign": ("get one campaign", "`get_campaign`", "—"),
    "report_7_days": ("7-day report by campaign", "`build_report`", "—"),
    "clicks_20": ("20 clicks", "`list_clicks limit=20`", "≤ 1,000"),
    "update_campaign": ("a campaign update (its cost)", "`update_campaign`", "≤ 400"),
}
"""result_tokens.py's figures: label, call, target."""


def results(f: Figures) -> str:
    """benchmarks/README.md's result-token table: each everyday call before and after, with the ratio."""
    before, after = f["result_tokens_before"], f["result_tokens"]
    rows = [
        (label, call, f"{before[name]:,}", f"**{after[name]:,}**", f"{after[name] / before[name]:.2f}", target)
        for name, (label, call, target) in RESULT_CALLS.items()
    ]
    header = (
        "call", "tool", f"before ({before['measured']})", f"after ({after['measured']})", "after / before", "target"
    )  # fmt: skip
    return _table(header, rows)


def add_record_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--record", action="store_true", help="store the figures in benchmarks/figures.json")


RENDERERS: dict[str, Callable[[Figures], str]] = {"summary": summary, "detail": detail, "results": results}


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def update(text: str, figures: Figures | None = None) -> str:
    """Text with every `<!-- figures:NAME -->` block rendered from the figures."""
    figures = load() if figures is None else figures

    def replace(match: re.Match[str]) -> str:
        return f"{match.group(1)}{RENDERERS[match.group(2)](figures)}\n{match.group(3)}"

    return _BLOCK.sub(replace, text)


def main() -> int:
    for path in READMES.values():
        path.write_text(update(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
