"""``keitaro-mcp sandbox``: serve the simulated tracker with uvicorn.

Errors in the invocation (bad option, unknown --db directory, busy port) print one line on
stderr and exit with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
from typing import Any, NoReturn

from keitaro_mcp.sandbox import DEMO_API_KEY, DEMO_USER_KEYS, Sandbox

PROG = "keitaro-mcp sandbox"


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, description="Serve a simulated Keitaro tracker (Admin API + postbacks) over SQLite.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 picks a free one)")
    p.add_argument("--seed", type=int, default=42, help="seed of the demo data (default 42)")
    p.add_argument("--clicks", type=int, default=20_000, help="clicks to generate (default 20000)")
    p.add_argument("--db", default=None, help="SQLite file (default: in memory); an existing file is reused")
    p.add_argument("--api-key", default=DEMO_API_KEY, help="API key clients must send")
    return p


def _fail(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return 2


def _dropping_protocol() -> type[asyncio.Protocol]:
    """uvicorn's h11 protocol, extended so the app can close the connection without answering
    (the ``drop`` fault): the transport's ``close`` is handed over in the ASGI scope."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class DroppingH11Protocol(H11Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)  # type: ignore[arg-type]
            inner = self.app

            async def app(scope: Any, receive: Any, send: Any) -> None:
                scope.setdefault("extensions", {})["sandbox.close"] = transport.close
                await inner(scope, receive, send)

            self.app = app

    return DroppingH11Protocol


def main(argv: list[str]) -> int:
    try:
        args = _parser().parse_args(argv)
    except UsageError as exc:
        return _fail(str(exc))
    if not 0 <= args.port <= 65535:
        return _fail(f"--port must be between 0 and 65535, got {args.port}")
    if args.clicks < 0 or args.clicks > 20_000_000:
        return _fail(f"--clicks must be between 0 and 20000000, got {args.clicks}")
    if not args.api_key:
        return _fail("--api-key must not be empty")
    if args.db is not None:
        directory = os.path.dirname(os.path.abspath(args.db))
        if not os.path.isdir(directory):
            return _fail(f"--db directory does not exist: {directory}")
        if os.path.isdir(args.db):
            return _fail(f"--db is a directory, expected a file: {args.db}")
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    # proto=IPPROTO_TCP, not 0: asyncio only sets TCP_NODELAY on accepted sockets of a TCP-proto
    # listener, and without it every keep-alive response waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((args.host, args.port))
        sock.listen(128)
    except (OSError, OverflowError) as exc:
        sock.close()
        return _fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror if isinstance(exc, OSError) else exc}")
    try:
        # The users' demo keys are public: a tracker started with its own --api-key has none.
        user_keys = DEMO_USER_KEYS if args.api_key == DEMO_API_KEY else {}
        sandbox = Sandbox(seed=args.seed, clicks=args.clicks, db=args.db, api_key=args.api_key, user_keys=user_keys)
        sandbox.ensure_seeded()
    except Exception as exc:  # e.g. an unreadable or corrupt --db file
        sock.close()
        return _fail(f"cannot open the sandbox database: {exc}")
    return _serve(sandbox, sock, args.api_key)


def _serve(sandbox: Sandbox, sock: socket.socket, api_key: str) -> int:
    import uvicorn

    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in str(host) else host
    # The sandbox's own demo keys: printing them is the point (clients must be configured with them).
    users = "".join(f"; {login}: {key}" for key, login in sandbox.user_keys.items())
    print(
        f"Keitaro sandbox on http://{shown}:{port}/admin_api/v1 (Api-Key: {api_key}{users}; "
        f"postbacks: http://{shown}:{port}/{sandbox.postback_key}/postback)",
        file=sys.stderr,
        flush=True,
    )
    config = uvicorn.Config(
        sandbox.app, log_level="warning", lifespan="off", http=_dropping_protocol(), access_log=False
    )
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
        sandbox.close()
    return 0
