"""export_report / export_clicks: files streamed page by page, rows equal to the tracker's, bad paths refused."""

from __future__ import annotations

import csv
import json
import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from keitaro_mcp.operations import exports
from keitaro_mcp.server import build_server
from tests.conftest import TEST_POSTBACK_KEY, Kt, RecordingTransport, make_settings
from tests.reports.conftest import Truth

pytestmark = pytest.mark.anyio


@pytest.fixture
async def ek(wire: RecordingTransport, tmp_path: Path) -> AsyncIterator[Kt]:
    settings = make_settings(KEITARO_EXPORT_DIR=str(tmp_path), KEITARO_POSTBACK_KEY=TEST_POSTBACK_KEY)
    async with Client(build_server(settings, transport=wire), raise_exceptions=True) as client:
        yield Kt(client, wire)


async def test_export_clicks_pages_through_every_click(
    ek: Kt, truth: Truth, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exports, "CLICK_PAGE", 1_000)
    seen: list[tuple[float, float | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total))

    args = {"period": "all_time", "columns": ["click_id", "sub_id", "cost"], "filters": [["is_bot", "IS_FALSE"]]}
    env = await ek.ok("export_clicks", args, progress=on_progress)
    data = env["data"]
    expected = {r["id"]: r for r in truth.clicks(None, None, where="is_bot = 0")}
    assert data["rows"] == len(expected)
    path = Path(data["path"])
    assert path.parent == tmp_path and path.suffix == ".csv"
    with path.open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["click_id", "sub_id", "cost"]
    ids = [int(r[0]) for r in rows[1:]]
    assert sorted(ids) == sorted(expected) and len(ids) == len(set(ids))  # no click skipped or repeated
    for r in rows[1:50]:
        assert r[1] == expected[int(r[0])]["sub_id"]
        assert abs(float(r[2]) - expected[int(r[0])]["cost"]) < 1e-4
    # The click log's pages; the last read is the tracker's first click day (meta.range of an all_time export).
    pages = [s for s in ek.wire.sent if s.path == "/clicks/log" and s.body["columns"] != ["datetime"]]
    assert len(pages) == -(-len(expected) // 1_000)
    assert ids == sorted(ids)
    # Keyed pages: each asks for the clicks after the last one written, never a deep offset.
    bots = {"name": "is_bot", "operator": "IS_FALSE"}
    assert pages[0].body["filters"] == [bots] and "offset" not in pages[0].body
    for i, sent in enumerate(pages[1:], start=1):
        after = {"name": "click_id", "operator": "GREATER_THAN", "expression": ids[i * 1_000 - 1]}
        assert sent.body["filters"] == [bots, after]
    assert all(p.body["sort"] == [{"name": "click_id", "order": "ASC"}] and p.body["limit"] == 1_000 for p in pages)
    assert seen and seen[-1] == (len(expected), len(expected))
    assert data["preview"] == [[int(r[0]), r[1], float(r[2]) if "." in r[2] else int(r[2])] for r in rows[1:6]]
    assert (env["resource"], env["operation"]) == ("click", "export")


async def test_export_report_as_json_lines_matches_build_report(ek: Kt) -> None:
    args = {"period": "last_30_days", "dimensions": ["day", "country_code"], "measures": ["clicks", "revenue"]}
    exported = await ek.ok("export_report", {**args, "format": "jsonl", "file": "by-day.jsonl"})
    # The same days again, as the export states them (the clock may pass midnight between the calls).
    args["period"] = f"{exported['meta']['range']['from']}..{exported['meta']['range']['to']}"
    rows: list[list[Any]] = []
    offset = 0
    while True:  # the same report through build_report, page by page (meta.next_offset)
        report = await ek.ok("build_report", {**args, "limit": 10_000, "offset": offset})
        rows += report["data"]["rows"]
        if "next_offset" not in report["meta"]:
            break
        offset = report["meta"]["next_offset"]
    lines = Path(exported["data"]["path"]).read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [dict(zip(report["data"]["columns"], r, strict=True)) for r in rows]
    assert exported["data"]["rows"] == report["meta"]["total"] == len(lines)
    assert exported["meta"]["range"] == report["meta"]["range"]


async def test_a_default_name_is_stamped_in_utc_whatever_the_host_zone(ek: Kt, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")  # UTC+14: the host's date is not UTC's for most of the day
    time.tzset()
    try:
        before = datetime.now(UTC).replace(microsecond=0)
        env = await ek.ok("export_report", {"period": "yesterday", "measures": ["clicks"]})
        after = datetime.now(UTC)
    finally:
        monkeypatch.undo()
        time.tzset()
    name = Path(env["data"]["path"]).name
    stamp = re.fullmatch(r"report-(\d{8}-\d{6})Z\.csv", name)
    assert stamp, name
    assert before <= datetime.strptime(stamp[1], "%Y%m%d-%H%M%S").replace(tzinfo=UTC) <= after


async def test_export_never_overwrites(ek: Kt, tmp_path: Path) -> None:
    (tmp_path / "taken.csv").write_text("keep me", encoding="utf-8")
    await ek.refused("export_clicks", {"file": "taken.csv", "period": "today"}, "already exists")
    assert (tmp_path / "taken.csv").read_text(encoding="utf-8") == "keep me"


@pytest.mark.parametrize("file", ["/proc/keitaro/clicks.csv", "/dev/null/clicks.csv", "../clicks.csv"])
async def test_a_path_is_refused_before_sending(ek: Kt, file: str) -> None:
    env = await ek.refused("export_clicks", {"file": file}, "plain file name")
    assert env["error"]["responseData"][0]["field"] == "file"


@pytest.mark.parametrize(
    ("tool", "args", "field"),
    [
        ("export_report", {"measures": ["click"]}, "measures"),
        ("export_report", {"format": "xlsx"}, "format"),
        ("export_clicks", {"columns": ["clickid"]}, "columns"),
        ("export_clicks", {"filters": [["country_code", "IN_LIST", []]]}, "filters.0.expression"),
    ],
)
async def test_bad_input(ek: Kt, tool: str, args: dict[str, Any], field: str) -> None:
    env = await ek.refused(tool, args)
    assert field in {p["field"] for p in env["error"]["responseData"]}
