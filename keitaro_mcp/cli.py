"""Command line: `keitaro-mcp` serves MCP over stdio; `tools`, `call`, `demo` and `sandbox` help people.

keitaro-mcp [serve]              serve over stdio (what MCP clients run), or --transport http
keitaro-mcp tools                table of the enabled tools
keitaro-mcp call TOOL '{json}'   run one tool through the MCP protocol in-process, print the envelope
keitaro-mcp demo                 spawn the server on the built-in sandbox tracker and show what it does
keitaro-mcp sandbox              serve the sandbox tracker over HTTP
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, NoReturn

from keitaro_mcp import __version__
from keitaro_mcp.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from keitaro_mcp.config import Team

__all__ = ["main"]

PROG = "keitaro-mcp"


class _Parser(argparse.ArgumentParser):
    """A mistyped option is one line on stderr and exit code 2, like every other start-up mistake (argparse's
    usage block would bury it in a client's MCP log); subcommands inherit the class."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {message} (see: {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="MCP server for the Keitaro tracker Admin API. Configured by KEITARO_* environment variables "
        "(KEITARO_URL, KEITARO_API_KEY, ...); KEITARO_URL=sandbox uses the built-in demo tracker.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _serve_options(parser, inherit=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = sub.add_parser("serve", help="serve MCP (the default)", description="Serve MCP over --transport.")
    _serve_options(serve, inherit=True)
    sub.add_parser("tools", help="list the enabled tools", description="Print a table of the enabled tools.")
    call = sub.add_parser(
        "call",
        help="run one tool and print its envelope",
        description="Run one tool through the MCP protocol in-process and print the envelope as JSON. "
        "Exit code 0 when success is true, 1 otherwise.",
    )
    call.add_argument("tool", help="tool name, e.g. get_campaign")
    call.add_argument(
        "arguments", nargs="?", default="{}", help="JSON object of arguments, e.g. '{\"campaign_id\": 1}'"
    )
    sub.add_parser(
        "demo",
        help="try the server on the built-in sandbox tracker",
        description="Start the MCP server over stdio against the sandbox tracker, connect with the SDK's client, "
        "list the tools and run a few representative calls.",
    )
    sub.add_parser(
        "sandbox", help="serve the sandbox tracker over HTTP (see: keitaro-mcp sandbox --help)", add_help=False
    )
    return parser


def _serve_options(parser: argparse.ArgumentParser, *, inherit: bool) -> None:
    """--transport, --host, --port: on the bare command and on `serve` alike (`serve` keeps what came before it)."""

    def default(value: object) -> object:
        return argparse.SUPPRESS if inherit else value

    parser.add_argument(
        "--transport", choices=["stdio", "http"], default=default("stdio"), help="MCP transport (stdio)"
    )
    parser.add_argument("--host", default=default("127.0.0.1"), help="HTTP bind address (127.0.0.1)")
    parser.add_argument("--port", type=int, default=default(8000), help="HTTP port (8000; 0 picks a free one)")


def _fail(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return 2


def _configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.DEBUG if settings.debug else logging.WARNING,
        format="%(name)s: %(levelname)s: %(message)s",
    )
    # httpx logs every request URL at INFO; URLs never carry the key, but keep the noise off stdio's stderr too.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(list(sys.argv[1:] if argv is None else argv))
    except BrokenPipeError:  # the reader went away mid-output (`keitaro-mcp demo | head`)
        _drop_stdout()
        return 1


def _main(args_list: list[str]) -> int:
    if args_list[:1] == ["sandbox"]:
        from keitaro_mcp.sandbox.cli import main as sandbox_main

        code: int = sandbox_main(args_list[1:])
        return code
    parser = _parser()
    args = parser.parse_args(args_list)
    if args.command == "demo":
        from keitaro_mcp.demo import run_demo

        return run_demo()
    try:
        settings = load_settings()
        team = _load_team(settings)
    except SettingsError as exc:
        return _fail(str(exc))
    if team is not None:
        # The file configures the trackers: what the environment says of KEITARO_URL no longer matters.
        settings = replace(settings, config_problem=None)
    _configure_logging(settings)
    if args.command == "tools":
        return _print_tools(settings)
    if args.command == "call":
        return _call(settings, team, args.tool, args.arguments)
    if args.transport == "http":
        return _serve_http(settings, team, args.host, args.port)
    return _serve_stdio(settings, team)


def _load_team(settings: Settings) -> Team | None:
    """The configuration file's team (KEITARO_CONFIG), or None without one; raises ConfigError (one line)."""
    from keitaro_mcp.config import CONFIG_ENV, load_team

    return load_team(settings) if os.environ.get(CONFIG_ENV, "").strip() else None


def _serve_http(settings: Settings, team: Team | None, host: str, port: int) -> int:
    from keitaro_mcp.http import serve_http

    def announce(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    try:
        # An unsafe bind, a busy port or a bad address is refused before anything else is said: one line, exit 2.
        return serve_http(settings, team=team, host=host, port=port, announce=announce, before_start=_warn_config)
    except SettingsError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:  # uvicorn shut down cleanly, then re-raised the signal
        return 0


def _serve_stdio(settings: Settings, team: Team | None) -> int:
    import anyio

    _warn_config(settings)
    if sys.stdin.isatty():
        # A person started it by hand; an MCP client would have connected pipes. Say what is going on.
        print(
            f"{PROG}: serving MCP over stdio, waiting for an MCP client on stdin (Ctrl-C stops); "
            f"to see it work, run: {PROG} demo",
            file=sys.stderr,
            flush=True,
        )
    from keitaro_mcp.server import build_server

    server = build_server(settings, team=team)

    async def serve_stdio() -> None:
        from mcp.server.stdio import stdio_server

        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())

    try:
        anyio.run(serve_stdio)
    except KeyboardInterrupt:
        return 0
    return 0


def _emit(text: str) -> None:
    """Write to stdout now; when the reader has gone (`keitaro-mcp call ... | head`), stop writing quietly."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        _drop_stdout()


def _drop_stdout() -> None:
    # Point stdout at devnull so nothing written later, nor the interpreter's last flush, raises again.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _warn_config(settings: Settings) -> None:
    if settings.config_problem:
        print(
            f"{PROG}: warning: {settings.config_problem}; tool calls will answer with a config error", file=sys.stderr
        )


def _print_tools(settings: Settings) -> int:
    # From the generated tool index: no operation module nor the SDK is imported (benchmarks/cli_bench.py).
    from keitaro_mcp.tool_index import load_cards

    cards = [c for c in load_cards() if c.toolset in settings.toolsets and not (settings.read_only and c.writes)]
    rows = [("TOOL", "TOOLSET", "ACCESS", "HINTS")]
    for card in cards:
        flags = (
            ("destructive", card.destructive),
            ("confirmed", card.confirmed),
            ("idempotent", card.idempotent and not card.read_only),
        )
        hints = ",".join(h for h, on in flags if on)
        access = "read" if card.read_only else "export" if not card.writes else "write"
        rows.append((card.name, card.toolset, access, hints or "-"))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3] for row in rows]
    mode = " (read-only mode)" if settings.read_only else ""
    lines.append(f"\n{len(cards)} tools in toolsets: {', '.join(sorted(settings.toolsets))}{mode}")
    _emit("\n".join(lines) + "\n")
    return 0


def _call(settings: Settings, team: Team | None, tool: str, raw: str) -> int:
    try:
        arguments = json.loads(raw)
    except ValueError as exc:
        return _fail(f"arguments are not JSON ({exc}); pass an object such as '{{\"campaign_id\": 1}}'")
    if not isinstance(arguments, dict):
        return _fail("arguments must be a JSON object such as '{\"campaign_id\": 1}'")
    import anyio
    from mcp import Client
    from mcp.shared.exceptions import MCPError

    from keitaro_mcp.server import build_server

    async def run() -> tuple[int, Any]:
        async with Client(build_server(settings, team=team)) as client:
            result = await client.call_tool(tool, arguments)
            return (1 if result.is_error else 0), result.structured_content

    try:
        code, envelope = anyio.run(run)
    except (MCPError, BaseExceptionGroup) as exc:
        protocol_error = _find_mcp_error(exc)
        if protocol_error is None:
            raise
        return _fail(protocol_error.error.message)
    _emit(json.dumps(envelope, ensure_ascii=False, indent=2) + "\n")
    return code


def _find_mcp_error(exc: BaseException) -> Any:
    """The protocol error inside the task-group wrappers the in-memory client raises it through, if any."""
    from mcp.shared.exceptions import MCPError

    if isinstance(exc, MCPError):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            found = _find_mcp_error(inner)
            if found is not None:
                return found
    return None
