"""The HTTP transport survives slow and idle clients: idle and slow connections are closed, connections are capped
(an idle flood gives way to real requests), running out of file descriptors is one line a minute, and `GET /mcp`
on the stateless server answers 405 at once.

The protocol tests run uvicorn with the transport's own options (`uvicorn_options`) on 127.0.0.1 in a thread, in
front of a tiny ASGI app; the flood test runs the real `keitaro-mcp --transport http` with few file descriptors.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import resource
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import uvicorn

from keitaro_mcp.http import build_http_app
from keitaro_mcp.http_limits import ConnectionLimits, quiet_resource_errors, uvicorn_options
from tests.conftest import make_settings
from tests.reliability._servers import free_socket, serve_in_thread

FAST = ConnectionLimits(max_connections=8, head_timeout=0.5, body_timeout=0.5, keep_alive=0.5)


async def tiny_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Reads the whole body, then answers 200 (after a second on /slow)."""
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False) and message["type"] == "http.request"
    if scope["path"] == "/slow":
        await asyncio.sleep(1.0)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


@contextmanager
def serving(limits: ConnectionLimits) -> Iterator[int]:
    sock = free_socket()
    config = uvicorn.Config(tiny_app, log_level="warning", lifespan="off", **uvicorn_options(limits))
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def closed_after(conn: socket.socket, limit: float) -> float | None:
    """Seconds until the server closed `conn` (None if still open after `limit`)."""
    started = time.monotonic()
    conn.settimeout(limit)
    try:
        while conn.recv(4096):
            pass
    except TimeoutError:
        return None
    return time.monotonic() - started


def test_an_idle_connection_is_closed() -> None:
    with serving(FAST) as port, socket.create_connection(("127.0.0.1", port)) as conn:
        waited = closed_after(conn, 5)
        assert waited is not None and waited < 2


def test_a_head_sent_a_byte_at_a_time_is_closed_at_its_deadline() -> None:
    head = b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100
    with serving(FAST) as port, socket.create_connection(("127.0.0.1", port)) as conn:
        started = time.monotonic()
        try:
            for byte in head:  # one byte every 0.05 s: each would restart a per-read timer
                conn.send(bytes([byte]))
                time.sleep(0.05)
        except (BrokenPipeError, ConnectionResetError):
            pass
        waited = closed_after(conn, 5)
        assert waited is not None and time.monotonic() - started < 2.5


def test_a_body_that_never_comes_is_closed() -> None:
    with serving(FAST) as port, socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly part")
        waited = closed_after(conn, 5)
        assert waited is not None and waited < 2


def test_an_idle_flood_gives_way_to_real_requests() -> None:
    with serving(FAST) as port:
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(30)]
        try:
            time.sleep(0.1)
            answer = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
            assert answer.status_code == 200
            still_open = 0
            for conn in idle:
                conn.setblocking(False)
                try:
                    still_open += conn.recv(1) != b""
                except BlockingIOError:
                    still_open += 1
            assert still_open <= FAST.max_connections
        finally:
            for conn in idle:
                conn.close()


def test_when_every_connection_is_busy_a_newcomer_gets_503() -> None:
    with serving(FAST) as port:
        busy = []
        for _ in range(FAST.max_connections):
            conn = socket.create_connection(("127.0.0.1", port))
            conn.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
            busy.append(conn)
        time.sleep(0.2)
        try:
            answer = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
            assert answer.status_code == 503 and answer.headers["retry-after"] == "1"
            assert all(conn.recv(1024).startswith(b"HTTP/1.1 200") for conn in busy)  # the busy ones are served
        finally:
            for conn in busy:
                conn.close()


def test_running_out_of_descriptors_is_one_line_a_minute(caplog: pytest.LogCaptureFixture) -> None:
    loop = asyncio.new_event_loop()
    others: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: others.append(context))
    quiet_resource_errors(loop)
    try:
        with caplog.at_level(logging.WARNING, logger="keitaro_mcp.http"):
            for _ in range(100):  # what asyncio's accept loop reports, once a second, while descriptors lack
                error = OSError(24, "Too many open files")
                loop.call_exception_handler({"message": "socket.accept() out of system resource", "exception": error})
        records = [r for r in caplog.records if r.name == "keitaro_mcp.http"]
        assert len(records) == 1 and records[0].exc_info is None and "Too many open files" in records[0].message
        loop.call_exception_handler({"message": "something else", "exception": ValueError("x")})
        assert len(others) == 1  # anything else still reaches the loop's handler
    finally:
        loop.close()


def test_get_mcp_answers_405_at_once() -> None:
    """Was: the stateless server held `GET /mcp` open, streaming nothing, until the client gave up."""
    sock = free_socket()
    port = sock.getsockname()[1]
    app = build_http_app(make_settings(KEITARO_URL="sandbox"), host="127.0.0.1", port=port, allowed_hosts=[])
    with serve_in_thread(app, sock=sock) as url:
        answer = httpx.get(f"{url}/mcp", headers={"Accept": "text/event-stream"}, timeout=5)
    assert answer.status_code == 405 and answer.headers["allow"] == "POST"


@pytest.mark.slow  # a real server process
def test_an_idle_flood_on_the_real_server_leaves_calls_served_and_the_log_quiet() -> None:
    """Was: 300 idle connections made real calls and /healthz time out and wrote megabytes of tracebacks."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEITARO_")} | {"KEITARO_URL": "sandbox"}

    def few_descriptors() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))

    server = subprocess.Popen(
        [sys.executable, "-m", "keitaro_mcp", "--transport", "http", "--port", "0"],
        env=env, stderr=subprocess.PIPE, preexec_fn=few_descriptors,
    )  # fmt: skip
    assert server.stderr is not None
    try:
        ready = server.stderr.readline().decode()
        found = re.search(r"127\.0\.0\.1:(\d+)", ready)
        assert found, ready
        base = f"http://127.0.0.1:{found.group(1)}"
        idle = [socket.create_connection(("127.0.0.1", int(found.group(1)))) for _ in range(300)]
        time.sleep(1)
        assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200
        call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                "params": {"name": "list_campaigns", "arguments": {"limit": 1}}}  # fmt: skip
        headers = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25"}
        answer = httpx.post(f"{base}/mcp", json=call, headers=headers, timeout=10)
        assert answer.status_code == 200 and answer.json()["result"]["structuredContent"]["success"]
        time.sleep(2)  # long enough for asyncio's accept loop to log twice, had it run out
        for conn in idle:
            conn.close()
    finally:
        server.terminate()
        log = server.communicate(timeout=30)[1]
    assert b"Traceback" not in log and len(log) < 2_000, log[:500]
