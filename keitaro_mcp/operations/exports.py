"""export_report and export_clicks: a whole report or click log streamed page by page to a local CSV/JSONL file.

Files are written only inside KEITARO_EXPORT_DIR (never overwritten); the answer is the path, row count and a
short preview, so a million rows cost the model a few lines.
"""

from __future__ import annotations

import csv
import gc
import json
import operator
import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import anyio
from pydantic import field_validator

from keitaro_mcp.compact import compact_rows, to_number
from keitaro_mcp.envelope import Envelope, read_failed
from keitaro_mcp.operations._common import CampaignId, Params
from keitaro_mcp.operations.reports import (
    DIMENSIONS_URI,
    Filters,
    ReportArgs,
    answer_of,
    check_filters,
    check_names,
    default_sort,
    filters_body,
    numeric_columns,
    report_body,
    report_op,
    runtime_check,
)
from keitaro_mcp.periods import PeriodArgs, resolve_range
from keitaro_mcp.report_catalog import DIMENSIONS, NUMERIC_DIMENSIONS

if TYPE_CHECKING:
    from keitaro_mcp.context import CallContext
    from keitaro_mcp.errors import ErrorKind

__all__ = ["CLICK_EXPORT_COLUMNS", "OPERATIONS", "ExportClicks", "ExportReport"]

ExportFormat = Literal["csv", "jsonl"]
REPORT_PAGE = 5_000
CLICK_PAGE = 10_000


class _ExportTarget(Params):
    format: ExportFormat = "csv"
    file: str | None = None
    """Default: new file in KEITARO_EXPORT_DIR."""


class ExportReport(_ExportTarget, ReportArgs):
    """Write a whole report to a local CSV/JSONL file; returns path, row count, preview."""


CLICK_EXPORT_COLUMNS = [
    "click_id", "sub_id", "datetime", "campaign_id", "stream_id", "offer_id", "landing_id", "ts_id", "country_code",
    "device_type", "os", "browser", "ip", "source", "keyword", "external_id", "is_bot", "is_unique_campaign",
    "is_lead", "is_sale", "cost", "revenue",
]  # fmt: skip


class ExportClicks(_ExportTarget, PeriodArgs):
    """Write the click log to a local CSV/JSONL file; returns path, row count, preview."""

    campaign_id: CampaignId | None = None
    columns: list[str] | None = None
    filters: Filters | None = None

    @field_validator("columns")
    @classmethod
    def _columns(cls, names: list[str] | None) -> list[str] | None:
        if names is None:
            return None
        return check_names(names, (*DIMENSIONS, "event_id"), "column", DIMENSIONS_URI)

    @field_validator("filters")
    @classmethod
    def _filters(cls, items: list[Any] | None) -> list[Any] | None:
        return check_filters(items)


PREVIEW_ROWS = 5


def _export_path(ctx: CallContext, args: _ExportTarget, stem: str) -> Path | tuple[ErrorKind, str]:
    """A new, writable file (never overwrites); else the error kind and message: `config` when the export
    folder itself cannot be written (KEITARO_EXPORT_DIR is the fix), `invalid_arguments` when the `file` is."""
    root = Path(ctx.settings.export_dir or Path.cwd() / "keitaro-exports").expanduser()
    if args.file:
        path = Path(args.file).expanduser()
        path = path if path.is_absolute() else root / path
        if path.suffix.lower() not in (".csv", ".jsonl", ".json", ".txt"):
            path = path.with_name(path.name + f".{args.format}")
    else:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        path = root / f"{stem}-{stamp}.{args.format}"
    path = path.resolve()
    if path.is_relative_to(root.resolve()):
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return "config", _unwritable_folder(root, exc)
    if path.exists():
        if args.file:
            return "invalid_arguments", f"file: {path} already exists; give a new name (exports never overwrite)"
        n = 2
        while path.with_name(f"{path.stem}-{n}{path.suffix}").exists():
            n += 1
        path = path.with_name(f"{path.stem}-{n}{path.suffix}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8"):
            pass
    except OSError as exc:
        if args.file:
            return (
                "invalid_arguments",
                f"file: cannot write {path}: {exc.strerror or exc}; give a writable file or set KEITARO_EXPORT_DIR",
            )
        return "config", _unwritable_folder(root, exc)
    return path


