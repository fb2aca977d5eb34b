"""Invariants over every operation, and one schema+annotations snapshot per tool (UPDATE_SNAPSHOTS=1 rewrites)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from mcp.shared.tool_name_validation import validate_tool_name

from keitaro_mcp.operations import OPERATIONS
from keitaro_mcp.registry import TRACKER_PLACEHOLDERS, Operation, select_operations
from keitaro_mcp.toolsets import ALL_TOOLSETS, DEFAULT_TOOLSETS
from tests.sandbox.contract import load_spec

SNAPSHOTS = Path(__file__).parent / "snapshots" / "tools"
UPDATE = os.environ.get("UPDATE_SNAPSHOTS") == "1"
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
def test_entry_is_complete(op: Operation) -> None:
    assert op.description and len(op.description) <= 300, "a short description, from the params docstring"
    assert op.title and op.title[0].isupper()
    assert op.toolset in ALL_TOOLSETS
    # Flags are explicit booleans and coherent.
    assert isinstance(op.read_only, bool) and isinstance(op.destructive, bool) and isinstance(op.idempotent, bool)
    if op.read_only:
        assert op.idempotent and not op.destructive
    for name in op.path_fields:
        if name in TRACKER_PLACEHOLDERS:
            assert op.api == "tracker"
            continue
        assert name in op.params.model_fields, f"{op.name}: path placeholder {name} is not a field"
        assert name.endswith("_id") or name in ("log_type",), f"{op.name}: id arguments name their resource"
    if op.method == "GET" and op.api == "admin":
        assert op.read_only, f"{op.name}: an Admin API GET is a read"
    if op.api == "tracker":
        # The tracker postback is a GET that records a conversion: a write, whatever the verb says.
        assert not op.read_only and op.handler is not None and op.path == "/{postback_key}/postback"


@pytest.mark.parametrize("op", OPERATIONS, ids=IDS)
def test_input_schema_is_portable(op: Operation) -> None:
    schema = op.tool.input_schema
    text = json.dumps(schema)
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    assert "$ref" not in text and "$defs" not in text
    assert '"title"' not in text.replace('"title": {', "")  # property named "title" is fine, pydantic titles not
    for combinator in ("anyOf", "oneOf", "allOf"):
        assert combinator not in schema, "no top-level combinators"
    for name, prop in schema["properties"].items():
        assert "description" in prop or "enum" in prop or "type" in prop or "anyOf" in prop, name


@pytest.mark.parametrize("op", OPERATIONS, ids=IDS)
def test_annotations_are_declared(op: Operation) -> None:
    ann = op.tool.annotations
    assert ann is not None
    assert ann.read_only_hint is op.read_only
    assert ann.destructive_hint is op.destructive
    assert ann.idempotent_hint is op.idempotent


def test_keitaro_reads_with_post_are_read_only() -> None:
    by_path = {(op.method, op.path): op for op in OPERATIONS}
    for method, path in [("POST", "/report/build"), ("POST", "/clicks/log"), ("POST", "/conversions/log")]:
        op = by_path.get((method, path))
        if op is not None:
            assert op.read_only, f"{method} {path} is a read"
    for op in OPERATIONS:
        if op.method == "DELETE":
            assert op.destructive, f"{op.name}: DELETE archives or deletes"
        if op.path.endswith("/clicks/clean"):
            assert op.destructive and "confirm" in op.params.model_fields


def test_read_only_mode_keeps_only_reads() -> None:
    ops = select_operations(OPERATIONS, ALL_TOOLSETS, read_only=True)
    assert ops and all(op.read_only for op in ops)
    assert {op.name for op in ops} == {op.name for op in OPERATIONS if op.read_only}


def test_default_toolsets_are_small() -> None:
    default = select_operations(OPERATIONS, DEFAULT_TOOLSETS, read_only=False)
    assert 0 < len(default) <= 25


def _snapshot(op: Operation) -> dict[str, Any]:
    return op.tool.model_dump(by_alias=True, exclude_none=True, mode="json") | {
        "x-keitaro": {
            "method": op.method,
            "path": op.path,
            "api": op.api,
            "toolset": op.toolset,
            "n8n": f"{op.resource}/{op.operation}",
        }
    }


@pytest.mark.parametrize("op", OPERATIONS, ids=IDS)
def test_schema_snapshot(op: Operation) -> None:
    path = SNAPSHOTS / f"{op.name}.json"
    current = json.dumps(_snapshot(op), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(current, encoding="utf-8")
    assert path.exists(), f"no snapshot for {op.name}: run UPDATE_SNAPSHOTS=1 pytest tests/test_registry.py"
    assert path.read_text(encoding="utf-8") == current, f"{op.name} changed: review, then UPDATE_SNAPSHOTS=1"


def test_no_stale_snapshots() -> None:
    names = {p.stem for p in SNAPSHOTS.glob("*.json")}
    stale = names - set(IDS)
    if UPDATE:
        for name in stale:
            (SNAPSHOTS / f"{name}.json").unlink()
        stale = set()
    assert not stale, f"snapshots of removed tools: {sorted(stale)}"


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
    have = {(op.method, _norm(op.path)) for op in OPERATIONS if op.api == "admin"}
    assert wanted - have == set(), "spec operations without a tool"


def test_no_tool_calls_an_endpoint_keitaro_does_not_have() -> None:
    for op in OPERATIONS:
        assert (op.method, _norm(op.path)) not in NOT_IN_KEITARO, op.name


def test_every_tool_has_a_wire_test() -> None:
    tests = Path(__file__).parent
    text = "\n".join(
        p.read_text(encoding="utf-8") for d in ("operations", "reports") for p in (tests / d).glob("test_*.py")
    )
    untested = [op.name for op in OPERATIONS if f'"{op.name}"' not in text]
    assert not untested, f"tools without a wire test in tests/operations or tests/reports: {untested}"
