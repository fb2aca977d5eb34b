"""MCP Apps wiring: report tools link the report view, the view is a resource of the right type, the capability is
advertised, and a client with or without Apps support gets the same results as a server without the view."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import bpe_openai
import pytest
from mcp import Client
from mcp.client.extension import advertise

from keitaro_mcp import views
from keitaro_mcp.server import build_server
from tests.conftest import RecordingTransport, make_settings

pytestmark = pytest.mark.anyio

ENCODING = bpe_openai.get_encoding("cl100k_base")
APPS_CLIENT = [advertise(views.EXTENSION_ID, {"mimeTypes": [views.APP_MIME_TYPE]})]
COMMITTED = Path(views.__file__).with_name("report.html")


async def test_report_tools_link_the_view_and_no_other_tool_does() -> None:
    async with Client(build_server(make_settings(KEITARO_TOOLSETS="all"))) as client:
        tools = (await client.list_tools()).tools
        capabilities = client.server_capabilities
    linked = {t.name for t in tools if t.meta}
    assert linked == {"build_report", "compare_periods", "export_report"} == views.VIEW_TOOLS
    for tool in tools:
        if tool.name in linked:
            wire = tool.model_dump(by_alias=True, exclude_none=True, mode="json")
            assert wire["_meta"] == {"ui": {"resourceUri": "ui://keitaro/report.html"}}
    assert capabilities.extensions == {"io.modelcontextprotocol/ui": {}}


async def test_the_link_costs_16_tokens_a_report_tool_on_the_default_surface(monkeypatch: pytest.MonkeyPatch) -> None:
    async def tokens() -> int:
        async with Client(build_server(make_settings(KEITARO_TOOLSETS="default"))) as client:
            result = await client.list_tools()
        return len(ENCODING.encode(result.model_dump_json(by_alias=True, exclude_none=True, include={"tools"})))

    linked = await tokens()
    monkeypatch.setattr(views, "link", lambda tool: tool)
    unlinked = await tokens()
    assert linked - unlinked == 16 * len(views.VIEW_TOOLS), (linked, unlinked)


async def test_the_view_is_a_ui_resource_served_as_an_mcp_app() -> None:
    async with Client(build_server(make_settings(KEITARO_TOOLSETS="reports"))) as client:
        listed = {str(r.uri): r for r in (await client.list_resources()).resources}
        contents = (await client.read_resource(views.REPORT_URI)).contents
    resource = listed[views.REPORT_URI]
    assert resource.mime_type == "text/html;profile=mcp-app" == views.APP_MIME_TYPE
    assert resource.meta == {"ui": {"prefersBorder": True}}
    assert len(contents) == 1
    content = contents[0]
    assert content.mime_type == views.APP_MIME_TYPE
    assert content.meta == {"ui": {"prefersBorder": True}}
    assert getattr(content, "text", None) == COMMITTED.read_text(encoding="utf-8")


def test_the_view_is_one_self_contained_document() -> None:
    html = views.report_html()
    assert html.startswith("<!doctype html>") and html.rstrip().endswith("</html>")
    assert '<meta name="viewport"' in html
    # Scripts and styles inline, nothing to fetch: no src/href attribute, no stylesheet import, no url() to a host.
    assert html.count("<script>") == 1 and html.count("<style>") == 1
    tags = re.findall(r"<(?:script|link|img|iframe|source|use|image)\b[^>]*>", html)
    assert [t for t in tags if re.search(r"\b(src|href)\s*=", t)] == [], tags
    assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", html)
    assert len(html.encode()) < 600_000, "the view grew: check what the bundle pulls in (ui/build.mjs)"


async def test_results_are_the_same_for_every_client(wire: RecordingTransport, monkeypatch: pytest.MonkeyPatch) -> None:
    """A client with Apps support, one without, and a server without the view: the same text and structure."""
    calls: list[tuple[str, dict[str, Any]]] = [
        ("build_report", {"period": "last_7_days", "dimensions": ["day"], "measures": ["clicks", "revenue"]}),
        ("compare_periods", {"period": "last_7_days", "dimensions": ["campaign"], "measures": ["clicks"]}),
        ("compare_periods", {"period": "all_time"}),
    ]

    async def results(**client_options: Any) -> list[dict[str, Any]]:
        server = build_server(make_settings(), transport=wire)
        async with Client(server, **client_options) as client:
            answers = [await client.call_tool(name, args) for name, args in calls]
        dumped = [a.model_dump(by_alias=True, exclude_none=True, mode="json") for a in answers]
        for answer in dumped:
            assert "_meta" not in answer or "ui" not in answer["_meta"]
            assert json.loads(answer["content"][0]["text"]) == answer["structuredContent"]
        return dumped

    plain = await results()
    with_apps = await results(extensions=APPS_CLIENT)
    monkeypatch.setattr(views, "link", lambda tool: tool)
    without_view = await results()
    assert plain == with_apps == without_view
    assert plain[2]["isError"] is True
