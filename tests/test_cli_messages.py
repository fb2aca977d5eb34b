"""What the command says when a person runs it: ready lines, one-line refusals with exit 2, quiet pipes.

Every process here is a real `python -m keitaro_mcp` child; HTTP goes to 127.0.0.1 only.
"""

from __future__ import annotations

import os
import re
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.reliability._servers import mcp_over_http

pytestmark = [pytest.mark.anyio, pytest.mark.slow]  # every test starts a process

READY = re.compile(r"^keitaro-mcp: ready: MCP over streamable HTTP at (http://\S+/mcp); auth: (.+?); tracker: (\S+);")


def clean_env(**extra: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("KEITARO_")} | extra


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "keitaro_mcp", *args],
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def read_line(stream: int, deadline: float) -> str:
    """One line from a raw fd, or fail at the deadline (the server must say it is ready)."""
    buffer = b""
    while not buffer.endswith(b"\n"):
        left = deadline - time.monotonic()
        assert left > 0, f"no complete line within the time limit; got {buffer!r}"
        ready, _, _ = select.select([stream], [], [], left)
        if ready:
            chunk = os.read(stream, 1)
            assert chunk, f"the stream closed after {buffer!r}"
            buffer += chunk
    return buffer.decode()


@contextmanager
def http_server(*args: str, **env: str) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`keitaro-mcp <args>` in a child; yields it and its first stderr line (the ready line)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "keitaro_mcp", *args],
        env=clean_env(**env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None
    try:
        yield proc, read_line(proc.stderr.fileno(), time.monotonic() + 60)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()
            proc.wait()
        proc.stderr.close()


@pytest.mark.parametrize(
    "argv",
    [("serve", "--transport", "http", "--port", "0"), ("--transport", "http", "--port", "0")],
    ids=["serve-subcommand", "bare-command"],
)
async def test_http_says_where_it_listens_and_serves_there(argv: tuple[str, ...]) -> None:
    with http_server(*argv, KEITARO_URL="sandbox") as (proc, line):
        match = READY.match(line)
        assert match, line
        url, auth, tracker = match.groups()
        assert auth == "none (loopback only)" and tracker == "sandbox"
        assert url.startswith("http://127.0.0.1:") and not url.startswith("http://127.0.0.1:0/")
        async with mcp_over_http(url) as client:
            result = await client.call_tool("get_campaign", {"campaign_id": 1})
        assert result.structured_content is not None and result.structured_content["success"]
        proc.send_signal(signal.SIGINT)
        assert proc.wait(15) == 0


def test_http_with_a_token_says_so() -> None:
    with http_server("--transport", "http", "--port", "0", KEITARO_URL="sandbox", KEITARO_MCP_TOKEN="t" * 32) as (
        _,
        line,
    ):
        match = READY.match(line)
        assert match and match.group(2) == "bearer token (KEITARO_MCP_TOKEN)", line
        assert "t" * 32 not in line


def test_a_busy_port_is_one_line_and_exit_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run("serve", "--transport", "http", "--port", str(port), KEITARO_URL="sandbox")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"keitaro-mcp: error: cannot serve HTTP on 127.0.0.1:{port}: the port is in use (another server is running "
        "there); choose another with --port"
    ]


@pytest.mark.parametrize(
    ("argv", "env", "fragment"),
    [
        (("--port", "70000"), {}, "--port 70000 is not a TCP port"),
        # ::2 is no address of this machine (binding sends nothing anywhere): unavailable, or no IPv6 at all.
        (("--host", "::2", "--port", "0"), {"KEITARO_MCP_TOKEN": "t" * 32}, "cannot serve HTTP on [::2]:0: "),
        (("--host", "0.0.0.0", "--port", "0"), {"KEITARO_MCP_TOKEN": "t" * 32}, "needs KEITARO_MCP_ALLOWED_HOSTS"),
        (("--host", "0.0.0.0", "--port", "0"), {}, "refusing to serve HTTP on 0.0.0.0 without KEITARO_MCP_TOKEN"),
    ],
    ids=["port-out-of-range", "address-not-here", "wildcard-without-hosts", "beyond-loopback-without-token"],
)
def test_a_bad_bind_is_one_line_and_exit_2(argv: tuple[str, ...], env: dict[str, str], fragment: str) -> None:
    done = run("--transport", "http", *argv, KEITARO_URL="sandbox", **env)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("keitaro-mcp: error: ") and fragment in lines[0], lines


def test_a_terminal_start_on_stdio_says_it_waits_for_a_client() -> None:
    controller, terminal = os.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "keitaro_mcp"],
        env=clean_env(KEITARO_URL="sandbox"),
        stdin=terminal,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    os.close(terminal)
    assert proc.stderr is not None
    try:
        line = read_line(proc.stderr.fileno(), time.monotonic() + 60)
        assert line == (
            "keitaro-mcp: serving MCP over stdio, waiting for an MCP client on stdin (Ctrl-C stops); "
            "to see it work, run: keitaro-mcp demo\n"
        )
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()
            proc.wait()
        proc.stderr.close()
        os.close(controller)


def test_a_client_start_on_stdio_says_nothing() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "keitaro_mcp"],
        env=clean_env(KEITARO_URL="sandbox"),
        input="",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0 and done.stderr == "" and done.stdout == ""


@pytest.mark.parametrize(
    "argv",
    [("call", "list_campaigns", '{"limit": 50}'), ("tools",)],
    ids=["call", "tools"],
)
def test_output_into_a_closed_pipe_ends_quietly(argv: tuple[str, ...]) -> None:
    """`keitaro-mcp call ... | head`: the reader leaves early; no BrokenPipeError traceback."""
    reader, writer = os.pipe()
    os.close(reader)  # the reader has gone before anything was written: every write fails with EPIPE
    try:
        done = subprocess.run(
            [sys.executable, "-m", "keitaro_mcp", *argv],
            env=clean_env(KEITARO_URL="sandbox", KEITARO_TOOLSETS="all"),
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(writer)
    assert done.stderr == ""
    assert done.returncode == 0


def test_tools_reads_the_index_without_importing_operations_or_the_sdk() -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "keitaro_mcp", "tools"],
        env=clean_env(KEITARO_TOOLSETS="all"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0
    assert re.search(r"^get_campaign +campaigns +read +-$", done.stdout, re.M), done.stdout
    assert re.search(r"^\d+ tools in toolsets: affiliate_networks, ", done.stdout, re.M), done.stdout
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time")}
    assert "keitaro_mcp.tool_index" in imported
    heavy = sorted(
        m for m in imported if m.startswith(("keitaro_mcp.operations", "keitaro_mcp.server", "mcp", "pydantic"))
    )
    assert heavy == [], heavy
