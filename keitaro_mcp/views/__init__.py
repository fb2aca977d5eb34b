"""MCP Apps views (extension `io.modelcontextprotocol/ui`): report results drawn in the chat as a chart and a table.

`report.html` is built from `ui/` (one npm command, `npm run build`) and shipped inside the package, so installing
keitaro-mcp needs no Node. Report tools point at it through `_meta.ui.resourceUri`; a host that renders MCP Apps
reads the resource and passes the tool's result to it, every other client ignores the `_meta` and reads the same
text and structured content as before.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

from mcp.server.apps import APP_MIME_TYPE, EXTENSION_ID
from mcp.types import Resource, TextResourceContents, Tool

__all__ = [
    "APP_MIME_TYPE",
    "EXTENSION_ID",
    "REPORT_URI",
    "VIEW_TOOLS",
    "link",
    "read_view",
    "report_html",
    "view_resources",
]

REPORT_URI = "ui://keitaro/report.html"

VIEW_TOOLS = frozenset({"build_report", "compare_periods", "export_report"})
"""Tools whose results are report-shaped (columns and rows, a period): the report view draws them."""

# Per the extension: the view asks for no network origin (no `csp` domains) and no permission; a host frame.
_RESOURCE_META: dict[str, Any] = {"ui": {"prefersBorder": True}}


@cache
def report_html() -> str:
    """The built report view: one HTML document, scripts and styles inlined."""
    return files(__package__).joinpath("report.html").read_text(encoding="utf-8")


def link(tool: Tool) -> Tool:
    """The tool as listed: report tools carry `_meta.ui.resourceUri` (16 cl100k tokens each), others unchanged."""
    if tool.name not in VIEW_TOOLS:
        return tool
    meta = {**(tool.meta or {}), "ui": {"resourceUri": REPORT_URI}}
    return tool.model_copy(update={"meta": meta})


def view_resources() -> list[Resource]:
    return [
        Resource(
            uri=REPORT_URI,
            name="report-view",
            title="Report view",
            description="Chart and sortable table of report results (MCP Apps).",
            mime_type=APP_MIME_TYPE,
            meta=_RESOURCE_META,
        )
    ]


def read_view(uri: str) -> list[TextResourceContents] | None:
    """The view's HTML for its `ui://` URI, or None for any other URI."""
    if uri != REPORT_URI:
        return None
    return [TextResourceContents(uri=uri, mime_type=APP_MIME_TYPE, text=report_html(), meta=_RESOURCE_META)]
