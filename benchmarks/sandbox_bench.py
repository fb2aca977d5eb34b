"""Sandbox benchmarks: seeding, a large report, paging the click log. Prints figures; not a test.

    python benchmarks/sandbox_bench.py [--clicks 1000000]

Targets: seeding 1,000,000 clicks <= 60 s; report/build by campaign x day with six measures
<= 2 s; peak memory (max RSS) <= 1 GB.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from datetime import UTC, datetime

from figures import add_record_flag, record
from starlette.testclient import TestClient

from keitaro_mcp.sandbox import DEMO_API_KEY, Sandbox


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clicks", type=int, default=1_000_000)
    parser.add_argument("--page", type=int, default=10_000)
    parser.add_argument("--log-rows", type=int, default=100_000)
    add_record_flag(parser)
    args = parser.parse_args(argv)

    now = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
    sandbox = Sandbox(seed=42, clicks=args.clicks, now=now)
    started, cpu = time.perf_counter(), time.process_time()
    sandbox.ensure_seeded()
    seed_s, seed_cpu = time.perf_counter() - started, time.process_time() - cpu
    conn = sandbox.connection()
    n_clicks = conn.execute("SELECT count(*) FROM clicks").fetchone()[0]
    n_conv = conn.execute("SELECT count(*) FROM conversions").fetchone()[0]
    print(f"seed: {n_clicks:,} clicks, {n_conv:,} conversions in {seed_s:.1f} s wall, {seed_cpu:.1f} s CPU "
          f"(max RSS {rss_mb():.0f} MB)")  # fmt: skip

    client = TestClient(sandbox.app, base_url="http://sandbox.test")
    headers = {"Api-Key": DEMO_API_KEY}
    body = {
        "range": {"interval": "all_time", "timezone": "Europe/Berlin"},
        "dimensions": ["campaign", "day"],
        "measures": ["clicks", "campaign_unique_clicks", "conversions", "revenue", "cost", "roi"],
        "sort": [{"name": "day", "order": "ASC"}],
    }
    timings = []
    cpu_timings = []
    for _ in range(3):
        started, cpu = time.perf_counter(), time.process_time()
        r = client.post("/admin_api/v1/report/build", json=body, headers=headers)
        timings.append(time.perf_counter() - started)
        cpu_timings.append(time.process_time() - cpu)
        assert r.status_code == 200, r.text[:300]
    rows = r.json()["total"]
    print(f"report/build campaign x day, 6 measures over all clicks: {rows:,} rows, best {min(timings):.2f} s, "
          f"worst {max(timings):.2f} s wall; best {min(cpu_timings):.2f} s CPU")  # fmt: skip

    started, cpu = time.perf_counter(), time.process_time()
    fetched = 0
    offset = 0
    while fetched < args.log_rows:
        page = client.post(
            "/admin_api/v1/clicks/log",
            json={"range": {"interval": "all_time"}, "limit": args.page, "offset": offset,
                  "columns": ["click_id", "sub_id", "datetime", "campaign", "country_code", "os", "cost", "revenue"]},
            headers=headers,
        )  # fmt: skip
        assert page.status_code == 200, page.text[:300]
        got = len(page.json()["rows"])
        if not got:
            break
        fetched += got
        offset += got
    log_s, log_cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"clicks/log: {fetched:,} rows in pages of {args.page:,} in {log_s:.2f} s wall, {log_cpu:.2f} s CPU")
    print(f"load average while running: {', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    print(f"peak memory (max RSS): {rss_mb():.0f} MB")
    figures = {"seed_s": round(seed_s, 1), "report_s": round(min(timings), 2), "report_worst_s": round(max(timings), 2),
               "peak_mb": round(rss_mb())}  # fmt: skip
    record("sandbox", figures, enabled=args.record)
    sandbox.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
