"""Cold start: process spawn to an answered `tools/list` over stdio, keitaro-mcp against a bare mcp-SDK server.

The floor is the smallest server our stack can be: the SDK's low-level `Server` with one tool, served by the same
`mcp.server.stdio` loop as `keitaro-mcp`. It is written to a temp dir and run with the same interpreter. Both sides
are spawned alternately (A B, B A, ...) and timed from `Popen` to the parsed `tools/list` answer, after the
`initialize` handshake, with raw JSON-RPC over the pipes (no client library in the measured path).

    python benchmarks/cold_start.py [--rounds 15]

Target: keitaro-mcp / floor <= 1.15 (median of the same run).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BENCH_API_KEY, StdioPeer, clean_env, interleave, median_ms, print_figures, spread_ms
from figures import add_record_flag, record

FLOOR_SERVER = """
import anyio
from mcp.server import Server
from mcp.server.stdio import stdio_server
from mcp.types import ListToolsResult, Tool

TOOL = Tool(name="echo", description="Echo a text.",
            input_schema={"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]})

async def list_tools(ctx, params):
    return ListToolsResult(tools=[TOOL])

server = Server("floor", version="0", on_list_tools=list_tools)

async def main():
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())

anyio.run(main)
"""


def spawn_to_tools_list(
    argv: list[str], env: Mapping[str, str], expect_tools: int | None = None
) -> Callable[[], float]:
    def once() -> float:
        start = time.perf_counter()
        with StdioPeer(argv, env) as peer:
            peer.initialize()
            tools = peer.request("tools/list")["tools"]
            elapsed = time.perf_counter() - start
        if not tools or (expect_tools is not None and len(tools) != expect_tools):
            raise RuntimeError(f"{argv}: unexpected tools/list answer ({len(tools)} tools)")
        return elapsed

    return once


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="timed spawns per side (default 15)")
    add_record_flag(parser)
    args = parser.parse_args()

    env = clean_env(KEITARO_URL="https://tracker.example.com", KEITARO_API_KEY=BENCH_API_KEY)
    with tempfile.TemporaryDirectory(prefix="kt-floor-") as tmp:
        floor_py = Path(tmp) / "floor_server.py"
        floor_py.write_text(FLOOR_SERVER)
        sides = {
            "floor (bare SDK server, 1 tool)": spawn_to_tools_list([sys.executable, str(floor_py)], env, 1),
            "keitaro-mcp (default toolsets)": spawn_to_tools_list([sys.executable, "-m", "keitaro_mcp"], env),
            "keitaro-mcp (all toolsets)": spawn_to_tools_list(
                [sys.executable, "-m", "keitaro_mcp"], {**env, "KEITARO_TOOLSETS": "all"}
            ),
        }
        for side in sides.values():  # warm the bytecode caches and the page cache, untimed
            side()
        samples = interleave(sides, args.rounds)

    names = list(samples)
    floor = median_ms(samples[names[0]])
    rows = [(name, f"{median_ms(values):.0f} ms median ({spread_ms(values)})") for name, values in samples.items()]
    rows += [
        ("ratio default / floor", f"{median_ms(samples[names[1]]) / floor:.3f}  (target <= 1.15)"),
        ("ratio all / floor", f"{median_ms(samples[names[2]]) / floor:.3f}"),
        ("rounds", f"{args.rounds} per side, interleaved"),
    ]
    print_figures("cold start: spawn -> initialize -> tools/list answered (stdio)", rows)
    medians = [round(median_ms(samples[name])) for name in names]
    record("cold_start", dict(zip(("floor_ms", "default_ms", "all_ms"), medians, strict=True)), enabled=args.record)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
