"""Load: 100 concurrent clients over streamable HTTP against keitaro-mcp, vs the same calls on the tracker directly.

Processes, all on 127.0.0.1 with ports the OS picks:

* the sandbox tracker (keitaro_mcp.sandbox under uvicorn);
* our server: `keitaro-mcp --transport http` with a bearer token, pointed at the sandbox;
* this script: the load generator (asyncio + httpx).

Phase "direct": N workers loop `GET /admin_api/v1/campaigns/{id}` on the sandbox. Phase "mcp": N workers loop
`tools/call get_campaign` as JSON-RPC POSTs to /mcp (stateless streamable HTTP, JSON responses, bearer token).
Each phase has a short warm-up, then runs for --duration seconds; a call counts as an error unless it answers
200 with a successful envelope. Prints throughput, p50/p99 latency and errors per phase and the ratio.

    python benchmarks/load_bench.py [--clients 100] [--duration 15] [--record]

Targets: 0 errors; MCP throughput >= 70% of direct in the same run. Total time stays under 60 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from figures import add_record_flag, record

ROOT = Path(__file__).resolve().parent.parent

API_KEY = "load-bench-key-2b9f"
SANDBOX_SERVER = """
import os, sys, uvicorn
from keitaro_mcp.sandbox import Sandbox
box = Sandbox(seed=42, clicks=2000, api_key=os.environ["LOAD_BENCH_API_KEY"])
box.ensure_seeded()
uvicorn.run(box.app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
"""
"""The sandbox under uvicorn bound by host/port: uvicorn then gets TCP sockets with TCP_NODELAY (a socket made
with proto 0 and handed over, as `keitaro-mcp sandbox` does, adds ~40 ms of Nagle/delayed-ACK per response)."""


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    first_error: str = ""

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    def row(self) -> str:
        return (
            f"  {self.name:<7} {self.throughput:8.0f} calls/s   p50 {self.pct(0.5):7.1f} ms   "
            f"p99 {self.pct(0.99):7.1f} ms   calls {len(self.latencies):>7,}   errors {self.errors}"
        )


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far (Linux /proc; 0.0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"load_bench: a server exited early ({proc.args!r})")
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


async def drive(
    phase: Phase, clients: int, warmup: float, duration: float, call: Callable[[], Awaitable[str | None]]
) -> None:
    """`clients` workers loop `call` (None = success, else an error text); only calls after the warm-up count."""
    start = time.perf_counter()
    measure_from = start + warmup
    stop_at = measure_from + duration

    async def worker() -> None:
        while True:
            began = time.perf_counter()
            if began >= stop_at:
                return
            try:
                problem = await call()
            except Exception as exc:
                problem = f"{type(exc).__name__}: {exc}"
            ended = time.perf_counter()
            if began < measure_from:
                continue
            if problem is None:
                phase.latencies.append(ended - began)
            else:
                phase.errors += 1
                phase.first_error = phase.first_error or problem[:300]

    await asyncio.gather(*(worker() for _ in range(clients)))
    phase.seconds = duration


async def bench(
    tracker: str,
    mcp_url: str,
    token: str,
    clients: int,
    duration: float,
    warmup: float,
    pids: tuple[int, int],
    keep: bool = False,
) -> int:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    timeout = httpx.Timeout(30.0)
    async with httpx.AsyncClient(base_url=tracker, limits=limits, timeout=timeout) as direct_http:
        listed = await direct_http.get("/admin_api/v1/campaigns", headers={"Api-Key": API_KEY})
        campaign_id = listed.json()[0]["id"]

        async def direct() -> str | None:
            r = await direct_http.get(f"/admin_api/v1/campaigns/{campaign_id}", headers={"Api-Key": API_KEY})
            return None if r.status_code == 200 and r.json().get("id") == campaign_id else f"HTTP {r.status_code}"

        direct_phase = Phase("direct")
        before = [cpu_seconds(pid) for pid in pids]
        await drive(direct_phase, clients, warmup, duration, direct)
        direct_cpu = [cpu_seconds(pid) - b for pid, b in zip(pids, before, strict=True)]

    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "application/json, text/event-stream",
        "Content-Type": "application/json",
        "MCP-Protocol-Version": "2025-11-25",
    }
    async with httpx.AsyncClient(limits=limits, timeout=timeout, headers=headers) as mcp_http:
        counter = iter(range(1, 10**12))

        async def via_mcp() -> str | None:
            body = {
                "jsonrpc": "2.0",
                "id": next(counter),
                "method": "tools/call",
                "params": {"name": "get_campaign", "arguments": {"campaign_id": campaign_id}},
            }
            r = await mcp_http.post(mcp_url, json=body)
            if r.status_code != 200:
                return f"HTTP {r.status_code}: {r.text[:200]}"
            result = r.json().get("result") or {}
            envelope = result.get("structuredContent") or {}
            if result.get("isError") or not envelope.get("success"):
                return f"envelope error: {(envelope.get('error') or r.json().get('error'))}"
            return None

        mcp_phase = Phase("mcp")
        before = [cpu_seconds(pid) for pid in pids]
        await drive(mcp_phase, clients, warmup, duration, via_mcp)
        mcp_cpu = [cpu_seconds(pid) - b for pid, b in zip(pids, before, strict=True)]

    ratio = mcp_phase.throughput / direct_phase.throughput if direct_phase.throughput else 0.0
    print(f"load_bench: {clients} concurrent clients, {duration:g} s per phase after {warmup:g} s warm-up")
    print(direct_phase.row())
    print(mcp_phase.row())
    print(f"  mcp/direct throughput: {ratio:.0%} (target >= 70%), errors: {direct_phase.errors + mcp_phase.errors}")
    for phase, (tracker_cpu, server_cpu) in ((direct_phase, direct_cpu), (mcp_phase, mcp_cpu)):
        calls = len(phase.latencies) + phase.errors or 1
        print(f"  {phase.name:<7} CPU per call: tracker {tracker_cpu / calls * 1000:.1f} ms, "
              f"keitaro-mcp {server_cpu / calls * 1000:.1f} ms (incl. warm-up)")  # fmt: skip
    print(f"  machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end")
    for phase in (direct_phase, mcp_phase):
        if phase.first_error:
            print(f"  first {phase.name} error: {phase.first_error}")
    pct, errors = round(ratio * 100), direct_phase.errors + mcp_phase.errors
    figures = {"low_pct": pct, "high_pct": pct, "runs": 1, "mcp_rps": round(mcp_phase.throughput),
               "direct_rps": round(direct_phase.throughput), "errors": errors}  # fmt: skip
    record("load", figures, enabled=keep)
    return 0 if mcp_phase.errors == 0 and direct_phase.errors == 0 and ratio >= 0.7 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--duration", type=float, default=15.0, help="measured seconds per phase (15)")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds per phase (2)")
    add_record_flag(parser)
    args = parser.parse_args()
    if 2 * (args.duration + args.warmup) > 50:
        parser.error("keep 2 x (duration + warmup) <= 50 s: the whole run stays under a minute")

    token = secrets.token_urlsafe(24)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEITARO_")}
    tracker_port, mcp_port = free_port(), free_port()
    tracker = f"http://127.0.0.1:{tracker_port}"
    procs: list[subprocess.Popen[bytes]] = []
    started = time.perf_counter()
    try:
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", SANDBOX_SERVER, str(tracker_port)],
                env=dict(env, LOAD_BENCH_API_KEY=API_KEY), cwd=ROOT, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )  # fmt: skip
        server_env = dict(env, KEITARO_URL=tracker, KEITARO_API_KEY=API_KEY, KEITARO_MCP_TOKEN=token)
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "keitaro_mcp", "--transport", "http", "--port", str(mcp_port)],
                env=server_env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )
        )  # fmt: skip
        wait_http(tracker + "/admin_api/v1/campaigns", procs[0])
        wait_http(f"http://127.0.0.1:{mcp_port}/healthz", procs[1])
        code = asyncio.run(
            bench(
                tracker,
                f"http://127.0.0.1:{mcp_port}/mcp",
                token,
                args.clients,
                args.duration,
                args.warmup,
                (procs[0].pid, procs[1].pid),
                args.record,
            )
        )
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if procs[1:] and procs[1].stderr is not None:
            tail = procs[1].stderr.read().decode(errors="replace").strip()
            if tail:
                print("  server stderr: " + tail[-1500:])
    print(f"  total time {time.perf_counter() - started:.1f} s")
    return code


if __name__ == "__main__":
    sys.exit(main())
