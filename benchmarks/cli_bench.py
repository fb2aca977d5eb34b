"""`keitaro-mcp tools`: how long the table takes, from the tool index, against the CLI's floor and the old way.

Three sides, spawned alternately (A B C, C B A, ...) with the same interpreter and no KEITARO_* settings:

* A: `python -m keitaro_mcp tools` with every toolset (reads `keitaro_mcp/tool_index.json`);
* B: `python -m keitaro_mcp --version` (interpreter start plus our CLI: the floor of any command);
* C: the table as it was built before the index, by importing every operation module (the registry's models).

    python benchmarks/cli_bench.py [--rounds 15] [--record]

Target: A well under one second, and A / B close to 1.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, clean_env, interleave, median_ms, print_figures, spread_ms
from figures import add_record_flag, record

IMPORT_EVERY_OPERATION = (
    "from keitaro_mcp.operations import OPERATIONS\n"
    "for op in OPERATIONS: print(op.name, op.toolset, op.effect, op.idempotent)\n"
)


def timed(argv: Sequence[str], expect: str) -> Callable[[], float]:
    env = clean_env(KEITARO_TOOLSETS="all")

    def once() -> float:
        start = time.perf_counter()
        done = subprocess.run(list(argv), env=env, cwd=ROOT, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - start
        if done.returncode != 0 or expect not in done.stdout:
            raise RuntimeError(f"{argv} failed ({done.returncode}): {done.stderr[-2000:]}")
        return elapsed

    return once


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    add_record_flag(parser)
    args = parser.parse_args()
    py = sys.executable
    sides = {
        "tools": timed([py, "-m", "keitaro_mcp", "tools"], "get_campaign"),
        "version": timed([py, "-m", "keitaro_mcp", "--version"], "keitaro-mcp"),
        "import every operation": timed([py, "-c", IMPORT_EVERY_OPERATION], "get_campaign"),
    }
    for side in sides.values():  # warm-up: bytecode written, files in the page cache
        side()
    samples = interleave(sides, args.rounds)
    tools, floor, before = (median_ms(samples[name]) for name in sides)
    rows = [
        ("keitaro-mcp tools (A)", f"{tools:,.0f} ms ({spread_ms(samples['tools'])})"),
        ("keitaro-mcp --version (B, the floor)", f"{floor:,.0f} ms ({spread_ms(samples['version'])})"),
        ("import every operation module (C)", f"{before:,.0f} ms ({spread_ms(samples['import every operation'])})"),
        ("A / B", f"{tools / floor:.2f}"),
        ("A / C", f"{tools / before:.2f}"),
    ]
    print_figures(f"keitaro-mcp tools, median of {args.rounds} runs per side", rows)
    record(
        "cli",
        {"tools_ms": round(tools), "version_ms": round(floor), "import_all_ms": round(before)},
        enabled=args.record,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
