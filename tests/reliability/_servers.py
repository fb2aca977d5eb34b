"""Helpers for the reliability tests and benchmarks: real servers on loopback, MCP clients over HTTP.

Everything binds to 127.0.0.1 on a port the OS picks; nothing leaves the machine.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx2
import uvicorn
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

__all__ = ["free_socket", "http_client", "mcp_over_http", "serve_in_thread", "wait_http"]


def free_socket() -> socket.socket:
    """A listening socket on 127.0.0.1 with a port the OS chose (no race between picking and binding)."""
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted connections only for sockets that say they
    # are TCP; with proto 0, Nagle and the peer's delayed ACK add ~40 ms to every keep-alive response.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    return sock


@contextmanager
def serve_in_thread(app: Any, *, sock: socket.socket | None = None, dropping: bool = False) -> Iterator[str]:
    """Serve an ASGI app with uvicorn in a background thread; yields its base URL `http://127.0.0.1:<port>`.

    `dropping`: use the sandbox's h11 protocol that lets the app close a connection without answering (the
    sandbox's `drop` fault).
    """
    sock = sock or free_socket()
    port = sock.getsockname()[1]
    kwargs: dict[str, Any] = {}
    if dropping:
        from keitaro_mcp.sandbox.cli import _dropping_protocol

        kwargs["http"] = _dropping_protocol()
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="auto", timeout_graceful_shutdown=2, **kwargs
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def wait_http(url: str, timeout: float = 20.0) -> None:
    """Poll a URL until it answers (any status), or raise."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            httpx2.get(url, timeout=1.0)
            return
        except httpx2.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def http_client(token: str | None = None, **kwargs: Any) -> httpx2.AsyncClient:
    """The HTTP client an MCP client uses, with our bearer token."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30.0, read=60.0), **kwargs)


@asynccontextmanager
async def mcp_over_http(
    url: str, token: str | None = None, *, mode: str = "auto", **kwargs: Any
) -> AsyncIterator[Client]:
    """An MCP client speaking streamable HTTP to `url` (…/mcp); `kwargs` go to the HTTP client."""
    async with (
        http_client(token, **kwargs) as http,
        Client(streamable_http_client(url, http_client=http), raise_exceptions=True, mode=mode) as client,
    ):
        yield client
