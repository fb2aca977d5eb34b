"""`keitaro-mcp demo`: the server on the built-in sandbox tracker, driven by the SDK's own stdio client."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import anyio

__all__ = ["run_demo"]


def _records(data: Any) -> list[dict[str, Any]]:
    """A result's `{columns, rows}` (reports, logs and lists answer so) as one object per row."""
    return [dict(zip(data["columns"], row, strict=True)) for row in data["rows"]]


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
        failed = 0

        async def call(tool: str, arguments: dict[str, Any]) -> Any:
            nonlocal failed
            result = await client.call_tool(tool, arguments)
            envelope: Any = result.structured_content
            print(f"\n{tool} {json.dumps(arguments)}")
            if result.is_error:
                failed += 1
                print(f"  failed: {envelope['error']['kind']}: {envelope['error']['message']}")
            return envelope

        campaigns = await call("list_campaigns", {"limit": 8})
        if campaigns["success"]:
            print(_table(_records(campaigns["data"]), ["id", "name", "state", "cost_type"]))
        measures = ["clicks", "conversions", "revenue", "cost", "profit", "roi"]
        report = await call("build_report", {"period": "last_7_days", "dimensions": ["campaign_id", "campaign"],
                                             "measures": measures})  # fmt: skip
        if report["success"]:
            data = report["data"]
            rows = _records(data)
            print(f"range sent: {json.dumps(report['meta']['range'])}")
            print(_table(rows, data["columns"]))
            print("total: " + ", ".join(f"{m} {data.get('summary', {}).get(m)}" for m in measures))
            if rows:
                top = rows[0]["campaign_id"]
                clicks = await call("list_clicks", {"campaign_id": top, "limit": 5})
                if clicks["success"]:
                    columns = ["datetime", "sub_id", "country_code", "is_bot", "cost", "revenue"]
                    print(_table(_records(clicks["data"]), [c for c in columns if c in clicks["data"]["columns"]]))
    return 1 if failed else 0


def run_demo() -> int:
    """Run the demo; exit code 0 when every call succeeded."""
    return anyio.run(_demo)
