"""export_clicks over 1,000,000 sandbox clicks: rows per second and peak memory of the exporting process.

The tracker is the sandbox served by uvicorn in a separate process (so its SQLite and JSON encoding are not counted
in our memory), reached over loopback HTTP like a real tracker. The 1M-click database is built quickly: the sandbox
seeds 100,000 realistic clicks, then SQL copies them ten times with new ids and sub ids.

    .venv/bin/python benchmarks/export_bench.py [--clicks 1000000] [--format csv|jsonl]

Prints the rows, seconds, rows/s, the file size, and the exporter's peak RSS and Python heap (tracemalloc).
Targets: at least 50,000 rows/s, peak memory flat and under 200 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import anyio
from figures import add_record_flag, record

API_KEY = "bench-key-1m"
SEED_CLICKS = 100_000


def build_db(path: Path, clicks: int) -> None:
    """A sandbox database with `clicks` clicks: seeded, then copied with fresh ids and sub ids."""
    from keitaro_mcp.sandbox import Sandbox

    box = Sandbox(seed=5, clicks=min(clicks, SEED_CLICKS), db=str(path), api_key=API_KEY)
    conn = box.connection()
    columns = [r[1] for r in conn.execute("PRAGMA table_info(clicks)")]
    seeded = conn.execute("SELECT count(*), max(id) FROM clicks").fetchone()
    base, top = int(seeded[0]), int(seeded[1])
    have, copy = base, 1
    rest = [c for c in columns if c not in ("id", "sub_id")]
    with box.store.lock:
        while have < clicks:
            take = min(base, clicks - have)
            conn.execute(
                f"INSERT INTO clicks (id, sub_id, {', '.join(rest)}) "
                f"SELECT id + {copy * top}, sub_id || '{copy:x}', {', '.join(rest)} FROM clicks "
                f"WHERE id <= {top} ORDER BY id LIMIT {take}"
            )
            conn.commit()
            have += take
            copy += 1
    box.close()


# /clicks/log rows rendered by SQLite's JSON functions (C), as the sandbox formats them: the "fast tracker" that
# measures the exporter's own cost, which a Python tracker simulator would otherwise hide.
FAST_COLUMNS = {
    "click_id": "id", "sub_id": "sub_id", "datetime": "strftime('%Y-%m-%d %H:%M:%S', dt, 'unixepoch')",
    "campaign_id": "campaign_id", "stream_id": "stream_id", "offer_id": "COALESCE(offer_id, 0)",
    "landing_id": "COALESCE(landing_id, 0)", "ts_id": "ts_id", "country_code": "COALESCE(country_code, '')",
    "device_type": "COALESCE(device_type, '')", "os": "COALESCE(os, '')", "browser": "COALESCE(browser, '')",
    "ip": "COALESCE(ip, '')", "source": "COALESCE(source, '')", "keyword": "COALESCE(keyword, '')",
    "external_id": "COALESCE(external_id, '')", "is_bot": "is_bot", "is_unique_campaign": "is_unique_campaign",
    "is_lead": "leads > 0", "is_sale": "sales > 0", "cost": "round(cost, 4)",
    "revenue": "round(lead_revenue + sale_revenue, 4)",
}  # fmt: skip


def fast_tracker(db: Path) -> Any:
    """An httpx transport answering POST /clicks/log (keyed by click_id) straight from SQLite."""
    import sqlite3

    import httpx

    conn = sqlite3.connect(str(db), check_same_thread=False)
    total = conn.execute("SELECT count(*) FROM clicks").fetchone()[0]

    def page(body: dict[str, Any]) -> bytes:
        keyed = body.get("filters", [])
        after = next((f["expression"] for f in keyed if f["operator"] == "GREATER_THAN"), 0)
        upto = next((f["expression"] for f in keyed if f["operator"] == "EQUALS_OR_LESS_THAN"), 2**62)
        fields = ", ".join(f"'{name}', {FAST_COLUMNS[name]}" for name in body["columns"])
        sql = (
            f"SELECT json_object('rows', json(COALESCE(json_group_array(json_object({fields})), '[]')), "
            f"'total', {total}) FROM (SELECT * FROM clicks WHERE id > ? AND id <= ? ORDER BY id LIMIT ?)"
        )
        text: str = conn.execute(sql, (after, upto, body["limit"])).fetchone()[0]
        return text.encode()

    async def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        content = await anyio.to_thread.run_sync(page, body)
        return httpx.Response(200, content=content, headers={"Content-Type": "application/json"})

    return httpx.MockTransport(handler)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def serve(db: Path, port: int) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "keitaro_mcp", "sandbox", "--db", str(db), "--port", str(port), "--api-key", API_KEY]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            if proc.poll() is not None:
                detail = proc.stderr.read().decode() if proc.stderr else ""
                raise SystemExit(f"sandbox did not start: {detail}") from None
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("sandbox did not start within 60 s")


def rss_mb() -> float:
    """Current resident memory of this process (Linux /proc), MB."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


