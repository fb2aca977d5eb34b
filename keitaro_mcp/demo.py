"""`keitaro-mcp demo`: the server on the built-in sandbox tracker, driven by the SDK's own stdio client."""

from __future__ import annotations

import os
import sys
from typing import Any

import anyio

__all__ = ["run_demo"]


def _table(rows: list[dict[str, Any]], columns: list[str], limit: int = 10) -> str:
    shown = rows[:limit]
    cells = [[str(r.get(c, "")) for c in columns] for r in shown]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(widths[i]) for i, c in enumerate(columns))]
    lines += ["  ".join(v.ljust(widths[i]) for i, v in enumerate(row)) for row in cells]
    if len(rows) > limit:
        lines.append(f"... {len(rows) - limit} more")
    return "\n".join(lines)


async def _demo() -> int:
    from mcp import Client, StdioServerParameters

    env = {k: v for k, v in os.environ.items() if not k.startswith("KEITARO_")}
    env["KEITARO_URL"] = "sandbox"
    params = StdioServerParameters(command=sys.executable, args=["-m", "keitaro_mcp"], env=env)
    async with Client(params) as client:
        tools = (await client.list_tools()).tools
        print(f"Connected over stdio to keitaro-mcp on the sandbox tracker: {len(tools)} tools")
        print(", ".join(t.name for t in tools))
        result = await client.call_tool("list_campaigns", {"limit": 8})
        envelope: Any = result.structured_content
        print('\nlist_campaigns {"limit": 8}')
        print(_table(envelope["data"] or [], ["id", "name", "state", "cost_type"]))
    return 0


def run_demo() -> int:
    """Run the demo; exit code 0 when every call succeeded."""
    return anyio.run(_demo)
