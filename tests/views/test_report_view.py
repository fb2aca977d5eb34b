"""The report view in real headless Chromium: real results from the sandbox tracker, through a minimal MCP Apps host.

Each test calls our tools on the sandbox through the SDK's client, reads the view over resources/read (as a host
does), renders it with the result, and checks what a person would see: the table's text, the chart, the colours of
a comparison, the theme and locale, a narrow frame — and that the view made no request and logged no error.
Screenshots go to $KEITARO_VIEW_SCREENSHOTS (README's picture comes from there) or to the test's temp folder.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from keitaro_mcp.server import build_server
from keitaro_mcp.views import APP_MIME_TYPE, REPORT_URI
from tests.conftest import TEST_POSTBACK_KEY, Kt, RecordingTransport, make_settings
from tests.views.browser import HostPage, chromium_path, host_page

pytestmark = [pytest.mark.anyio, pytest.mark.slow]  # a headless Chromium per test

FOUND = chromium_path()
if FOUND is None:
    pytest.skip("chromium is not installed (apt-get install chromium): report view not tested", allow_module_level=True)
CHROMIUM: str = FOUND

TABLE = ".table-wrap > table"  # uPlot's legend is a table too
MEASURES = ["clicks", "conversions", "revenue", "cost", "profit", "roi"]


@asynccontextmanager
async def connected(wire: RecordingTransport, **env: str) -> AsyncIterator[Kt]:
    server = build_server(make_settings(KEITARO_POSTBACK_KEY=TEST_POSTBACK_KEY, **env), transport=wire)
    async with Client(server, raise_exceptions=True) as client:
        yield Kt(client, wire)


@pytest.fixture
async def kt(wire: RecordingTransport) -> AsyncIterator[Kt]:
    """The sandbox as `KEITARO_URL=sandbox` serves it: results name USD as the currency of money."""
    async with connected(wire, KEITARO_CURRENCY="USD") as client:
        yield client


@pytest.fixture
async def kt_no_currency(wire: RecordingTransport) -> AsyncIterator[Kt]:
    """A tracker whose currency is not configured: results say `meta.currency: null`."""
    async with connected(wire) as client:
        yield client


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = os.environ.get("KEITARO_VIEW_SCREENSHOTS")
    return Path(folder) if folder else tmp_path


async def tool_def(kt: Kt, name: str) -> dict[str, Any]:
    """The tool as tools/list gives it, with its view link."""
    tools = {t.name: t for t in (await kt.client.list_tools()).tools}
    definition: dict[str, Any] = tools[name].model_dump(by_alias=True, exclude_none=True, mode="json")
    assert definition["_meta"]["ui"]["resourceUri"] == REPORT_URI
    return definition


async def view_html(kt: Kt) -> str:
    contents = (await kt.client.read_resource(REPORT_URI)).contents
    assert len(contents) == 1 and contents[0].mime_type == APP_MIME_TYPE
    text = getattr(contents[0], "text", "")
    assert text.startswith("<!doctype html>")
    return text


async def run(kt: Kt, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """tools/call as a host makes it; the result as JSON (structuredContent, content, isError)."""
    result = await kt.client.call_tool(name, arguments)
    dumped: dict[str, Any] = result.model_dump(by_alias=True, exclude_none=True, mode="json")
    return dumped


async def table(host: HostPage) -> list[list[str]]:
    """The table's body as text, row by row."""
    rows: list[list[str]] = await host.view.locator(TABLE).evaluate(
        "t => [...t.tBodies[0].rows].map(r => [...r.cells].map(c => c.textContent.trim()))"
    )
    return rows


async def headers(host: HostPage) -> list[str]:
    return [h.strip() for h in await host.view.locator(f"{TABLE} thead th").all_text_contents()]


async def drawn_at_the_sides(host: HostPage) -> list[int]:
    """How many pixel rows of the chart's canvas have ink in its outermost 4 columns, left and right: a label
    drawn there was cut by the canvas's edge."""
    counts: list[int] = await host.view.locator(".plot canvas").evaluate(
        """c => [0, c.width - 4].map(x0 => {
            const d = c.getContext("2d").getImageData(x0, 0, 4, c.height).data;
            let rows = 0;
            for (let y = 0; y < c.height; y++)
                if ([0, 1, 2, 3].some(x => d[(y * 4 + x) * 4 + 3] > 0)) rows++;
            return rows;
        })"""
    )
    return counts


def clean(host: HostPage) -> None:
    assert host.errors == [], host.errors
    assert host.requests == [], host.requests


def en(value: float, decimals: int = 0) -> str:
    return f"{value:,.{decimals}f}"


