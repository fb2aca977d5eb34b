"""Every tool's inputSchema as tools/list serves it: valid JSON Schema 2020-12, standard keywords only, portable
(what the MCP Inspector's --strict lint asks: a single `type` per schema, no schema that constrains nothing), every
array's items typed (or, for a tuple, its positions); closed vocabularies published as enums or patterns; request
bodies carrying what Keitaro's document requires; and the `period` argument speaking the periods resource's
vocabulary."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from mcp import Client

from keitaro_mcp.operations import OPERATIONS
from keitaro_mcp.periods import PeriodArgs, parse_period
from keitaro_mcp.report_catalog import DIMENSIONS, KEITARO_PRESETS, MEASURES, PERIODS
from keitaro_mcp.server import build_server
from tests.conftest import Kt, make_settings
from tests.sandbox.contract import load_spec

pytestmark = pytest.mark.anyio

ANNOTATIONS = {"title", "description", "default", "examples", "deprecated", "readOnly", "writeOnly", "$comment",
               "format", "contentMediaType", "contentEncoding", "contentSchema", "$schema", "$id", "$defs",
               "$anchor", "$dynamicAnchor", "$vocabulary"}  # fmt: skip
STANDARD = set(Draft202012Validator.VALIDATORS) | ANNOTATIONS
SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "dependentSchemas")
SCHEMA_VALUES = ("items", "additionalProperties", "not", "contains", "propertyNames", "if", "then", "else",
                 "unevaluatedItems", "unevaluatedProperties")  # fmt: skip
SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
CONSTRAINING = STANDARD - ANNOTATIONS


def subschemas(node: dict[str, Any], path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema inside `node` (itself first), with its path."""
    yield path, node
    for key in SCHEMA_MAPS:
        for name, sub in (node.get(key) or {}).items():
            yield from subschemas(sub, f"{path}.{key}.{name}")
    for key in SCHEMA_VALUES:
        if isinstance(node.get(key), dict):
            yield from subschemas(node[key], f"{path}.{key}")
    for key in SCHEMA_LISTS:
        for i, sub in enumerate(node.get(key) or []):
            yield from subschemas(sub, f"{path}.{key}[{i}]")


def schema_problems(schema: dict[str, Any]) -> list[str]:
    problems = [f"meta-schema: {e.message} at {list(e.absolute_path)}" for e in
                Draft202012Validator(Draft202012Validator.META_SCHEMA).iter_errors(schema)]  # fmt: skip
    for path, node in subschemas(schema, "inputSchema"):
        problems += [f"{path}: {key!r} is not a JSON Schema 2020-12 keyword" for key in node if key not in STANDARD]
        if isinstance(node.get("type"), list):
            problems.append(f"{path}: a list of types (split it into anyOf branches)")
        if not CONSTRAINING & set(node):
            problems.append(f"{path}: constrains nothing")
        if node.get("type") == "array":
            # Typed items, or a tuple whose positions are typed (a filter: [name, OPERATOR, value]).
            items = node.get("items")
            typed = isinstance(items, dict) and CONSTRAINING & set(items)
            if not typed and not node.get("prefixItems"):
                problems.append(f"{path}: an array without typed items")
    return problems


async def listed_schemas() -> dict[str, dict[str, Any]]:
    async with Client(build_server(make_settings(KEITARO_TOOLSETS="all"))) as client:
        return {tool.name: tool.input_schema for tool in (await client.list_tools()).tools}


async def test_every_input_schema_is_standard_portable_json_schema() -> None:
    listed = await listed_schemas()
    assert set(listed) == {op.name for op in OPERATIONS}
    problems = [f"{name}: {problem}" for name, schema in listed.items() for problem in schema_problems(schema)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("schema", "says"),
    [
        ({"type": "object", "properties": {"a": {"type": "integer", "ge": 0}}}, "'ge' is not a JSON Schema"),
        ({"type": "object", "properties": {"a": {"type": "array", "items": {}}}}, "without typed items"),
        ({"type": "object", "properties": {"a": {"type": "array"}}}, "without typed items"),
        ({"type": "object", "properties": {"a": {"type": ["string", "null"]}}}, "a list of types"),
        ({"type": "object", "properties": {"a": {"description": "anything"}}}, "constrains nothing"),
        ({"type": "object", "properties": {"a": {"type": "strin"}}}, "meta-schema"),
    ],
)
def test_the_schema_check_finds_what_it_looks_for(schema: dict[str, Any], says: str) -> None:
    assert any(says in problem for problem in schema_problems(schema)), schema_problems(schema)


async def test_closed_vocabularies_are_published() -> None:
    listed = await listed_schemas()
    for tool in ("get_labels", "update_labels"):
        pattern = listed[tool]["properties"]["ref_name"]["pattern"]
        assert all(re.fullmatch(pattern, v) for v in ("ip", "keyword", "sub_id_1", "sub_id_30"))
        assert not any(re.fullmatch(pattern, v) for v in ("sub_id_31", "ad_campaign_idn", "IP", "sub_id_0"))
    assert listed["get_labels"]["properties"]["label_name"]["enum"] == ["whitelist", "blacklist"]


