"""Per-call overhead: `get_campaign` through keitaro-mcp over stdio vs the same request with plain httpx.

Both sides hit the same sandbox tracker (`keitaro-mcp sandbox`, uvicorn on 127.0.0.1) with kept-alive
connections. Side A sends `tools/call get_campaign` as raw JSON-RPC over the server's stdin/stdout and waits for
the envelope; side B sends `GET /admin_api/v1/campaigns/{id}` with `httpx.Client`. Calls alternate A B, B A, ...
after a warm-up, and the figure is the ratio of the medians of the same run.

    python benchmarks/call_overhead.py [--rounds 400]

Target: MCP / direct <= 1.5.
"""

from __future__ import annotations

import argparse
import sys
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

CAMPAIGN_ID = 1


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
    parser.add_argument("--warmup", type=int, default=30, help="untimed calls per side first (default 30)")
    args = parser.parse_args()

    with sandbox_http() as url:
        env = clean_env(KEITARO_URL=url, KEITARO_API_KEY=BENCH_API_KEY)
        headers = {"Api-Key": BENCH_API_KEY, "Accept": "application/json"}
        with (
            StdioPeer([sys.executable, "-m", "keitaro_mcp"], env) as peer,
            httpx.Client(base_url=url, headers=headers, timeout=30) as client,
        ):
            peer.initialize()
            sides = {
                "keitaro-mcp over stdio (tools/call get_campaign)": mcp_side(peer),
                "plain httpx (GET /campaigns/1)": httpx_side(client),
            }
            interleave(sides, args.warmup)
            samples = interleave(sides, args.rounds)

    (mcp_name, mcp_times), (direct_name, direct_times) = samples.items()
    mcp_ms, direct_ms = median_ms(mcp_times), median_ms(direct_times)
    rows = [
        (mcp_name, f"{mcp_ms:.2f} ms median ({spread_ms(mcp_times)})"),
        (direct_name, f"{direct_ms:.2f} ms median ({spread_ms(direct_times)})"),
        ("added by MCP + keitaro-mcp", f"{mcp_ms - direct_ms:.2f} ms per call"),
        ("ratio MCP / direct", f"{mcp_ms / direct_ms:.2f}  (target <= 1.5)"),
        ("rounds", f"{args.rounds} per side, interleaved, after {args.warmup} warm-up calls"),
    ]
    print_figures("per-call overhead: get_campaign, sandbox on 127.0.0.1", rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