def _unwritable_folder(root: Path, exc: OSError) -> str:
    return (
        f"the export folder {root} cannot be written ({exc.strerror or exc}); set KEITARO_EXPORT_DIR to a folder "
        "the server can write"
    )


class _Writer:
    """Streams rows to CSV or JSON Lines; keeps only the preview in memory."""

    def __init__(self, path: Path, fmt: ExportFormat, columns: list[str], numeric: set[str]) -> None:
        self.file = path.open("w", encoding="utf-8", newline="")
        self.fmt = fmt
        self.columns = columns
        self.numeric = numeric
        self.rows = 0
        self.preview: list[list[Any]] = []
        self._csv = csv.writer(self.file) if fmt == "csv" else None
        self._get = operator.itemgetter(*columns)
        self._numeric_at = [i for i, c in enumerate(columns) if c in numeric]
        if self._csv is not None:
            self._csv.writerow(columns)

    def write(self, rows: list[dict[str, Any]]) -> None:
        values = self._values(rows)
        if len(self.preview) < PREVIEW_ROWS:
            self.preview.extend(list(v) for v in values[: PREVIEW_ROWS - len(self.preview)])
        if self._csv is not None:
            self._csv.writerows(values)
        else:
            dumps = json.dumps
            cols = self.columns
            self.file.write("".join(dumps(dict(zip(cols, v, strict=True)), ensure_ascii=False) + "\n" for v in values))
        self.rows += len(values)

    def _values(self, rows: list[dict[str, Any]]) -> list[Any]:
        """Rows as tuples in column order (C-speed itemgetter); numeric columns converted only where a page has
        numbers as strings."""
        try:
            values: list[Any] = (
                [self._get(r) for r in rows] if len(self.columns) > 1 else [(r[self.columns[0]],) for r in rows]
            )
        except KeyError:
            return compact_rows(rows, self.columns, self.numeric)
        stringly = [i for i in self._numeric_at if any(type(v[i]) is str for v in values)]
        if stringly:
            values = [list(v) for v in values]
            for v in values:
                for i in stringly:
                    v[i] = to_number(v[i])
        return values

    def close(self) -> None:
        self.file.close()


def _next_page(
    body: dict[str, Any], rows: list[dict[str, Any]], page: int, total: int | None, done: int, key: str | None
) -> dict[str, Any] | None:
    """The next page's body, or None after the last page. With `key` (click_id) pages are keyed: `key > last`
    costs the tracker one page each time, where a deep offset makes it walk every row before it."""
    if len(rows) < page or (total is not None and done >= total and key is None):
        return None
    if key is not None:
        last = rows[-1].get(key)
        if last is None:
            return None
        keyed = [*body.get("filters", []), {"name": key, "operator": "GREATER_THAN", "expression": last}]
        return {**body, "filters": keyed}
    return {**body, "offset": done}


GC_EVERY_PAGES = 4
"""A full collection costs tens of milliseconds on a large heap; every 4th page keeps memory flat at a few more MB."""


