"""Schema-driven fuzzing of every tool in the registry (used by tests/reliability/test_fuzz.py and
benchmarks/fuzz_bench.py).

For each operation, Hypothesis draws arguments from the tool's own `inputSchema` (hypothesis-jsonschema: valid
arguments) and from mutations of them (wrong types, unknown fields, missing required fields, arbitrary JSON:
invalid arguments). Each case is sent through an MCP client to our server, which talks to a sandbox tracker. The
invariant, for every call: the answer is a tool result carrying an envelope (success, or an error with a known
kind and a hint) whose resource/operation are the tool's, `isError` matches, no protocol error, no hang, and an
`invalid_arguments` error sent nothing to the tracker.
"""

from __future__ import annotations

import json
import math
import time
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, get_args

import anyio
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from mcp import Client

from keitaro_mcp.errors import ErrorKind
from keitaro_mcp.registry import Operation

__all__ = ["CALL_TIMEOUT", "Case", "FuzzFailure", "Tally", "call_case", "cases_for", "envelope_problem"]

KINDS = frozenset(get_args(ErrorKind))
CALL_TIMEOUT = 20.0
"""Seconds one call may take before it counts as a hang."""


def _install_hypothesis_compat() -> None:
    """hypothesis-jsonschema 0.23 drives `conjecture.utils.many` with the `.more()` API that Hypothesis 6.1xx
    replaced by iteration; give it the old face (only inside hypothesis-jsonschema)."""
    import hypothesis_jsonschema._from_schema as hjs
    from hypothesis.internal.conjecture import utils as cu

    if hasattr(cu.many, "more") or isinstance(hjs.cu, SimpleNamespace):  # type: ignore[attr-defined]
        return

    class _Many:
        def __init__(self, data: Any, **kwargs: Any) -> None:
            self._inner = cu.many(data, **kwargs)
            self._inner.__enter__()
            self._steps = iter(self._inner)

        def more(self) -> bool:
            try:
                next(self._steps)
            except StopIteration:
                self._inner.__exit__(None)
                return False
            return True

        def reject(self, why: str | None = None) -> None:
            self._inner.reject(why)

    hjs.cu = SimpleNamespace(many=_Many)  # type: ignore[attr-defined,assignment]


_install_hypothesis_compat()
from hypothesis_jsonschema import from_schema  # noqa: E402 - after the compatibility shim

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
TRICKY_STRINGS = st.sampled_from(
    [
        "",
        " ",
        "0",
        "-1",
        "1e309",
        "null",
        "../../etc/passwd",
        "%2e%2e%2f",
        "a/b?c=d#e",
        "{campaign_id}",
        "' OR 1=1 --",
        "<script>alert(1)</script>",
        "\x00",
        "\u202e\u0000\ud7ff",
        "Кампания",
        "🙂" * 50,
        "x" * 5000,
    ]
)


SMALL_VALUES = JSON_SCALARS | TRICKY_STRINGS
JSON_VALUES = (
    SMALL_VALUES
    | st.lists(SMALL_VALUES, max_size=4)
    | st.dictionaries(st.text(max_size=12), SMALL_VALUES, max_size=3)
    | st.lists(st.dictionaries(st.text(max_size=8), SMALL_VALUES, max_size=2), max_size=2)
)
"""Flat rather than st.recursive: as good at breaking validation, and ten times cheaper to draw."""


@dataclass(frozen=True)
class Case:
    tool: str
    kind: str  # "valid" (from the schema) or "invalid" (mutated / arbitrary)
    arguments: Any


