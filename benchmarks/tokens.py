"""Context cost: the `tools/list` answer in cl100k tokens, default toolsets and the full surface.

    python benchmarks/tokens.py [--record]

The answer is taken from the real server through the SDK's in-memory client and serialized as it travels
(`by_alias`, no nulls). Side by side, the same tools with pydantic's stock `model_json_schema()` (titles,
`anyOf` with null, `$defs`) show what the compact schema builder saves.

    python benchmarks/tokens.py

Budgets (tests/test_budget.py): default <= 3,500 tokens, all toolsets <= 14,000.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import anyio
import bpe_openai
from mcp import Client
from mcp.types import ListToolsResult

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import BENCH_API_KEY, print_figures
from figures import record

from keitaro_mcp.operations import OPERATIONS
from keitaro_mcp.server import build_server
from keitaro_mcp.settings import load_settings

BUDGETS = {"default": 3_500, "all": 14_000}
ENCODING = bpe_openai.get_encoding("cl100k_base")


def tokens(text: str) -> int:
    return len(ENCODING.encode(text))


async def tools_list(toolsets: str) -> ListToolsResult:
    settings = load_settings(
        {"KEITARO_URL": "https://tracker.example.com", "KEITARO_API_KEY": BENCH_API_KEY, "KEITARO_TOOLSETS": toolsets}
    )
    async with Client(build_server(settings)) as client:
        return await client.list_tools()


def stock_pydantic(result: ListToolsResult) -> str:
    """The same answer had each input schema been pydantic's own `model_json_schema()`."""
    by_name = {op.name: op for op in OPERATIONS}
    tools: list[Any] = []
    for tool in result.tools:
        stock = tool.model_copy(update={"input_schema": by_name[tool.name].params.model_json_schema()})
        tools.append(stock)
    return ListToolsResult(tools=tools).model_dump_json(by_alias=True, exclude_none=True, include={"tools"})


async def measure() -> tuple[dict[str, float], list[tuple[str, str]]]:
    """The figures to record (deterministic: `python -m keitaro_mcp.docs` re-records them) and the rows to print."""
    rows: list[tuple[str, str]] = []
    measured: dict[str, tuple[int, int]] = {}
    recorded: dict[str, float] = {}
    for toolsets in ("default", "all"):
        result = await tools_list(toolsets)
        ours = tokens(result.model_dump_json(by_alias=True, exclude_none=True, include={"tools"}))
        stock = tokens(stock_pydantic(result))
        count = len(result.tools)
        measured[toolsets] = (ours, count)
        recorded |= {
            f"{toolsets}_tools": count,
            f"{toolsets}_tokens": ours,
            f"{toolsets}_stock_ratio": round(ours / stock, 2),
        }
        budget = BUDGETS[toolsets]
        rows += [
            (f"{toolsets}: tools", str(count)),
            (f"{toolsets}: tools/list tokens", f"{ours:,} ({ours / count:.0f} per tool)"),
            (f"{toolsets}: ratio to budget {budget:,}", f"{ours / budget:.2f}"),
            (f"{toolsets}: stock pydantic schemas", f"{stock:,} tokens; ours / stock = {ours / stock:.2f}"),
        ]
    rows.append(("ratio default / all", f"{measured['default'][0] / measured['all'][0]:.2f}"))
    return recorded, rows


async def main() -> int:
    recorded, rows = await measure()
    print_figures("tools/list size in cl100k tokens (bpe-openai)", rows)
    record("tokens", recorded, enabled="--record" in sys.argv)
    return 0


if __name__ == "__main__":
    raise SystemExit(anyio.run(main))