async def export(
    url: str, out: Path, fmt: str, transport: Any = None, filters: list[Any] | None = None
) -> tuple[dict[str, Any], float, list[float]]:
    """One export_clicks call through the MCP server (in-memory client); RSS sampled at every progress report."""
    from mcp import Client

    from keitaro_mcp.server import build_server
    from keitaro_mcp.settings import load_settings

    settings = load_settings(
        {"KEITARO_URL": url, "KEITARO_API_KEY": API_KEY, "KEITARO_EXPORT_DIR": str(out), "KEITARO_TIMEOUT": "120"}
    )
    samples: list[float] = []

    async def progress(progress: float, total: float | None, message: str | None) -> None:
        samples.append(rss_mb())

    args: dict[str, Any] = {"period": "all_time", "format": fmt}
    if filters:
        args["filters"] = filters
    async with Client(build_server(settings, transport=transport), raise_exceptions=True) as client:
        start = time.perf_counter()
        result = await client.call_tool("export_clicks", args, progress_callback=progress)
        elapsed = time.perf_counter() - start
    envelope: Any = result.structured_content
    if not envelope["success"]:
        raise SystemExit(json.dumps(envelope["error"]))
    return envelope["data"], elapsed, samples


def report(label: str, data: dict[str, Any], elapsed: float, samples: list[float]) -> None:
    rate = data["rows"] / elapsed
    print(f"{label}: {data['rows']:,} rows in {elapsed:.1f} s = {rate:,.0f} rows/s, "
          f"{data['bytes'] / 2**20:.0f} MB file, {len(samples)} pages")  # fmt: skip
    if samples:
        quarter = max(1, len(samples) // 4)
        print(f"  RSS during the export: first quarter max {max(samples[:quarter]):.0f} MB, "
              f"last quarter max {max(samples[-quarter:]):.0f} MB (equal = constant memory)")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=1_000_000)
    parser.add_argument("--format", choices=["csv", "jsonl"], default="csv")
    parser.add_argument("--heap", action="store_true", help="also trace the Python heap (slower)")
    parser.add_argument("--e2e", type=int, default=100_000, help="clicks exported end to end via the sandbox")
    parser.add_argument("--build-db", help=argparse.SUPPRESS)
    add_record_flag(parser)
    args = parser.parse_args()
    if args.build_db:
        build_db(Path(args.build_db), args.clicks)
        return 0
    with tempfile.TemporaryDirectory(prefix="keitaro-bench-") as tmp:
        db = Path(tmp) / "tracker.sqlite"
        t0 = time.perf_counter()
        # Built in a child process, so this process's peak memory is the exporter's alone.
        subprocess.run([sys.executable, __file__, "--clicks", str(args.clicks), "--build-db", str(db)], check=True)
        print(f"sandbox database: {args.clicks:,} clicks built in {time.perf_counter() - t0:.1f} s")
        before = rss_mb()
        if args.heap:
            tracemalloc.start()
        # 1. The exporter's own speed: pages rendered by SQLite in C (a tracker that costs next to nothing).
        data, elapsed, samples = anyio.run(
            export, "http://tracker.bench", Path(tmp) / "a", args.format, fast_tracker(db)
        )
        report(f"export_clicks ({args.format}), exporter alone", data, elapsed, samples)
        heap_peak = tracemalloc.get_traced_memory()[1] if args.heap else 0
        tracemalloc.stop()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        heap = f", Python heap peak {heap_peak / 2**20:.0f} MB (tracemalloc)" if args.heap else ""
        print(f"  exporter memory: RSS before {before:.0f} MB, peak {peak:.0f} MB{heap}")
        flat = max(samples[-max(1, len(samples) // 4) :]) if samples else before  # the last quarter's RSS
        figures = {"rows_per_s": round(data["rows"] / elapsed), "rss_mb": round(flat), "peak_mb": round(peak)}
        # 2. End to end over loopback HTTP against the sandbox tracker (its Python rendering bounds the rate).
        port = free_port()
        proc = serve(db, port)
        try:
            e2e = [["click_id", "EQUALS_OR_LESS_THAN", args.e2e]]
            data, elapsed, samples = anyio.run(
                export, f"http://127.0.0.1:{port}", Path(tmp) / "b", args.format, None, e2e
            )
            report("export_clicks end to end (sandbox over HTTP)", data, elapsed, samples)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        print(f"  load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    record("export", figures, enabled=args.record)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