def _draw(strategy: st.SearchStrategy[Any], n: int, seed_label: str) -> list[Any]:
    """Up to `n` distinct examples, deterministic (derandomized) for a given label."""
    out: list[Any] = []
    seen: set[str] = set()

    @settings(
        max_examples=n,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @seed(zlib.crc32(seed_label.encode()))  # deterministic, and different per tool
    @given(strategy)
    def collect(value: Any) -> None:
        key = json.dumps(value, sort_keys=True, default=repr)
        if key not in seen:
            seen.add(key)
            out.append(value)

    collect()
    return out


def _invalid(schema: dict[str, Any], valid: list[dict[str, Any]]) -> st.SearchStrategy[Any]:
    """Arbitrary values for known fields, unknown fields, and mutations of the valid examples already drawn."""
    properties: dict[str, Any] = schema.get("properties", {})
    names = sorted(properties)
    required = list(schema.get("required", []))
    field_names = st.sampled_from(names) if names else st.nothing()
    anything = JSON_VALUES
    options: list[st.SearchStrategy[Any]] = [
        # Known field names with arbitrary values (wrong types, out of range, nested junk).
        st.dictionaries(field_names, anything, min_size=1, max_size=min(len(names), 4)) if names else st.just({}),
        # Unknown fields.
        st.dictionaries(st.text(min_size=1, max_size=15).filter(lambda k: k not in properties), anything, min_size=1),
        # Not an object at all, or an empty one when something is required.
        st.just({}) if required else st.just({"_unknown": 1}),
    ]
    if valid and names:

        @st.composite
        def mutate(draw: Callable[..., Any]) -> dict[str, Any]:
            base = dict(draw(st.sampled_from(valid)))
            how = draw(st.sampled_from(["retype", "drop", "extra", "huge"]))
            if how == "drop" and required:
                base.pop(draw(st.sampled_from(required)), None)
            elif how == "extra":
                base[draw(st.text(min_size=1, max_size=10).filter(lambda k: k not in properties))] = draw(anything)
            elif how == "huge":
                name = draw(field_names)
                base[name] = draw(st.sampled_from([2**63, -(2**63) - 1, 10**30, "9" * 400, 1e308, -1e308]))
            else:
                base[draw(field_names)] = draw(anything)
            return base

        options.append(mutate())
    return st.one_of(options)


def cases_for(op: Operation[Any], valid: int, invalid: int, salt: str = "") -> list[Case]:
    """Deterministic valid and invalid argument sets for one tool (`salt` picks another deterministic set)."""
    schema = op.tool.input_schema
    try:
        good = _draw(from_schema(schema), valid, f"{op.name}_valid{salt}") if valid else []
    except Exception:  # a schema hypothesis-jsonschema cannot generate from: invalid cases only
        good = []
    bad = _draw(_invalid(schema, good), invalid, f"{op.name}_invalid{salt}") if invalid else []
    return [Case(op.name, "valid", a) for a in good] + [Case(op.name, "invalid", a) for a in bad]


class FuzzFailure(AssertionError):
    """One call broke the invariant."""


def envelope_problem(op: Operation[Any], result: Any) -> str | None:
    """Why a tool result is not a proper envelope for `op`, or None."""
    env = result.structured_content
    if not isinstance(env, dict):
        return f"no structuredContent envelope: {result.content!r:.300}"
    for key in ("request", "resource", "operation", "success", "data"):
        if key not in env:
            return f"envelope without {key!r}"
    operations = {operation for operation, _, _ in op.endpoints}  # a tool with variants names the one performed
    if env["resource"] != op.resource or env["operation"] not in operations:
        expected = "|".join(sorted(operations))
        return f"envelope names {env['resource']}/{env['operation']}, expected {op.resource}/{expected}"
    if result.is_error != (not env["success"]):
        return f"isError={result.is_error} but success={env['success']}"
    if not isinstance(env["request"], dict) or "method" not in env["request"]:
        return "envelope.request is not {url, method, headers}"
    if env["success"]:
        if "error" in env:
            return "a successful envelope carries an error"
        return None
    error = env.get("error")
    if not isinstance(error, dict):
        return "failed envelope without error"
    if error.get("kind") not in KINDS:
        return f"unknown error kind {error.get('kind')!r}"
    if not error.get("message") or not error.get("hint"):
        return "error without message or hint"
    text = result.content[0].text if result.content else ""
    if json.loads(text) != env:
        return "text content differs from structuredContent"
    return None


@dataclass
class Tally:
    """Counts by tool and by outcome (ok or the error kind)."""

    by_tool: Counter[str] = field(default_factory=Counter)
    by_outcome: Counter[str] = field(default_factory=Counter)
    by_kind_and_input: Counter[tuple[str, str]] = field(default_factory=Counter)
    by_tool_and_outcome: Counter[tuple[str, str]] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    slowest: tuple[float, str] = (0.0, "")

    @property
    def calls(self) -> int:
        return sum(self.by_tool.values())


async def call_case(
    client: Client, op: Operation[Any], case: Case, tracker_requests: Callable[[], int], tally: Tally
) -> None:
    """Run one case and record its outcome; a broken invariant goes to `tally.failures`."""
    shown = json.dumps(case.arguments, ensure_ascii=False, default=repr)
    shown = shown if len(shown) <= 300 else shown[:300] + "..."
    before = tracker_requests()
    started = time.monotonic()
    outcome = "crash"
    try:
        with anyio.fail_after(CALL_TIMEOUT):
            result = await client.call_tool(case.tool, case.arguments)
    except TimeoutError:
        outcome = "hang"
        tally.failures.append(f"{case.tool} {case.kind} {shown}: no answer within {CALL_TIMEOUT:g} s")
    except Exception as exc:  # a protocol error (MCPError) or a crash in the server
        outcome = "protocol_error"
        tally.failures.append(f"{case.tool} {case.kind} {shown}: {type(exc).__name__}: {exc}"[:800])
    else:
        problem = envelope_problem(op, result)
        env = result.structured_content if isinstance(result.structured_content, dict) else {}
        outcome = "ok" if env.get("success") else str((env.get("error") or {}).get("kind", "broken"))
        if problem is None and outcome == "invalid_arguments" and tracker_requests() != before:
            problem = "invalid_arguments, yet a request reached the tracker"
        if problem is not None:
            tally.failures.append(f"{case.tool} {case.kind} {shown}: {problem}")
    elapsed = time.monotonic() - started
    if elapsed > tally.slowest[0] and math.isfinite(elapsed):
        tally.slowest = (elapsed, case.tool)
    tally.by_tool[case.tool] += 1
    tally.by_outcome[outcome] += 1
    tally.by_kind_and_input[(case.kind, outcome)] += 1
    tally.by_tool_and_outcome[(case.tool, outcome)] += 1
