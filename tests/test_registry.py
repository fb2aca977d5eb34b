"""Invariants over every operation, and one schema+annotations snapshot per tool (python -m keitaro_mcp.docs)."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.shared.tool_name_validation import validate_tool_name

from keitaro_mcp.docs import SNAPSHOTS, render_snapshot
from keitaro_mcp.operations import OPERATIONS
from keitaro_mcp.registry import TRACKER_PLACEHOLDERS, Operation, Variant, select_operations
from keitaro_mcp.server import build_server
from keitaro_mcp.toolsets import ALL_TOOLSETS, DEFAULT_TOOLSETS
from tests.conftest import REGENERATE, make_settings
from tests.sandbox.contract import load_spec

ROOT = Path(__file__).parent.parent
IDS = [op.name for op in OPERATIONS]


def test_tool_names_are_unique_and_valid() -> None:
    names = [op.name for op in OPERATIONS]
    assert len(names) == len(set(names))
    for name in names:
        assert validate_tool_name(name).is_valid, name
        assert re.fullmatch(r"[a-z]+(_[a-z0-9]+)+", name), f"{name}: verb_resource snake_case"


def test_n8n_ids_are_camel_case() -> None:
    for op in OPERATIONS:
        assert re.fullmatch(r"[a-z][a-z_]*", op.resource), op.name
        assert re.fullmatch(r"[a-z][a-zA-Z]*", op.operation), op.name


@pytest.mark.parametrize("op", OPERATIONS, ids=IDS)
def test_entry_is_complete(op: Operation[Any]) -> None:
    assert op.description and len(op.description) <= 300, "a short description, from the params docstring"
    assert op.title and op.title[0].isupper()
    for name in op.path_fields:
        if name not in TRACKER_PLACEHOLDERS:
            assert name.endswith("_id") or name in ("log_type",), f"{op.name}: id arguments name their resource"
    if op.api == "tracker":
        # The tracker postback is a GET that records a conversion: a write, whatever the verb says.
        assert not op.read_only and op.path == "/{postback_key}/postback"


GET_CAMPAIGN = next(op for op in OPERATIONS if op.name == "get_campaign")


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"name": "GetCampaign"}, "snake_case"),
        ({"toolset": "everything"}, "unknown toolset"),
        ({"effect": "update"}, "an Admin API GET is a read"),
        ({"idempotent": False}, "a read is idempotent"),
        ({"method": "DELETE", "effect": "update"}, "DELETE archives or deletes"),
        ({"api": "tracker", "handler": None}, "need a handler"),
        ({"path": "/campaigns/{campaign}"}, "not fields of"),
        (
            {"variants": (Variant("state", "paused", "disable", "POST", "/campaigns/{campaign_id}/disable"),)},
            "first variant's",
        ),
        (
            {
                "method": "POST",
                "path": "/x",
                "operation": "enable",
                "variants": (Variant("state", "active", "enable", "POST", "/x"),),
            },
            "one field of",
        ),
    ],
)
def test_the_registry_refuses_an_incoherent_entry(change: dict[str, Any], says: str) -> None:
    with pytest.raises(ValueError, match=says):
        dataclasses.replace(GET_CAMPAIGN, **change)


@pytest.mark.parametrize("op", OPERATIONS, ids=IDS)
def test_input_schema_is_portable(op: Operation[Any]) -> None:
    schema = op.tool.input_schema
    text = json.dumps(schema)
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    assert "$ref" not in text and "$defs" not in text
    assert '"title"' not in text.replace('"title": {', "")  # property named "title" is fine, pydantic titles not
    for combinator in ("anyOf", "oneOf", "allOf"):
        assert combinator not in schema, "no top-level combinators"
    for name, prop in schema["properties"].items():
        assert "type" in prop or "enum" in prop or "anyOf" in prop, f"{name}: a property says what it takes"


KEITARO_READS = {("POST", "/report/build"), ("POST", "/clicks/log"), ("POST", "/conversions/log")}

ADDITIVE_TOOLS = {
    # Adds an entity or a copy of one.
    "create_campaign", "clone_campaign", "create_flow", "create_offer", "clone_offer", "create_landing_page",
    "clone_landing_page", "create_affiliate_network", "clone_affiliate_network", "create_traffic_source",
    "clone_traffic_source", "create_domain", "create_group", "create_user", "create_facebook_integration",
    # Adds a list entry, an association or an empty file.
    "add_bot_list_ips", "assign_facebook_integration_campaign", "add_offer_file",
    "add_landing_page_file",
    # Asks for a DNS/SSL re-check: no configured value changes.
    "check_domain",
    # Read the tracker and write a new local file (never an existing one).
    "export_report", "export_clicks",
}  # fmt: skip
"""The only writes with destructiveHint false: the MCP spec reads false as "only additive updates", and clients
auto-approve such tools. Adding a name here is a decision: the tool must never overwrite, remove or change a state.
create_conversion and test_postback are not here: without a tid a postback replaces the click's conversion; nor is
create_campaign_postback: it writes the campaign's whole postbacks array back (a concurrent edit would be lost)."""
CONFIRMED_TOOLS = {
    "clean_stats", "clean_campaign_archive", "clean_log", "clear_bot_list", "replace_bot_list", "update_costs",
    "update_campaign_costs", "delete_user", "delete_group", "delete_traffic_source", "delete_facebook_integration",
    "remove_offer_file", "remove_landing_page_file",
}  # fmt: skip
"""What cannot be undone (effects replace, delete, wipe)."""


