"""The generated tool index equals what the registry builds, and the server lists tools without importing them."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from mcp import Client

from keitaro_mcp import server, tool_index
from keitaro_mcp.operations import OPERATIONS, by_module
from keitaro_mcp.tool_index import INDEX_PATH, load_cards, render_index
from tests.conftest import REGENERATE, Kt, RecordingTransport, make_settings


def test_index_is_current() -> None:
    fresh = render_index(by_module())
    assert INDEX_PATH.read_text(encoding="utf-8") == fresh, f"stale tool index: run {REGENERATE}"


def test_cards_carry_the_registry_facts_and_the_wire_definition() -> None:
    cards = {card.name: card for card in load_cards()}
    assert list(cards) == [op.name for op in OPERATIONS], f"stale tool index: run {REGENERATE}"
    for op in OPERATIONS:
        card = cards[op.name]
        assert (card.toolset, card.effect, card.idempotent) == (op.toolset, op.effect, op.idempotent)
        assert (card.read_only, card.destructive, card.writes, card.confirmed) == (
            op.read_only, op.destructive, op.writes, op.confirmed,
        )  # fmt: skip
        assert (card.method, card.path, card.api, card.resource, card.operation) == (
            op.method, op.path, op.api, op.resource, op.operation,
        )  # fmt: skip
        assert card.tool == op.tool


@pytest.mark.slow  # a fresh interpreter
def test_listing_tools_imports_no_operation_module_and_a_call_imports_one() -> None:
    code = """
import sys, anyio, httpx
from mcp import Client
from keitaro_mcp.server import build_server
from keitaro_mcp.settings import load_settings

def answer(request):
    return httpx.Response(200, json={"id": 1})

async def main():
    settings = load_settings({"KEITARO_URL": "https://t.example", "KEITARO_API_KEY": "k" * 12})
    async with Client(build_server(settings, transport=httpx.MockTransport(answer))) as client:
        tools = (await client.list_tools()).tools
        before = sorted(m for m in sys.modules if m.startswith("keitaro_mcp.operations."))
        result = await client.call_tool("get_campaign", {"campaign_id": 1})
        after = sorted(m for m in sys.modules if m.startswith("keitaro_mcp.operations."))
    print(json.dumps({"tools": len(tools), "before": before, "after": after, "ok": not result.is_error}))

import json
import re
anyio.run(main)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    seen = json.loads(out)
    assert seen["tools"] > 0 and seen["ok"]
    assert seen["before"] == [], "listing tools imported operation modules"
    assert "keitaro_mcp.operations.campaigns" in seen["after"]
    assert "keitaro_mcp.operations.landing_pages" not in seen["after"]


@pytest.mark.anyio
async def test_a_wire_test_calling_a_tool_missing_from_the_index_names_the_command(
    wire: RecordingTransport, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new entry whose index was not regenerated: the server does not know the tool, and the test says why."""
    stale = tuple(card for card in load_cards() if card.name != "get_campaign")
    monkeypatch.setattr(tool_index, "load_cards", lambda: stale)
    monkeypatch.setattr(server, "load_cards", lambda: stale)
    async with Client(server.build_server(make_settings(), transport=wire)) as client:
        with pytest.raises(pytest.fail.Exception, match=re.escape(REGENERATE)):
            await Kt(client, wire).call("get_campaign", {"campaign_id": 1})
    assert wire.sent == []