async def _export(
    ctx: CallContext, args: _ExportTarget, stem: str, api_path: str, body: dict[str, Any], columns: list[str],
    numeric: set[str], page: int, key: str | None = None,
) -> Envelope:  # fmt: skip
    target = _export_path(ctx, args, stem)
    if isinstance(target, tuple):
        kind, problem = target
        if kind == "config":
            return ctx.fail("config", problem)
        return ctx.invalid(f"Invalid arguments for {ctx.op.name}: {problem}", [{"field": "file", "problem": problem}])
    writer = _Writer(target, args.format, columns, numeric)
    first = {**body, "limit": page} if key else {**body, "limit": page, "offset": 0}
    fetched: dict[str, Envelope] = {}

    async def fetch(next_body: dict[str, Any]) -> None:
        fetched["next"] = await ctx.post(api_path, next_body)

    envelope = await ctx.post(api_path, first)
    total: int | None = None
    pages = 0
    try:
        while envelope["success"]:
            answer = answer_of(envelope)
            rows = [r for r in answer.get("rows") or [] if isinstance(r, dict)]
            if total is None:
                count = to_number(answer.get("total"))
                total = count if isinstance(count, int) else None
            nxt = _next_page(first, rows, page, total, writer.rows + len(rows), key)
            # The next page is fetched while this one is written (bounded: one page in flight, one being written).
            async with anyio.create_task_group() as tg:
                if nxt is not None:
                    tg.start_soon(fetch, nxt)
                await anyio.to_thread.run_sync(writer.write, rows)
            await ctx.progress(writer.rows, total, f"{writer.rows} rows written")
            if nxt is None:
                break
            envelope = fetched.pop("next")
            # httpx keeps each response in a reference cycle (response <-> stream) with its multi-MB body; only the
            # cyclic collector frees it, so collect once per page to keep memory flat over millions of rows.
            del answer, rows
            pages += 1
            if pages % GC_EVERY_PAGES == 0:
                gc.collect()
    finally:
        writer.close()
    if not envelope["success"]:
        # Half a file is not an export: it goes, and the message says which page failed.
        target.unlink(missing_ok=True)
        what = "the report" if api_path == "/report/build" else "the click log"
        where = f" after {writer.rows} rows" if writer.rows else ""
        envelope = read_failed(envelope, what + where)
        envelope["error"]["message"] += "; no file was written"
        return envelope
    envelope["data"] = {
        "path": str(target),
        "format": args.format,
        "rows": writer.rows,
        "bytes": os.path.getsize(target),
        "columns": columns,
        "preview": writer.preview,
    }
    envelope["meta"] = {"range": body["range"]}
    return envelope


async def _export_report(ctx: CallContext, args: ExportReport) -> Envelope:
    problem = await runtime_check(ctx, args.dimensions, args.measures)
    if problem is not None:
        return problem
    body = report_body(args, resolve_range(args, ctx.tracker))
    sort = default_sort(args.dimensions, args.measures)
    if sort:
        body["sort"] = sort
    columns = [*args.dimensions, *args.measures]
    numeric = numeric_columns(columns, args.measures)
    return await _export(ctx, args, "report", "/report/build", body, columns, numeric, REPORT_PAGE)


async def _export_clicks(ctx: CallContext, args: ExportClicks) -> Envelope:
    columns = args.columns or CLICK_EXPORT_COLUMNS
    filters = filters_body(args.filters)
    if args.campaign_id is not None:
        filters.insert(0, {"name": "campaign_id", "operator": "EQUALS", "expression": args.campaign_id})
    # Pages keyed by click_id in ascending order: none skipped or repeated, each page as cheap as the first.
    wanted = columns if "click_id" in columns else [*columns, "click_id"]
    body: dict[str, Any] = {"range": resolve_range(args, ctx.tracker), "columns": wanted}
    if filters:
        body["filters"] = filters
    body["sort"] = [{"name": "click_id", "order": "ASC"}]
    numeric = {c for c in columns if c in NUMERIC_DIMENSIONS or c in ("click_id", "event_id")}
    return await _export(ctx, args, "clicks", "/clicks/log", body, columns, numeric, CLICK_PAGE, key="click_id")


OPERATIONS = (
    report_op(name="export_report", resource="stats", operation="export", path="/report/build", params=ExportReport,
              title="Export report to file", handler=_export_report),
    report_op(name="export_clicks", resource="click", operation="export", path="/clicks/log", params=ExportClicks,
              title="Export clicks to file", handler=_export_clicks),
)  # fmt: skip
