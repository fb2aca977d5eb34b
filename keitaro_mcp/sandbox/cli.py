"""``keitaro-mcp sandbox``: serve the simulated tracker with uvicorn.

Errors in the invocation (bad option, unknown --db directory, busy port) print one line on
stderr and exit with status 2, never a traceback.

As people run it: the API key can come from ``KEITARO_SANDBOX_API_KEY`` (an option shows in ``ps``; a key
not the public demo one is never printed), the postback key is random for each start unless
``--postback-key`` or ``KEITARO_SANDBOX_POSTBACK_KEY`` gives one, and a ``--host`` beyond loopback
warns: anyone who reaches it and knows the key (the demo key is public) reads and changes its data.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
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
    p.add_argument(
        "--api-key", default=None,
        help=f"API key clients must send (default: ${API_KEY_ENV}, else the public demo key {DEMO_API_KEY})",
    )  # fmt: skip
    p.add_argument(
        "--postback-key", default=None,
        help=f"the tracker's postback key (default: ${POSTBACK_KEY_ENV}, else a new random one each start)",
    )  # fmt: skip
    return p


API_KEY_ENV = "KEITARO_SANDBOX_API_KEY"
POSTBACK_KEY_ENV = "KEITARO_SANDBOX_POSTBACK_KEY"


def exposure_warning(host: str, api_key: str) -> str | None:
    """What to say when the sandbox listens beyond loopback, or None on loopback."""
    from keitaro_mcp.http import is_loopback

    if is_loopback(host.strip("[]")):
        return None
    who = "anyone" if api_key == DEMO_API_KEY else "anyone who knows the API key"
    demo = f" (the demo key {DEMO_API_KEY} and the demo users' keys are public)" if api_key == DEMO_API_KEY else ""
    return (
        f"{PROG}: warning: listening on {host}, beyond this machine: {who} who can reach it reads and changes its "
        f"data{demo}; use --host 127.0.0.1 unless others must reach it"
    )


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
    if args.api_key is None:
        args.api_key = os.environ.get(API_KEY_ENV, "").strip() or DEMO_API_KEY
    if not args.api_key:
        return _fail("--api-key must not be empty")
    if args.postback_key is None:
        args.postback_key = os.environ.get(POSTBACK_KEY_ENV, "").strip() or secrets.token_hex(8)
    if not re.fullmatch(r"[A-Za-z0-9_-]{7,64}", args.postback_key):
        return _fail("--postback-key must be 7 to 64 letters, digits, '_' or '-' (it goes in the postback URL)")
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
        sandbox = Sandbox(
            seed=args.seed, clicks=args.clicks, db=args.db, api_key=args.api_key, postback_key=args.postback_key,
            user_keys=user_keys,
        )  # fmt: skip
        sandbox.ensure_seeded()
    except Exception as exc:  # e.g. an unreadable or corrupt --db file
        sock.close()
        return _fail(f"cannot open the sandbox database: {exc}")
    return _serve(sandbox, sock, args.api_key)


def _serve(sandbox: Sandbox, sock: socket.socket, api_key: str) -> int:
    import uvicorn

    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in str(host) else host
    # The sandbox's own demo keys: printing them is the point (clients must be configured with them). A key of
    # the person's own stays out of the output (logs keep stderr).
    shown_key = api_key if api_key == DEMO_API_KEY else "the one given"
    users = "".join(f"; {login}: {key}" for key, login in sandbox.user_keys.items())
    warning = exposure_warning(str(host), api_key)
    if warning is not None:
        print(warning, file=sys.stderr, flush=True)
    print(
        f"Keitaro sandbox on http://{shown}:{port}/admin_api/v1 (Api-Key: {shown_key}{users}; "
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
