"""Helpers shared by the benchmark scripts: raw JSON-RPC over a child's pipes, timing, ports, the sandbox.

Everything runs on this machine: child processes talk over pipes, HTTP goes to 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LEGACY_PROTOCOL = "2025-11-25"
BENCH_API_KEY = "bench-api-key-0c5e"


def clean_env(**extra: str) -> dict[str, str]:
    """The current environment without KEITARO_* (so a developer's tracker is never used), plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEITARO_")}
    env["PYTHONUNBUFFERED"] = "1"
    # Installed packages start from bytecode (pip compiles it); let the children cache ours too, as a wheel would.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class StdioPeer:
    """A child process spoken to with newline-delimited JSON-RPC on its stdin/stdout (the MCP stdio transport)."""

    def __init__(self, argv: Sequence[str], env: Mapping[str, str]) -> None:
        self._err = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the child; closed in close())
        self.proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._err,
            env=dict(env),
            cwd=ROOT,
            bufsize=0,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._in = self.proc.stdin
        self._out = self.proc.stdout
        self._next_id = 0

    def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        self._in.write(json.dumps(message).encode() + b"\n")

    def request(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send a request and read lines until its answer; return the `result` (raise on a JSON-RPC error)."""
        self._next_id += 1
        ident = self._next_id
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": ident, "method": method}
        if params is not None:
            message["params"] = params
        self._in.write(json.dumps(message).encode() + b"\n")
        while True:
            line = self._out.readline()
            if not line:
                self.proc.wait(timeout=5)
                raise RuntimeError(
                    f"the server closed stdout before answering {method} (exit {self.proc.returncode}):\n"
                    + self.stderr_tail()
                )
            answer = json.loads(line)
            if answer.get("id") != ident:
                continue  # a notification or a log line
            if "error" in answer:
                raise RuntimeError(f"{method} failed: {answer['error']}")
            result: dict[str, Any] = answer["result"]
            return result

    def initialize(self) -> dict[str, Any]:
        """The legacy handshake every MCP client in use today sends first."""
        result = self.request(
            "initialize",
            {
                "protocolVersion": LEGACY_PROTOCOL,
                "capabilities": {},
                "clientInfo": {"name": "keitaro-mcp-bench", "version": "0"},
            },
        )
        self.notify("notifications/initialized")
        return result

    def stderr_tail(self, limit: int = 3000) -> str:
        self._err.seek(0)
        return self._err.read().decode(errors="replace")[-limit:]

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._in.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        with contextlib.suppress(OSError):
            self._out.close()
        self._err.close()

    def __enter__(self) -> StdioPeer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def interleave(sides: Mapping[str, Callable[[], float]], rounds: int) -> dict[str, list[float]]:
    """Run each side once per round, alternating the order every round (A B, B A, ...), so load hits both alike."""
    names = list(sides)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for i in range(rounds):
        order = names if i % 2 == 0 else names[::-1]
        for name in order:
            samples[name].append(sides[name]())
    return samples


def median_ms(values: Sequence[float]) -> float:
    return statistics.median(values) * 1000


def spread_ms(values: Sequence[float]) -> str:
    """Quartiles in milliseconds, to show how noisy the machine was."""
    q = statistics.quantiles(values, n=4) if len(values) >= 2 else [values[0]] * 3
    return f"p25 {q[0] * 1000:.1f} / p75 {q[2] * 1000:.1f} ms"


def print_figures(title: str, rows: Sequence[tuple[str, str]]) -> None:
    """The figures, last in the output, as aligned `name: value` lines (the README table copies them)."""
    print(f"\n== {title} ==")
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name.ljust(width)}  {value}")


@contextlib.contextmanager
def sandbox_http(port: int | None = None, clicks: int = 2_000) -> Iterator[str]:
    """`keitaro-mcp sandbox` (uvicorn) in a child process on 127.0.0.1; yields its tracker URL."""
    port = port or free_port()
    argv = [sys.executable, "-m", "keitaro_mcp", "sandbox", "--port", str(port), "--clicks", str(clicks)]
    argv += ["--api-key", BENCH_API_KEY]
    proc = subprocess.Popen(argv, env=clean_env(), cwd=ROOT, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/admin_api/v1/campaigns", proc, headers={"Api-Key": BENCH_API_KEY})
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_http(
    url: str, proc: subprocess.Popen[Any], headers: Mapping[str, str] | None = None, timeout: float = 60
) -> None:
    """Poll `url` until it answers (any status), or fail when the child exits or time runs out."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server process exited with {proc.returncode} before answering {url}")
        try:
            httpx.get(url, headers=dict(headers or {}), timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")
