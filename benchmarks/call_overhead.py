"""Per-call overhead: `get_campaign` through keitaro-mcp over stdio vs the same request with plain httpx.

All sides hit the same sandbox tracker (`keitaro-mcp sandbox`, uvicorn on 127.0.0.1) with kept-alive
connections, one call at a time, alternating A B C, C B A, ... after a warm-up; figures are medians of the same run.

* A: keitaro-mcp over stdio: `tools/call get_campaign` as raw JSON-RPC on the server's stdin/stdout.
* B: plain httpx (`httpx.Client`): `GET /admin_api/v1/campaigns/1`, the request without MCP.
* C: the floor of our stack: a bare mcp-SDK low-level server (generated in a temp dir) whose one tool makes the
  same call with `httpx.AsyncClient` and returns the same envelope shape (text + structuredContent). A / C is
  what keitaro-mcp itself adds (validation, envelope, redaction, budget) over the SDK and async httpx.

    python benchmarks/call_overhead.py [--rounds 400]

Target: A / B <= 1.5.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    BENCH_API_KEY,
    StdioPeer,
    clean_env,
    interleave,
    median_ms,
    print_figures,
    sandbox_http,
    spread_ms,
)
from figures import add_record_flag, record

CAMPAIGN_ID = 1

FLOOR_SERVER = """
import json, os
import anyio, httpx
from mcp.server import Server
from mcp.server.stdio import stdio_server
from mcp.types import CallToolResult, ListToolsResult, TextContent, Tool

TOOL = Tool(name="get_campaign", description="Get a campaign.", input_schema={"type": "object"})
http = None

async def list_tools(ctx, params):
    return ListToolsResult(tools=[TOOL])

async def call_tool(ctx, params):
    global http
    if http is None:
        http = httpx.AsyncClient(base_url=os.environ["BENCH_URL"], headers={"Api-Key": os.environ["BENCH_KEY"]})
    response = await http.get(f"/admin_api/v1/campaigns/{params.arguments['campaign_id']}")
    envelope = {"request": {"url": str(response.url), "method": "GET", "headers": {"Api-Key": "***"}},
                "resource": "campaign", "operation": "get", "success": True, "data": response.json()}
    text = json.dumps(envelope, ensure_ascii=False, separators=(",", ":"))
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=envelope)

server = Server("floor", version="0", on_list_tools=list_tools, on_call_tool=call_tool)

async def main():
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())

anyio.run(main)
"""


def mcp_side(peer: StdioPeer) -> Callable[[], float]:
    arguments = {"name": "get_campaign", "arguments": {"campaign_id": CAMPAIGN_ID}}

    def once() -> float:
        start = time.perf_counter()
        result = peer.request("tools/call", arguments)
        elapsed = time.perf_counter() - start
        envelope = result.get("structuredContent") or {}
        if result.get("isError") or envelope.get("data", {}).get("id") != CAMPAIGN_ID:
            raise RuntimeError(f"get_campaign failed: {result}")
        return elapsed

    return once


def httpx_side(client: httpx.Client) -> Callable[[], float]:
    path = f"/admin_api/v1/campaigns/{CAMPAIGN_ID}"

    def once() -> float:
        start = time.perf_counter()
        response = client.get(path)
        data = response.json()
        elapsed = time.perf_counter() - start
        if response.status_code != 200 or data.get("id") != CAMPAIGN_ID:
            raise RuntimeError(f"GET {path} answered {response.status_code}: {response.text[:200]}")
        return elapsed

    return once


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=400, help="timed calls per side (default 400)")
    add_record_flag(parser)
    parser.add_argument("--warmup", type=int, default=30, help="untimed calls per side first (default 30)")
    args = parser.parse_args()

    with sandbox_http() as url, tempfile.TemporaryDirectory(prefix="kt-floor-") as tmp:
        floor_py = Path(tmp) / "floor_server.py"
        floor_py.write_text(FLOOR_SERVER)
        env = clean_env(KEITARO_URL=url, KEITARO_API_KEY=BENCH_API_KEY, BENCH_URL=url, BENCH_KEY=BENCH_API_KEY)
        headers = {"Api-Key": BENCH_API_KEY, "Accept": "application/json"}
        with (
            StdioPeer([sys.executable, "-m", "keitaro_mcp"], env) as peer,
            StdioPeer([sys.executable, str(floor_py)], env) as floor,
            httpx.Client(base_url=url, headers=headers, timeout=30) as client,
        ):
            peer.initialize()
            floor.initialize()
            sides = {
                "A keitaro-mcp over stdio (tools/call get_campaign)": mcp_side(peer),
                "B plain httpx (GET /campaigns/1)": httpx_side(client),
                "C bare SDK server + async httpx, same envelope": mcp_side(floor),
            }
            interleave(sides, args.warmup)
            samples = interleave(sides, args.rounds)

    (a_name, a_times), (b_name, b_times), (c_name, c_times) = samples.items()
    a_ms, b_ms, c_ms = median_ms(a_times), median_ms(b_times), median_ms(c_times)
    rows = [
        (a_name, f"{a_ms:.2f} ms median ({spread_ms(a_times)})"),
        (b_name, f"{b_ms:.2f} ms median ({spread_ms(b_times)})"),
        (c_name, f"{c_ms:.2f} ms median ({spread_ms(c_times)})"),
        ("added by MCP + keitaro-mcp (A - B)", f"{a_ms - b_ms:.2f} ms per call"),
        ("added by keitaro-mcp alone (A - C)", f"{a_ms - c_ms:.2f} ms per call"),
        ("ratio A / B (MCP / direct)", f"{a_ms / b_ms:.2f}  (target <= 1.5)"),
        ("ratio A / C (ours / SDK floor)", f"{a_ms / c_ms:.2f}"),
        ("rounds", f"{args.rounds} per side, interleaved, after {args.warmup} warm-up calls"),
    ]
    print_figures("per-call overhead: get_campaign, sandbox on 127.0.0.1", rows)
    figures = {"mcp_ms": round(a_ms, 2), "httpx_ms": round(b_ms, 2), "floor_ms": round(c_ms, 2)}
    record("call_overhead", figures, enabled=args.record)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
