"""Result tokens of the everyday calls: what the model reads back, in cl100k tokens (bpe-openai), on the sandbox.

    python benchmarks/result_tokens.py [--record | --record-before]

Each call goes through the real server and the SDK's in-memory client to the built-in sandbox tracker (the demo's
tracker, `KEITARO_URL=sandbox`), and the figure is the token count of the result's text content: the envelope as
compact JSON, as the model receives it. `--record` stores the figures as the current ones; `--record-before`
stores them as the baseline the table compares with (measured once, on the code before a change).

Targets: 20 clicks <= 1,000 tokens, the campaign list <= 1,500, a campaign update <= 400.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import anyio
import bpe_openai
from mcp import Client

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import print_figures
from figures import record

from keitaro_mcp.server import build_server
from keitaro_mcp.settings import load_settings

ENCODING = bpe_openai.get_encoding("cl100k_base")

CALLS: dict[str, tuple[str, dict[str, Any]]] = {
    "list_campaigns": ("list_campaigns", {}),
    "get_campaign": ("get_campaign", {"campaign_id": 1}),
    "report_7_days": ("build_report", {"period": "last_7_days", "dimensions": ["campaign"]}),
    "clicks_20": ("list_clicks", {"limit": 20}),
    "update_campaign": ("update_campaign", {"campaign_id": 1, "cost_value": 0.55}),
}
"""figure name -> (tool, arguments): the calls a media buyer's assistant makes every day."""
LABELS = {
    "list_campaigns": "list campaigns (all 23)",
    "get_campaign": "get one campaign",
    "report_7_days": "7-day report by campaign",
    "clicks_20": "20 clicks",
    "update_campaign": "a campaign update (cost)",
}


async def measure() -> dict[str, int]:
    settings = load_settings({"KEITARO_URL": "sandbox", "KEITARO_TOOLSETS": "all"})
    out: dict[str, int] = {}
    async with Client(build_server(settings), raise_exceptions=True) as client:
        for figure, (tool, arguments) in CALLS.items():
            result = await client.call_tool(tool, arguments)
            text = getattr(result.content[0], "text", "")
            if result.is_error:
                raise SystemExit(f"{tool} {arguments} failed: {text[:500]}")
            out[figure] = len(ENCODING.encode(text))
    return out


async def main() -> int:
    figures = await measure()
    rows = [(f"{LABELS[name]}: {CALLS[name][0]}", f"{tokens:,} tokens") for name, tokens in figures.items()]
    print_figures("result size in cl100k tokens (bpe-openai), sandbox tracker", rows)
    record("result_tokens", figures, enabled="--record" in sys.argv)
    record("result_tokens_before", figures, enabled="--record-before" in sys.argv)
    return 0


if __name__ == "__main__":
    raise SystemExit(anyio.run(main))