STATE_WORDS = {"active", "paused", "archived", "all"}
"""An entity's state as lists, find_entity and receipts say it; Keitaro's `disabled`/`deleted` stay on the wire."""


def state_enums(schema: dict[str, Any]) -> dict[str, list[Any]]:
    """Each `state` argument's enum (top-level or nested, e.g. a flow's offers), by its path."""
    found = {}
    for path, node in subschemas(schema, "inputSchema"):
        if path.endswith(".properties.state"):
            for inner, branch in subschemas(node, path):
                if "enum" in branch:
                    found[inner] = branch["enum"]
    return found


async def test_every_state_argument_speaks_the_words_lists_answer_with() -> None:
    listed = await listed_schemas()
    enums = {f"{name}: {path}": enum for name, schema in listed.items() for path, enum in state_enums(schema).items()}
    strays = {where: enum for where, enum in enums.items() if not set(enum) <= STATE_WORDS}
    assert not strays, f"a state argument takes words lists never answer with: {strays}"
    writes = ("create_campaign", "update_flow", "create_flow", "update_landing_page", "update_traffic_source")
    for tool in writes:
        assert any(where.startswith(f"{tool}: ") and "paused" in enum for where, enum in enums.items()), tool
    stray = {"type": "object", "properties": {"state": {"anyOf": [{"enum": ["active", "disabled"]}, {"type": "null"}]}}}
    assert set(state_enums(stray).popitem()[1]) - STATE_WORDS == {"disabled"}, "the check sees a raw Keitaro word"


def test_request_bodies_carry_what_the_api_document_requires() -> None:
    """A required body field of Keitaro's document is a required argument, or has a default that is always sent;
    a tool with its own body mapping (`build`) is checked on the wire against the document (tests/conftest.py)."""
    spec = load_spec()
    schemas = spec["components"]["schemas"]
    missing = []
    for op in OPERATIONS:
        for _, method, path in op.endpoints:
            document = spec["paths"].get(re.sub(r"{\w+}", "{id}", path), {}).get(method.lower(), {})
            body = document.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if op.api != "admin" or body is None or op.build is not None or op.handler is not None:
                continue
            while "$ref" in body:
                body = schemas[body["$ref"].rsplit("/", 1)[1]]
            fields = {(f.alias or name): f for name, f in op.params.model_fields.items()}
            for name in body.get("required", []):
                field = fields.get(name)
                if field is None or not (field.is_required() or field.default is not None):
                    missing.append(f"{op.name}: {name}")
    assert not missing, f"required by Keitaro's document but not always sent: {missing}"


def test_the_period_argument_speaks_the_periods_resource_vocabulary() -> None:
    described = PeriodArgs.model_fields["period"].description or ""
    names = [n.strip() for n in described.rstrip(".").split(",")]
    assert names == list(PERIODS), described
    examples = {"last_N_days": "last_30_days", "YYYY-MM-DD": "2026-03-01", "FROM..TO": "2026-03-01..2026-03-07"}
    for name in (*PERIODS, *KEITARO_PRESETS):
        parse_period(examples.get(name, name))  # every name the resource gives is one the argument takes


async def test_the_names_a_report_argument_suggests_are_names_it_takes() -> None:
    """The names after "Default:" or "e.g." are copied by the model: each must be a catalogue name."""
    listed = await listed_schemas()
    vocabulary = {"dimensions": DIMENSIONS, "measures": MEASURES}
    wrong, seen = [], 0
    for tool, schema in listed.items():
        for argument, names in vocabulary.items():
            described = schema["properties"].get(argument, {}).get("description")
            if described is None:
                continue
            listed_names = re.sub(r"^(Default:|e\.g\.)", "", described.split("keitaro://")[0].strip()).strip(" .")
            suggested = [name.strip() for name in listed_names.split(",")]
            seen += len(suggested)
            wrong += [f"{tool}.{argument}: {name!r}" for name in suggested if name not in names]
    assert seen >= 10, "the report tools suggest names"
    assert not wrong, f"suggested names the argument refuses: {wrong}"


async def test_a_read_that_needs_one_of_its_optional_arguments_says_which(kt: Kt) -> None:
    """A rule across fields (give this or that) cannot be a top-level schema combinator (clients reject those), so
    the description says it: a read whose schema requires nothing but which refuses no arguments names the fields
    its refusal names."""
    tools = (await kt.client.list_tools()).tools
    optional_reads = [t for t in tools if t.annotations and t.annotations.read_only_hint and not t.input_schema.get(
        "required")]  # fmt: skip
    unsaid = []
    for tool in optional_reads:
        envelope = await kt.call(tool.name, {})
        if envelope["success"]:
            continue
        assert envelope["error"]["kind"] == "invalid_arguments", envelope["error"]
        named = {field for field in tool.input_schema["properties"] if field in envelope["error"]["message"]}
        description = tool.description or ""
        if not named or not all(re.search(rf"\b{field}\b", description) for field in named):
            unsaid.append(f"{tool.name}: refuses {{}} ({envelope['error']['message']}) but says {description!r}")
    assert len(optional_reads) > 20
    assert not unsaid, "\n".join(unsaid)
