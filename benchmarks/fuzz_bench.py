"""Fuzz every tool of the registry with 10,000+ schema-driven calls and print the counts.

The same harness as tests/reliability/test_fuzz.py, at scale: Hypothesis draws valid arguments from each tool's
inputSchema (hypothesis-jsonschema) and invalid ones (wrong types, unknown and missing fields, huge numbers,
arbitrary JSON); each goes through the in-memory MCP client to our server (all toolsets) and on to a fresh
sandbox tracker. Every call must end in an envelope (success, or an error with a known kind and a hint), with no
protocol error or hang, and an invalid_arguments answer must have sent nothing.

    python benchmarks/fuzz_bench.py [--calls 10000] [--salt S]

Prints calls by outcome (ok or error kind), by input class, by tool, the invariant failures (exit 1 if any),
and the time. Deterministic for a given --salt.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import anyio
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mcp import Client  # noqa: E402

from keitaro_mcp.operations import OPERATIONS  # noqa: E402
from keitaro_mcp.sandbox import Sandbox  # noqa: E402
from keitaro_mcp.server import build_server  # noqa: E402
from keitaro_mcp.settings import load_settings  # noqa: E402
from tests.reliability.fuzzing import Case, Tally, call_case, cases_for  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from figures import add_record_flag, record  # noqa: E402

API_KEY = "fuzz-bench-key-71d3"
POSTBACK_KEY = "fuzzpb-4e2a"


def generate(per_tool: int, salt: str) -> list[tuple[int, list[Case]]]:
    """Per operation: (distinct cases, the cases cycled up to per_tool)."""
    plan = []
    for op in OPERATIONS:
        cases = cases_for(op, per_tool // 2, per_tool - per_tool // 2, salt=salt)
        distinct = len(cases)
        cycled = [cases[i % distinct] for i in range(per_tool)] if cases else []
        plan.append((distinct, cycled))
    return plan


async def run(plan: list[tuple[int, list[Case]]]) -> Tally:
    tally = Tally()
    sandbox = Sandbox(seed=23, clicks=1_000, api_key=API_KEY, postback_key=POSTBACK_KEY)
    settings = load_settings(
        {
            "KEITARO_URL": "http://tracker.test",
            "KEITARO_API_KEY": API_KEY,
            "KEITARO_POSTBACK_KEY": POSTBACK_KEY,
            "KEITARO_TOOLSETS": "all",
            "KEITARO_TIMEOUT": "5",
        }
    )
    server = build_server(settings, transport=httpx.ASGITransport(app=sandbox.app))

    def tracker_requests() -> int:
        return sum(sandbox.request_counts.values())

    async with Client(server) as client:
        for op, (_, cases) in zip(OPERATIONS, plan, strict=True):
            for case in cases:
                await call_case(client, op, case, tracker_requests, tally)
    sandbox.close()
    return tally


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=10_000, help="total calls, spread over the tools (10000)")
    parser.add_argument("--salt", default="", help="picks another deterministic set of cases")
    add_record_flag(parser)
    args = parser.parse_args()
    per_tool = max(2, math.ceil(args.calls / len(OPERATIONS)))

    started = time.perf_counter()
    plan = generate(per_tool, args.salt)
    generated = time.perf_counter()
    tally = anyio.run(run, plan)
    finished = time.perf_counter()

    distinct = sum(d for d, _ in plan)
    print(f"fuzz_bench: {tally.calls:,} calls over {len(OPERATIONS)} tools ({distinct:,} distinct argument sets)")
    print(f"  generation {generated - started:.1f} s, calls {finished - generated:.1f} s "
          f"({tally.calls / max(finished - generated, 1e-9):,.0f} calls/s), slowest call "
          f"{tally.slowest[0] * 1000:.0f} ms ({tally.slowest[1]})")  # fmt: skip
    print("\nby outcome:")
    for outcome, n in tally.by_outcome.most_common():
        print(f"  {outcome:<20} {n:>7,}")
    print("\nby input class and outcome:")
    for (kind, outcome), n in sorted(tally.by_kind_and_input.items()):
        print(f"  {kind:<8} {outcome:<20} {n:>7,}")
    print(f"\nby tool ({min(tally.by_tool.values()):,}-{max(tally.by_tool.values()):,} calls each):")
    for name, n in sorted(tally.by_tool.items()):
        outcomes = ", ".join(f"{o} {c}" for (t, o), c in sorted(tally.by_tool_and_outcome.items()) if t == name)
        print(f"  {name:<40} {n:>5}  {outcomes}")
    print(f"\ninvariant failures: {len(tally.failures)}")
    for failure in tally.failures[:50]:
        print("  " + failure)
    figures = {"calls": tally.calls, "tools": len(OPERATIONS), "failures": len(tally.failures)}
    record("fuzz", figures, enabled=args.record)
    return 1 if tally.failures else 0


if __name__ == "__main__":
    sys.exit(main())
