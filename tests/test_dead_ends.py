"""No dead ends: every tool a text names is one the surface exposes, or the text says what enables it.

Checked over the default surface, all toolsets, each toolset alone and read-only mode, on everything the model
reads: the server's instructions, tool descriptions (and every description in their schemas), prompts (listed and
rendered), resources (listed and read) and error hints. A tool outside the surface may only appear as "enable
toolset <its toolset> for <tool>"; a write hidden by read-only mode may not appear at all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from mcp import Client
from mcp.types import TextContent, TextResourceContents

from keitaro_mcp.errors import HINTS
from keitaro_mcp.report_catalog import DIMENSIONS, MEASURES
from keitaro_mcp.server import build_server
from keitaro_mcp.tool_index import load_cards
from keitaro_mcp.toolsets import ALL_TOOLSETS
from tests.conftest import make_settings

pytestmark = pytest.mark.anyio

CARDS = {card.name: card for card in load_cards()}
MENTION = re.compile(
    r"(?<![A-Za-z0-9_])(?:" + "|".join(sorted(map(re.escape, CARDS), key=len, reverse=True)) + r")(?![A-Za-z0-9_])"
)
SURFACES = [
    ("default", {}),
    ("all", {"KEITARO_TOOLSETS": "all"}),
    *((f"only {name}", {"KEITARO_TOOLSETS": name}) for name in sorted(ALL_TOOLSETS)),
    ("read-only default", {"KEITARO_READ_ONLY": "true"}),
    ("read-only all", {"KEITARO_TOOLSETS": "all", "KEITARO_READ_ONLY": "true"}),
]
PROMPT_ARGS = {"debug_missing_conversions": {"sub_id": "abc"}}
VERBS = (
    "list|get|update|create|set|find|build|compare|debug|export|archive|restore|clone|delete|add|remove|download|check|"
    "clean|clear|replace|exclude|assign|unassign|search|test|enable|disable"
)
TOOL_LIKE = re.compile(rf"(?<![\w/.])(?:{VERBS})_[a-z0-9_*]+")
"""A name shaped like a tool's (verb_resource): it must be one, unless it is a report column or a flow trigger's
Keitaro value."""
NOT_TOOLS = {*DIMENSIONS, *MEASURES, "replace_url", "grab_from_page"}


@dataclass(frozen=True)
class Seen:
    exposed: frozenset[str]
    read_only: bool

    def problems(self, where: str, text: str) -> Iterator[str]:
        for match in TOOL_LIKE.finditer(text):
            if match.group(0) not in CARDS and match.group(0) not in NOT_TOOLS:
                yield f"{where}: names {match.group(0)}, which is no tool: {text!r}"
        for match in MENTION.finditer(text):
            name = match.group(0)
            if name in self.exposed:
                continue
            card = CARDS[name]
            if self.read_only and card.writes:
                yield f"{where}: names {name}, a write this read-only surface cannot have: {text!r}"
                continue
            enable = f"enable toolset {card.toolset} for "
            if text[: match.start()].endswith(enable):
                continue
            yield f"{where}: names {name} (toolset {card.toolset}) without saying what enables it: {text!r}"


def descriptions(node: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "description" and isinstance(value, str):
                yield where, value
            else:
                yield from descriptions(value, f"{where}.{key}")
    elif isinstance(node, list):
        for value in node:
            yield from descriptions(value, where)


def _ids(tool: Any) -> set[str]:
    return {name for name in tool.input_schema.get("properties", {}) if name.endswith("_id") and name != "sub_id"}


def failing(request: httpx.Request) -> httpx.Response:
    return httpx.Response(500, json={"error": "boom"})


@pytest.mark.parametrize(("label", "env"), SURFACES, ids=[label for label, _ in SURFACES])
async def test_every_text_names_only_tools_the_surface_has(label: str, env: dict[str, str]) -> None:
    settings = make_settings(**env)
    texts: list[tuple[str, str]] = []
    async with Client(build_server(settings, transport=httpx.MockTransport(failing))) as client:
        tools = (await client.list_tools()).tools
        seen = Seen(frozenset(t.name for t in tools), settings.read_only)
        texts.append(("instructions", client.instructions or ""))
        for tool in tools:
            texts += descriptions(tool.model_dump(by_alias=True, exclude_none=True), tool.name)
        for prompt in (await client.list_prompts()).prompts:
            texts += descriptions(prompt.model_dump(exclude_none=True), f"prompt {prompt.name}")
            got = await client.get_prompt(prompt.name, PROMPT_ARGS.get(prompt.name, {}))
            for message in got.messages:
                assert isinstance(message.content, TextContent)
                texts.append((f"prompt {prompt.name}", message.content.text))
        for resource in (await client.list_resources()).resources:
            texts.append((f"resource {resource.uri}", resource.description or ""))
            if resource.mime_type == "application/json":
                for content in (await client.read_resource(str(resource.uri))).contents:
                    assert isinstance(content, TextResourceContents)
                    texts.append((f"resource {resource.uri}", content.text))
        # Error hints and messages as a failed call returns them (the tracker answers 500 to everything).
        reads = [t for t in tools if t.annotations is not None and t.annotations.read_only_hint]
        for tool in reads[:3]:
            required = tool.input_schema.get("required", [])
            arguments = {name: 1 for name in required if name.endswith("_id")}
            result = await client.call_tool(tool.name, arguments)
            envelope = result.structured_content or {}
            error = envelope.get("error") or {}
            texts += [(f"{tool.name} error", str(error.get(k, ""))) for k in ("message", "hint")]
    problems = [problem for where, text in texts for problem in seen.problems(where, text)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("label", "env"), SURFACES, ids=[label for label, _ in SURFACES])
async def test_every_error_hint_is_rendered_for_the_surface(label: str, env: dict[str, str]) -> None:
    """Each error kind's hint, through the server's own rendering (a MockTransport answers with the status)."""
    settings = make_settings(**env)
    statuses = {"auth": 401, "forbidden": 403, "not_found": 404, "validation": 422, "rate_limited": 429,
                "server": 500}  # fmt: skip
    for kind, status in statuses.items():

        def answer(request: httpx.Request, status: int = status) -> httpx.Response:
            # A long Retry-After is reported, not waited for: the 429 case costs no retry sleeps.
            return httpx.Response(status, json={"error": "no"}, headers={"Retry-After": "3600"})

        async with Client(build_server(settings, transport=httpx.MockTransport(answer))) as client:
            tools = (await client.list_tools()).tools
            seen = Seen(frozenset(t.name for t in tools), settings.read_only)
            # A tool whose required arguments are ids (every surface has one but labels alone, whose get_labels
            # needs a campaign id and two names: given below).
            args = {"campaign_id": 1, "ref_name": "ip", "label_name": "blacklist"}
            tool = next(
                t
                for t in tools
                if t.annotations is not None and t.annotations.read_only_hint
                and set(t.input_schema.get("required", [])) <= set(args) | _ids(t)
            )  # fmt: skip
            required = tool.input_schema.get("required", [])
            result = await client.call_tool(tool.name, {name: args.get(name, 1) for name in required})
            envelope = result.structured_content or {}
            hint = envelope["error"]["hint"]
            assert envelope["error"]["kind"] == kind, envelope["error"]
            problems = list(seen.problems(f"{kind} hint", hint))
            assert not problems, problems
    assert set(statuses) <= set(HINTS)


def test_the_check_finds_a_dead_end() -> None:
    seen = Seen(frozenset({"list_campaigns"}), read_only=True)
    assert list(seen.problems("x", "ids: list_campaigns")) == []
    assert list(seen.problems("x", "archived: list_deleted_flows"))
    assert list(seen.problems("x", "archived: enable toolset flows_admin for list_deleted_flows")) == []
    assert list(seen.problems("x", "archived: enable toolset flows for list_deleted_flows"))
    assert list(seen.problems("x", "undo: enable toolset campaigns_admin for restore_campaign"))  # a write
    assert list(seen.problems("x", "see list_logs type=system"))  # no such tool
    assert json.dumps(sorted(CARDS))  # every tool is known to the check


async def test_a_pointer_across_toolsets_says_what_enables_it() -> None:
    async def description(**env: str) -> str:
        async with Client(build_server(make_settings(**env))) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
        return tools["update_offer"].description or ""

    assert "other settings: enable toolset offers_admin for update_offer_settings" in await description(
        KEITARO_TOOLSETS="default"
    )
    assert "other settings: update_offer_settings" in await description(KEITARO_TOOLSETS="all")