def usd(value: float | None) -> str:
    """Money in USD as en-US shows it: "$1,234.50", "-$12.00"; no value as "—"."""
    if value is None:
        return "—"
    cents = round(value, 2)
    return f"{'-' if cents < 0 else ''}${abs(cents):,.2f}"


def signed_usd(value: float | None) -> str:
    """A change of money in USD as en-US shows it: "+$1,234.50", "-$12.00", "$0.00"."""
    return ("+" if value is not None and round(value, 2) > 0 else "") + usd(value)


def signed_pct(value: float) -> str:
    """A comparison's change in % as en-US shows it: sign, at most one decimal, no trailing zero."""
    if round(value, 1) == 0:
        return "0%"
    return f"{value:+,.1f}".removesuffix(".0") + "%"


async def test_daily_series_is_a_line_and_a_sortable_table(kt: Kt, kt_no_currency: Kt, shots: Path) -> None:
    # Fourteen whole days that end yesterday: today may have no click yet (just after midnight UTC).
    last = datetime.now(UTC).date() - timedelta(days=1)
    args = {"period": f"{last - timedelta(days=13)}..{last}", "dimensions": ["day"], "measures": MEASURES}
    result = await run(kt, "build_report", args)
    data, meta = result["structuredContent"]["data"], result["structuredContent"]["meta"]
    assert meta["currency"] == "USD"
    # Fourteen whole days before the sandbox's start, each with traffic: a row each.
    assert len(data["rows"]) == 14
    async with host_page(CHROMIUM) as host:
        await host.show(await view_html(kt), await tool_def(kt, "build_report"), args, result)
        view = host.view
        await view.locator(TABLE).wait_for()
        assert await view.locator("h1").text_content() == "Report by Day"
        range_text = await view.locator(".range").text_content() or ""
        assert range_text.endswith(f"({meta['range']['timezone']})")
        assert await headers(host) == ["Day", "Clicks", "Conversions", "Revenue", "Cost", "Profit", "ROI"]
        rows = await table(host)
        assert len(rows) == len(data["rows"])
        first = data["rows"][0]
        day = first[0]  # e.g. 2026-11-18 -> "Nov 18, 2026"
        y, m, d = (int(p) for p in day.split("-"))
        assert (
            rows[0][0]
            == f"{['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][m - 1]} {d}, {y}"
        )
        # Money in the currency the result names; counts and percentages as before.
        assert rows[0][1:] == [en(first[1]), en(first[2]), usd(first[3]), usd(first[4]), usd(first[5]),
                               f"{first[6]:,.2f}".rstrip("0").rstrip(".") + "%"]  # fmt: skip
        total = await view.locator(f"{TABLE} tfoot").text_content() or ""
        assert total.startswith("Total") and en(data["summary"]["clicks"]) in total
        assert usd(data["summary"]["revenue"]) in total
        # The chart: a uPlot line over the days, drawn on a canvas.
        plot = view.locator(".plot")
        assert await plot.get_attribute("aria-label") == "Line chart of Clicks"
        assert await plot.locator("canvas").count() == 1
        box = await plot.locator("canvas").bounding_box()
        assert box is not None and box["width"] > 300
        await host.screenshot(shots / "report-daily.png")
        # Sorting: clicks, biggest first; again, smallest first.
        await view.get_by_role("button", name="Clicks").click()
        assert await view.locator(f"{TABLE} thead th").nth(1).get_attribute("aria-sort") == "descending"
        clicks = [int(r[1].replace(",", "")) for r in await table(host)]
        assert clicks == sorted(clicks, reverse=True)
        await view.get_by_role("button", name="Clicks").click()
        clicks = [int(r[1].replace(",", "")) for r in await table(host)]
        assert clicks == sorted(clicks)
        # No host tool calls were offered: no period or dimension controls.
        assert await view.locator(".controls").count() == 0
        # A tracker whose currency is not configured, or a code that is none: two decimals and no symbol.
        plain = await run(kt_no_currency, "build_report", args)
        assert plain["structuredContent"]["meta"]["currency"] is None
        assert plain["structuredContent"]["data"]["rows"][0] == first
        html, tool = await view_html(kt), await tool_def(kt, "build_report")
        await host.show(html, tool, args, plain)
        await view.locator(TABLE).wait_for()
        assert (await table(host))[0][3:6] == [en(first[3], 2), en(first[4], 2), en(first[5], 2)]
        plain["structuredContent"]["meta"]["currency"] = "dollars"
        await host.show(html, tool, args, plain)
        await view.locator(TABLE).wait_for()
        assert (await table(host))[0][3:6] == [en(first[3], 2), en(first[4], 2), en(first[5], 2)]
        clean(host)


