"""Tokens (cl100k, via bpe-openai) of a 50-row report: our compact result vs the raw Keitaro JSON.

    .venv/bin/python benchmarks/report_tokens.py

Runs build_report through the MCP server against the built-in sandbox tracker, fetches the same request body's raw
answer from the sandbox, and prints the token counts of: the raw Keitaro answer, its rows as a list of objects, our
compact `data` ({columns, rows, summary}) and the whole envelope as the model receives it.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import anyio
import bpe_openai
import httpx
from figures import record

from keitaro_mcp.envelope import to_json

API_KEY = "bench-tokens-key"
MONEY = ["clicks", "conversions", "revenue", "cost", "profit", "roi"]
REPORTS = [
    {"period": "all_time", "dimensions": ["campaign", "day"], "measures": MONEY, "limit": 50},
    {"period": "all_time", "dimensions": ["country_code", "device_type", "os"], "measures": MONEY, "limit": 50},
    {"period": "all_time", "dimensions": ["campaign", "country_code"],
     "measures": ["clicks", "campaign_unique_clicks", "conversions", "revenue", "cost", "profit", "roi", "cr"],
     "limit": 50},
]  # fmt: skip


class Recorder(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.bodies: list[Any] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raw = await request.aread()
        self.bodies.append(json.loads(raw) if raw else None)
        return await self.inner.handle_async_request(request)


async def run() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    from mcp import Client

    from keitaro_mcp.sandbox import Sandbox
    from keitaro_mcp.server import build_server
    from keitaro_mcp.settings import load_settings

    box = Sandbox(seed=7, clicks=20_000, api_key=API_KEY)
    wire = Recorder(httpx.ASGITransport(app=box.app))
    settings = load_settings({"KEITARO_URL": "http://tracker.bench", "KEITARO_API_KEY": API_KEY})
    out = []
    async with (
        Client(build_server(settings, transport=wire), raise_exceptions=True) as client,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=box.app), base_url="http://t") as http,
    ):
        for args in REPORTS:
            result = await client.call_tool("build_report", args)
            envelope: Any = result.structured_content
            raw = await http.post("/admin_api/v1/report/build", json=wire.bodies[-1], headers={"Api-Key": API_KEY})
            out.append((envelope, raw.json()))
    box.close()
    return out


def main() -> int:
    enc = bpe_openai.get_encoding("cl100k_base")

    def tokens(value: Any) -> int:
        return len(enc.encode(to_json(value)))

    worst = 1.0
    compact: list[float] = []
    whole: list[float] = []
    for args, (envelope, raw) in zip(REPORTS, anyio.run(run), strict=True):
        rows = len(envelope["data"]["rows"])
        raw_tokens = tokens(raw)
        objects = tokens({"rows": raw["rows"], "summary": raw.get("summary")})
        ours = tokens(envelope["data"])
        worst = min(worst, 1 - ours / objects)
        compact.append(100 * (1 - ours / objects))
        whole.append(100 * (1 - tokens(envelope) / raw_tokens))
        print(f"build_report {json.dumps(args)}")
        print(f"  {rows} rows of {envelope['meta']['total']}, {len(envelope['data']['columns'])} columns")
        print(f"  raw Keitaro JSON (rows as objects, summary, total, meta): {raw_tokens:>6} tokens")
        print(f"  rows as a list of objects + summary:                    {objects:>6} tokens")
        print(f"  our data {{columns, rows, summary}}:                      {ours:>6} tokens "
              f"({100 * (1 - ours / objects):.0f}% smaller than the list of objects)")  # fmt: skip
        print(f"  whole envelope as the model reads it (request, meta):   {tokens(envelope):>6} tokens "
              f"({100 * (1 - tokens(envelope) / raw_tokens):.0f}% smaller than the raw answer)")  # fmt: skip
    print(f"smallest saving: {100 * worst:.0f}%")
    figures = {"compact_low_pct": round(min(compact)), "compact_high_pct": round(max(compact)),
               "envelope_low_pct": round(min(whole)), "envelope_high_pct": round(max(whole))}  # fmt: skip
    record("report_tokens", figures, enabled="--record" in sys.argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
