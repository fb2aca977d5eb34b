"""export_report and export_clicks: a whole report or click log streamed page by page to a local CSV/JSONL file.

Files are written only inside KEITARO_EXPORT_DIR (never overwritten); the answer is the path, row count and a
short preview, so a million rows cost the model a few lines.
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
from pydantic import field_validator

from keitaro_mcp.compact import to_number
from keitaro_mcp.envelope import Envelope, read_failed
from keitaro_mcp.export_files import ExportFile, ExportFormat, ExportProblem, RowWriter, check_file_name
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
from keitaro_mcp.report_catalog import CLICK_LOG_COLUMNS, MAX_COLUMNS, NUMERIC_DIMENSIONS
from keitaro_mcp.settings import export_root

if TYPE_CHECKING:
    from keitaro_mcp.context import CallContext

__all__ = ["CLICK_EXPORT_COLUMNS", "OPERATIONS", "ExportClicks", "ExportReport"]

REPORT_PAGE = 5_000
CLICK_PAGE = 10_000


class _ExportTarget(Params):
    format: ExportFormat = "csv"
    file: str | None = None
    """A new plain file name (no folders) in KEITARO_EXPORT_DIR."""

    @field_validator("file")
    @classmethod
    def _file(cls, name: str | None) -> str | None:
        return None if name is None else check_file_name(name)


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
        return check_names(names, CLICK_LOG_COLUMNS, "column", DIMENSIONS_URI, MAX_COLUMNS)

    @field_validator("filters")
    @classmethod
    def _filters(cls, items: list[Any] | None) -> list[Any] | None:
        return check_filters(items)


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


WRITE_HINT = "Free space in KEITARO_EXPORT_DIR or point it at a writable folder, then export again."
GC_EVERY_PAGES = 4
"""A full collection costs tens of milliseconds on a large heap; every 4th page keeps memory flat at a few more MB."""


async def _export(
    ctx: CallContext, args: _ExportTarget, stem: str, api_path: str, body: dict[str, Any], columns: list[str],
    numeric: set[str], page: int, key: str | None = None,
) -> Envelope:  # fmt: skip
    settings = ctx.settings
    try:
        target = ExportFile.create(Path(settings.export_dir or export_root(None)), args.file, stem, args.format)
    except ExportProblem as exc:
        return _refused(ctx, exc)
    committed = False
    try:
        writer = RowWriter(
            target.temp, args.format, columns, numeric, max_rows=settings.export_max_rows,
            max_bytes=settings.export_max_bytes,
        )  # fmt: skip
        try:
            envelope = await _pages(ctx, writer, api_path, body, page, key)
        finally:
            writer.close()
        if not envelope["success"]:
            # Half a file is not an export: it goes, and the message says which page failed.
            what = "the report" if api_path == "/report/build" else "the click log"
            where = f" after {writer.rows} rows" if writer.rows else ""
            envelope = read_failed(envelope, what + where)
            envelope["error"]["message"] += "; no file was written"
            return envelope
        final = target.commit()
        committed = True
    except ExportProblem as exc:
        return _refused(ctx, exc)
    except OSError as exc:
        problem = f"cannot write in {target.root.name}: {exc.strerror or type(exc).__name__}; no file was written"
        return ctx.fail("config", f"{ctx.op.name}: {problem}", hint=WRITE_HINT)
    finally:
        # An error, a cancellation (the client cancelled, the stdio pipe closed, the HTTP client went away): the
        # partial file goes with it.
        if not committed:
            target.discard()
    envelope["data"] = {
        "path": str(final),
        "format": args.format,
        "rows": writer.rows,
        "bytes": writer.bytes,
        "columns": columns,
        "preview": writer.preview,
    }
    meta: dict[str, Any] = {"range": body["range"]}
    if writer.capped is not None:
        cap = (
            f"KEITARO_EXPORT_MAX_ROWS={settings.export_max_rows}"
            if writer.capped == "rows"
            else f"KEITARO_EXPORT_MAX_MB={settings.export_max_bytes // (1024 * 1024)}"
        )
        meta["truncated"] = True
        meta["note"] = f"stopped at {cap}: the file holds the first {writer.rows} rows; narrow the period or filters"
    envelope["meta"] = meta
    return envelope


def _refused(ctx: CallContext, problem: ExportProblem) -> Envelope:
    if problem.kind == "config":
        return ctx.fail("config", str(problem))
    return ctx.invalid(
        f"Invalid arguments for {ctx.op.name}: file: {problem}", [{"field": "file", "problem": str(problem)}]
    )


async def _pages(
    ctx: CallContext, writer: RowWriter, api_path: str, body: dict[str, Any], page: int, key: str | None
) -> Envelope:
    """Fetch page after page and write them, until the last page, a failed read or a cap; the last envelope."""
    first = {**body, "limit": page} if key else {**body, "limit": page, "offset": 0}
    fetched: dict[str, Envelope] = {}

    async def fetch(next_body: dict[str, Any]) -> None:
        fetched["next"] = await ctx.post(api_path, next_body)

    envelope = await ctx.post(api_path, first)
    total: int | None = None
    pages = 0
    while envelope["success"]:
        answer = answer_of(envelope)
        rows = [r for r in answer.get("rows") or [] if isinstance(r, dict)]
        if total is None:
            count = to_number(answer.get("total"))
            total = count if isinstance(count, int) else None
        nxt = _next_page(first, rows, page, total, writer.rows + len(rows), key)
        capped = False
        # The next page is fetched while this one is written (bounded: one page in flight, one being written).
        async with anyio.create_task_group() as tg:
            if nxt is not None and writer.rows + len(rows) < writer.max_rows:
                tg.start_soon(fetch, nxt)
            capped = await anyio.to_thread.run_sync(writer.write, rows)
            if capped:
                tg.cancel_scope.cancel()  # a cap: the page in flight is not needed
        if writer.full() and nxt is not None:
            writer.capped = "rows"
        await ctx.progress(writer.rows, total, f"{writer.rows} rows written")
        if nxt is None or writer.capped is not None:
            break
        # A cancelled call (the client cancelled, the stdio pipe closed, the HTTP client went away) cancels the
        # page in flight while the write, shielded in its thread, completes: stop here, before the next page.
        await anyio.lowlevel.checkpoint_if_cancelled()
        envelope = fetched.pop("next")
        # httpx keeps each response in a reference cycle (response <-> stream) with its multi-MB body; only the
        # cyclic collector frees it, so collect now and then to keep memory flat over millions of rows.
        del answer, rows
        pages += 1
        if pages % GC_EVERY_PAGES == 0:
            gc.collect()
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
              title="Export report to file", handler=_export_report, effect="export"),
    report_op(name="export_clicks", resource="click", operation="export", path="/clicks/log", params=ExportClicks,
              title="Export clicks to file", handler=_export_clicks, effect="export"),
)  # fmt: skip