async def test_campaign_breakdown_is_bars(kt: Kt, shots: Path) -> None:
    args = {"period": "last_30_days", "dimensions": ["campaign"], "measures": MEASURES}
    result = await run(kt, "build_report", args)
    data = result["structuredContent"]["data"]
    assert len(data["rows"]) > 15
    async with host_page(CHROMIUM) as host:
        await host.show(await view_html(kt), await tool_def(kt, "build_report"), args, result)
        view = host.view
        await view.locator(TABLE).wait_for()
        rows = await table(host)
        assert [r[0] for r in rows] == [r[0] for r in data["rows"]]
        assert await view.locator(".plot").get_attribute("aria-label") == "Bar chart of Clicks"
        caption = await view.locator(".caption").text_content()
        assert caption == f"Top 15 of {len(data['rows'])} rows by Clicks"
        # Fifteen names do not fit side by side: slanted, each ends at its bar, none cut at either side.
        assert await drawn_at_the_sides(host) == [0, 0]
        # The chart's measure can be switched without asking the host.
        await view.locator("select[name=measure]").select_option("profit")
        assert await view.locator(".plot").get_attribute("aria-label") == "Bar chart of Profit"
        await host.screenshot(shots / "report-campaigns.png")
        clean(host)


async def test_comparison_colours_changes_by_sign(kt: Kt, shots: Path) -> None:
    args = {"period": "last_7_days", "dimensions": ["campaign"], "measures": ["clicks", "cost", "profit"], "limit": 10}
    result = await run(kt, "compare_periods", args)
    envelope = result["structuredContent"]
    columns, data = envelope["data"]["columns"], envelope["data"]["rows"]
    async with host_page(CHROMIUM) as host:
        await host.show(await view_html(kt), await tool_def(kt, "compare_periods"), args, result)
        view = host.view
        await view.locator(TABLE).wait_for()
        range_text = await view.locator(".range").text_content() or ""
        assert " vs " in range_text and range_text.count("(UTC)") == 2
        assert (await headers(host))[:6] == ["Campaign", "", "Clicks", "Clicks before", "Clicks Δ", "Clicks Δ%"]
        classes: list[list[str]] = await view.locator(f"{TABLE} tbody").evaluate(
            "b => [...b.rows].map(r => [...r.cells].map(c => c.className))"
        )
        seen = set()
        for row, css in zip(data, classes, strict=True):
            for name in ("clicks_diff", "clicks_pct", "cost_diff", "profit_diff"):
                value = row[columns.index(name)]
                tone = {"up", "down"} & set(css[columns.index(name)].split())
                if not value:
                    assert tone == set(), (name, value)
                    continue
                # A rise is good news, except for cost.
                good = value < 0 if name.startswith("cost") else value > 0
                assert tone == {"up" if good else "down"}, (row[0], name, value, css)
                seen |= tone
        assert seen == {"up", "down"}
        text = await table(host)
        clicks_pct = columns.index("clicks_pct")
        for row, shown in zip(data, text, strict=True):
            pct = row[clicks_pct]
            assert shown[clicks_pct] == ("—" if pct is None else signed_pct(pct))
            # Money and its change in the result's currency, the change signed.
            for name in ("cost", "cost_before", "profit"):
                assert shown[columns.index(name)] == usd(row[columns.index(name)]), (row[0], name)
            for name in ("cost_diff", "profit_diff"):
                assert shown[columns.index(name)] == signed_usd(row[columns.index(name)]), (row[0], name)
        assert await view.locator(".plot").get_attribute("aria-label") == "Bar chart of Clicks"
        assert await drawn_at_the_sides(host) == [0, 0]
        legend = [t.strip() for t in await view.locator(".u-legend .u-series").all_inner_texts()]
        assert legend == ["This period", "Before"]
        await host.screenshot(shots / "report-comparison.png")
        clean(host)