@pytest.mark.anyio
async def test_listed_annotations_are_explicit_and_follow_keitaro_semantics() -> None:
    """What a client reads on tools/list (served from the tool index): all three hints on every tool, a read for
    every Admin API GET and for Keitaro's POST reads, destructive for every DELETE (it archives or deletes)."""
    async with Client(build_server(make_settings())) as client:
        listed = {tool.name: tool.annotations for tool in (await client.list_tools()).tools}
    by_name = {op.name: op for op in OPERATIONS}
    assert set(listed) == set(by_name), f"tools/list differs from the registry: run {REGENERATE}"
    assert {(op.method, op.path) for op in OPERATIONS} >= KEITARO_READS
    for name, ann in listed.items():
        op = by_name[name]
        assert ann is not None, name
        hints = (ann.read_only_hint, ann.destructive_hint, ann.idempotent_hint)
        assert all(isinstance(h, bool) for h in hints), f"{name}: {hints}"
        if (op.method == "GET" and op.api == "admin") or (op.method, op.path) in KEITARO_READS:
            assert not op.writes, f"{name}: {op.method} {op.path} reads the tracker"
        if op.method == "DELETE":
            assert ann.destructive_hint, f"{name}: DELETE archives or deletes"
        # The rule, over every tool: readOnly exactly for reads, destructive unless the tool is on the additive list.
        assert ann.read_only_hint == (op.effect == "read"), name
        assert ann.destructive_hint == (not ann.read_only_hint and name not in ADDITIVE_TOOLS), name
        if op.method == "DELETE" or op.effect in ("update", "upsert", "archive", "remove"):
            assert ann.destructive_hint, f"{name}: overwrites, removes, archives or changes a state"
    assert {n for n, op in by_name.items() if not op.read_only and not op.destructive} == ADDITIVE_TOOLS


def test_what_cannot_be_undone_is_marked_for_a_persons_confirmation() -> None:
    assert {op.name for op in OPERATIONS if op.confirmed} == CONFIRMED_TOOLS
    assert all(op.destructive for op in OPERATIONS if op.confirmed)


def test_read_only_mode_keeps_only_what_does_not_write_to_the_tracker() -> None:
    ops = select_operations(OPERATIONS, ALL_TOOLSETS, read_only=True)
    assert ops and not any(op.writes for op in ops)
    # Exports stay: they read the tracker and write a new local file.
    exports = {"export_report", "export_clicks"}
    assert {op.name for op in ops} == {op.name for op in OPERATIONS if op.read_only} | exports


def test_default_toolsets_are_small() -> None:
    default = select_operations(OPERATIONS, DEFAULT_TOOLSETS, read_only=False)
    assert 0 < len(default) <= 25


@pytest.mark.parametrize("op", OPERATIONS, ids=IDS)
def test_schema_snapshot(op: Operation[Any]) -> None:
    path = ROOT / SNAPSHOTS / f"{op.name}.json"
    assert path.exists(), f"no snapshot for {op.name}: run {REGENERATE} and commit it"
    assert path.read_text(encoding="utf-8") == render_snapshot(op), (
        f"{op.name}'s definition changed: run {REGENERATE}, review the snapshot's diff, commit it"
    )


def test_no_stale_snapshots() -> None:
    stale = {p.stem for p in (ROOT / SNAPSHOTS).glob("*.json")} - set(IDS)
    assert not stale, f"snapshots of removed tools {sorted(stale)}: run {REGENERATE}"


# Reference §3.3: paths unreliable clients call that Keitaro does not have. None may become a tool.
NOT_IN_KEITARO = {
    ("GET", "/report"), ("GET", "/clicks"), ("GET", "/clicks/{}"), ("GET", "/conversions"), ("GET", "/conversions/{}"),
    ("POST", "/conversions"), ("PUT", "/conversions/{}"), ("POST", "/clicks/update"), ("PUT", "/clicks/{}"),
    ("GET", "/campaigns/{}/streams/{}"), ("GET", "/streams"), ("POST", "/streams/{}/clone"), ("GET", "/stream_actions"),
    ("POST", "/streams/{}"), ("GET", "/report/types"), ("GET", "/report/schemas"), ("GET", "/report/definitions"),
    ("GET", "/campaign_groups"), ("GET", "/bot_list"), ("DELETE", "/offers/{}"), ("DELETE", "/groups/{}"),
}  # fmt: skip


def _norm(path: str) -> str:
    return re.sub(r"{[^}]+}", "{}", path)


def test_every_spec_operation_has_a_tool() -> None:
    spec = load_spec()
    wanted = {
        (m.upper(), _norm(p))
        for p, item in spec["paths"].items()
        for m in item
        if m in ("get", "post", "put", "delete")
    }
    assert len(wanted) == 107
    have = {(method, _norm(path)) for op in OPERATIONS if op.api == "admin" for _, method, path in op.endpoints}
    assert wanted - have == set(), "spec operations without a tool"


def test_no_tool_calls_an_endpoint_keitaro_does_not_have() -> None:
    for op in OPERATIONS:
        for _, method, path in op.endpoints:
            assert (method, _norm(path)) not in NOT_IN_KEITARO, op.name


@pytest.mark.anyio
async def test_descriptions_reach_the_model_as_single_lines() -> None:
    """A docstring wraps at the source's width; tools/list gives each description as one line of plain text."""
    broken: list[str] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "description" and isinstance(value, str) and ("\n" in value or "  " in value):
                    broken.append(f"{where}: {value!r}")
                else:
                    walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for value in node:
                walk(value, where)

    async with Client(build_server(make_settings())) as client:
        tools = (await client.list_tools()).tools
    assert len(tools) == len(OPERATIONS)
    for tool in tools:
        walk(tool.model_dump(by_alias=True, exclude_none=True), tool.name)
    assert not broken, "\n".join(broken)
