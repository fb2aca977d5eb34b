"""Start the README's MCP client configurations as a client would, and list tools through each.

Every configuration block in README.md follows a `<!-- config: NAME -->` marker: a JSON block in the shape of Claude
Desktop / Cursor (`mcpServers`) or VS Code (`servers`), or a `claude mcp add ... -- COMMAND` line. This module
reads them and starts each with the MCP SDK's stdio client, replacing the README's placeholders with real paths:

    python scripts/readme_configs.py NAME [--clone DIR] [--venv DIR] [--wheel FILE]

tests/test_readme.py starts the blocks that need nothing but this checkout; scripts/check_package.sh starts the
ones that need a built wheel or uv. Only `tools/list` is asked for: no tool is called, so a block that names a
tracker such as tracker.example.com never reaches it (the server contacts the tracker on the first call only).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
CLONE = "/path/to/keitaro-mcp"
VENV = "/path/to/venv"
WHEEL = "/path/to/keitaro_mcp-VERSION-py3-none-any.whl"
_BLOCK = re.compile(r"<!-- config: ([\w-]+) -->\s*```(\w+)\n(.*?)```", re.S)
_INPUT = re.compile(r"\$\{input:[\w-]+\}")


@dataclass
class Launch:
    """How a client would start the server: command, arguments, environment."""

    name: str
    command: str
    args: list[str]
    env: dict[str, str] = field(default_factory=dict)


def blocks(text: str | None = None) -> dict[str, tuple[str, str]]:
    """Every marked configuration block: name -> (language, body)."""
    text = README.read_text(encoding="utf-8") if text is None else text
    found: dict[str, tuple[str, str]] = {}
    for match in _BLOCK.finditer(text):
        name, language, body = match.groups()
        if name in found:
            raise ValueError(f"two README blocks are marked config: {name}")
        found[name] = (language, body)
    return found


def launch(name: str, language: str, body: str) -> Launch:
    """The command a client would run for one block (placeholders still in place)."""
    if language == "json":
        doc = json.loads(body)
        servers = doc.get("mcpServers") or doc.get("servers")
        if not isinstance(servers, dict) or len(servers) != 1:
            raise ValueError(f"config {name}: expected one server under mcpServers or servers")
        (entry,) = servers.values()
        if entry.get("type", "stdio") != "stdio":
            raise ValueError(f"config {name}: only stdio servers can be started here")
        return Launch(name, entry["command"], list(entry.get("args", [])), dict(entry.get("env", {})))
    words = shlex.split(body.strip())
    if words[:3] != ["claude", "mcp", "add"] or "--" not in words:
        raise ValueError(f"config {name}: expected 'claude mcp add NAME [-e K=V]... -- COMMAND [ARGS]'")
    split = words.index("--")
    env: dict[str, str] = {}
    options = words[3:split]
    for i, word in enumerate(options):
        if word in ("-e", "--env"):
            key, _, value = options[i + 1].partition("=")
            env[key] = value
    return Launch(name, words[split + 1], words[split + 2 :], env)


def resolve(item: Launch, *, clone: Path = ROOT, venv: Path | None = None, wheel: Path | None = None) -> Launch:
    """Replace the README's placeholders with real paths, and VS Code's `${input:...}` with a dummy key."""

    def real(value: str) -> str:
        value = value.replace(CLONE, str(clone))
        if venv is not None:
            value = value.replace(VENV, str(venv))
        if wheel is not None:
            value = value.replace(WHEEL, str(wheel))
        return _INPUT.sub("readme-config-dummy-key", value)

    return Launch(item.name, real(item.command), [real(a) for a in item.args],
                  {k: real(v) for k, v in item.env.items()})  # fmt: skip


async def list_tools(item: Launch) -> list[str]:
    """Start the block's command over stdio with the SDK's client, as an MCP client would; the tool names."""
    from mcp import Client, StdioServerParameters

    # A client passes its own environment plus the block's env; a developer's KEITARO_* must not leak in.
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEITARO_")} | item.env
    params = StdioServerParameters(command=item.command, args=item.args, env=env)
    async with Client(params) as client:
        return [tool.name for tool in (await client.list_tools()).tools]


def main(argv: list[str] | None = None) -> int:
    import anyio

    parser = argparse.ArgumentParser(description="Start README configuration blocks and list their tools.")
    parser.add_argument("names", nargs="+", help="block names (after <!-- config: NAME -->)")
    parser.add_argument("--clone", type=Path, default=ROOT, help=f"replaces {CLONE}")
    parser.add_argument("--venv", type=Path, help=f"replaces {VENV}")
    parser.add_argument("--wheel", type=Path, help=f"replaces {WHEEL}")
    args = parser.parse_args(argv)
    found = blocks()
    for name in args.names:
        if name not in found:
            print(f"FAIL: README has no block marked config: {name}", file=sys.stderr)
            return 1
        item = resolve(launch(name, *found[name]), clone=args.clone, venv=args.venv, wheel=args.wheel)
        tools = anyio.run(list_tools, item)
        if "get_campaign" not in tools:
            print(f"FAIL: config {name}: {item.command} listed {len(tools)} tools, no get_campaign", file=sys.stderr)
            return 1
        print(f"ok: config {name}: {shlex.join([item.command, *item.args])} -> {len(tools)} tools")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