async def test_dark_theme_locale_and_a_narrow_frame(kt: Kt, shots: Path) -> None:
    args = {"period": "last_30_days", "dimensions": ["campaign"], "measures": ["clicks", "revenue", "roi"]}
    result = await run(kt, "build_report", args)
    summary = result["structuredContent"]["data"]["summary"]
    async with host_page(CHROMIUM) as host:
        await host.show(
            await view_html(kt), await tool_def(kt, "build_report"), args, result, theme="dark", locale="de-DE",
            width=360,
        )  # fmt: skip
        view = host.view
        await view.locator(TABLE).wait_for()
        background = await view.locator("body").evaluate("b => getComputedStyle(b).backgroundColor")
        channels = [int(c) for c in re.findall(r"\d+", background)[:3]]
        assert max(channels) < 80, background
        footer = await view.locator(f"{TABLE} tfoot").text_content() or ""
        # German grouping and decimals: 1.234 clicks, 1.234,50 $ revenue (the symbol after a no-break space).
        assert f"{summary['clicks']:,}".replace(",", ".") in footer
        german = f"{summary['revenue']:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
        assert f"{german}\u00a0$" in footer, footer
        # Narrow: the page itself never scrolls sideways; the table scrolls inside its box.
        frame = host.view_frame()
        overflow = await frame.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
        assert await view.locator(".plot canvas").count() == 1
        assert await drawn_at_the_sides(host) == [0, 0]
        await host.screenshot(shots / "report-narrow-dark.png")
        # The host switches to light: the view follows.
        await host.page.evaluate("() => window.keitaroHost.setContext({theme: 'light'})")
        await host.page.wait_for_timeout(100)
        background = await view.locator("body").evaluate("b => getComputedStyle(b).backgroundColor")
        assert min(int(c) for c in re.findall(r"\d+", background)[:3]) > 200, background
        clean(host)


async def test_period_and_dimension_controls_call_the_tool_again(kt: Kt, shots: Path) -> None:
    calls: list[tuple[str, dict[str, Any]]] = []

    async def run_tool(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        calls.append((name, arguments))
        return await run(kt, name, arguments)

    args = {"period": "last_7_days", "dimensions": ["day"], "measures": ["clicks", "revenue"]}
    result = await run(kt, "build_report", args)
    async with host_page(CHROMIUM, run_tool) as host:
        await host.show(await view_html(kt), await tool_def(kt, "build_report"), args, result, can_call_tools=True)
        view = host.view
        await view.locator(TABLE).wait_for()
        assert len(await table(host)) == len(result["structuredContent"]["data"]["rows"]) >= 6
        await view.locator("select[name=period]").select_option("last_month")
        await view.locator("select[name=period]:not([disabled])").wait_for()
        assert calls == [("build_report", {**args, "period": "last_month"})]
        month = await run(kt, "build_report", calls[0][1])
        assert len(await table(host)) == len(month["structuredContent"]["data"]["rows"]) >= 28
        await view.locator("select[name=dimension]").select_option("country")
        await view.locator(".plot[aria-label='Bar chart of Clicks']").wait_for()
        assert calls[1] == ("build_report", {**args, "period": "last_month", "dimensions": ["country"]})
        assert await view.locator("h1").text_content() == "Report by Country"
        state = await host.host_state()
        assert len(state["toolCalls"]) == 2
        context = state["modelContext"][-1]["content"][0]["text"]
        assert context.startswith("The user changed the report view: it now shows build_report")
        assert '"dimensions":["country"]' in context
        await host.screenshot(shots / "report-controls.png")
        clean(host)


async def test_export_preview_time_comparison_and_error_results(kt: Kt) -> None:
    args = {"period": "last_7_days", "dimensions": ["day"], "measures": ["clicks", "revenue"]}
    exported = await run(kt, "export_report", args)
    data = exported["structuredContent"]["data"]
    Path(data["path"]).unlink()
    by_day = await run(kt, "compare_periods", args)
    failed = await run(kt, "compare_periods", {"period": "all_time"})
    assert failed["isError"]
    async with host_page(CHROMIUM) as host:
        html = await view_html(kt)
        await host.show(html, await tool_def(kt, "export_report"), args, exported)
        await host.view.locator(TABLE).wait_for()
        count = await host.view.locator(".count").text_content() or ""
        assert count.startswith(f"{data['rows']} rows written to {data['path']} (CSV, ")
        assert len(await table(host)) == len(data["preview"])
        # Days of two periods never match: this week's days are "new", last week's "gone"; the line shows this week.
        await host.show(html, await tool_def(kt, "compare_periods"), args, by_day)
        await host.view.locator(TABLE).wait_for()
        rows = await table(host)
        # Today has no row just after midnight UTC (no click yet): the previous week always has all seven.
        new = len(by_day["structuredContent"]["data"]["rows"]) - 7
        assert new in (6, 7) and sorted(r[1] for r in rows) == ["gone"] * 7 + ["new"] * new
        assert await host.view.locator(".plot").get_attribute("aria-label") == "Line chart of Clicks"
        await host.show(html, await tool_def(kt, "compare_periods"), {"period": "all_time"}, failed)
        alert = host.view.get_by_role("alert")
        await alert.wait_for()
        message = json.loads(failed["content"][0]["text"])["error"]["message"]
        assert (await alert.text_content() or "").startswith(message)
        clean(host)
