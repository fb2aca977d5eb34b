"""The operation registry: one declarative entry per tool.

An `Operation` says everything about a tool: its name, the n8n node's resource/operation ids that go into the
envelope, the HTTP method and path template, the pydantic params model (schema, validation and docs in one),
its toolset, its effect on the tracker (keitaro_mcp.effects: the read-only and destructive annotations are derived
from it) and whether repeating it is harmless (idempotent). The generic executor (executor.py) turns
any entry into a request; an entry only brings code of its own (`handler`) when the tool composes several calls.

`Operation` is generic over its params model: the handler, builder and shaper of an entry are typed against that
model, so registering one written for another tool's arguments is a type error (mypy --strict), not a runtime
surprise.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from mcp.types import Tool, ToolAnnotations
from pydantic import BaseModel

from keitaro_mcp.effects import Effect, EffectFlags
from keitaro_mcp.schema import input_schema
from keitaro_mcp.toolsets import ALL_TOOLSETS

if TYPE_CHECKING:
    from keitaro_mcp.context import CallContext
    from keitaro_mcp.envelope import Envelope
    from keitaro_mcp.tracker import Tracker

__all__ = [
    "TRACKER_PLACEHOLDERS",
    "Builder",
    "Handler",
    "HttpMethod",
    "Impact",
    "Impactor",
    "Operation",
    "P",
    "RequestParts",
    "Shaped",
    "Shaper",
    "Variant",
    "select_operations",
]

HttpMethod = Literal["GET", "POST", "PUT", "DELETE"]
_DELETE_EFFECTS = frozenset({"remove", "archive", "delete", "wipe"})
_PLACEHOLDER = re.compile(r"{(\w+)}")
_TOOL_NAME = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
TRACKER_PLACEHOLDERS = frozenset({"postback_key"})
"""Filled from the settings, never from arguments (the postback key is a secret)."""


@dataclass(frozen=True)
class RequestParts:
    """What the generic executor sends besides the path: query parameters and a JSON body; `meta` goes into a
    successful envelope's meta (e.g. the exact range a period was resolved to)."""

    query: dict[str, Any] | None = None
    body: Any = None
    meta: dict[str, Any] | None = None


@dataclass(frozen=True)
class Shaped:
    """A result reshaped for the model: the data, and facts for the envelope's `meta`."""

    data: Any
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Variant:
    """One of several n8n operations a tool performs, chosen by one argument's value (`state=paused` -> disable).

    The choosing argument is not sent: it picks the request (method and path) and the envelope's n8n operation id.
    The first variant is the tool's own operation, taken for any value no other variant names (`value` None: the
    argument left out).
    """

    field: str
    value: str | None
    operation: str
    method: HttpMethod
    path: str

    @property
    def call(self) -> str:
        """How the README's n8n table names it: `state=paused` (empty for the argument left out)."""
        return "" if self.value is None else f"{self.field}={self.value}"


@dataclass(frozen=True)
class Impact:
    """What a call that cannot be undone will destroy, counted with a read before anything is sent: the question a
    person confirms, and the receipt's figures (`before` and `after` by field, `scope` says of what)."""

    question: str
    scope: dict[str, Any] = field(default_factory=dict)
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    effects: tuple[str, ...] = ()


P = TypeVar("P", bound=BaseModel)
"""An operation's params model."""

Handler = Callable[["CallContext", P], Awaitable["Envelope"]]
"""A composed tool: runs several requests through the call context."""
Builder = Callable[[P, "Tracker"], RequestParts]
"""Maps validated arguments to the query and body, for the call's tracker (its timezone resolves periods)."""
Shaper = Callable[[Any, P], Shaped]
"""Reshapes a successful answer's data, knowing the arguments that asked for it."""
Impactor = Callable[["CallContext", P], Awaitable["Impact | Envelope"]]
"""Reads what a call that cannot be undone will destroy (or the failed read's envelope: nothing is sent)."""


@dataclass(frozen=True)
class Operation(EffectFlags, Generic[P]):
    """One tool. Its effect is explicit: Keitaro reads with POST (/report/build) and archives with DELETE."""

    name: str
    resource: str
    """The n8n node's resource id (campaign, stream, offer, click, stats, ...): goes into the envelope."""
    operation: str
    """The n8n node's operation id (getAll, get, create, update, delete, or Keitaro's action in camelCase)."""
    method: HttpMethod
    path: str
    params: type[P]
    toolset: str
    effect: Effect
    """What the call does to the tracker; the read-only and destructive annotations follow from it."""
    idempotent: bool
    title: str
    api: Literal["admin", "tracker"] = "admin"
    """`tracker`: the request goes to the tracker itself (`/{postback_key}/postback`), not to /admin_api/v1."""
    query: frozenset[str] = frozenset()
    """Fields sent in the query string even on POST/PUT (Keitaro's file editor and integrations do this)."""
    expect: Literal["json", "bytes"] = "json"
    """`bytes`: a successful answer's data is the raw body (a zip download), for `shape` to describe."""
    omit: frozenset[str] = frozenset()
    """Fields never sent (a variant's choosing argument)."""
    build: Builder[P] | None = None
    """Custom request mapping (query/body) instead of the default field split."""
    shape: Shaper[P] | None = None
    """Reshapes a successful answer (e.g. report rows) for the model."""
    handler: Handler[P] | None = None
    """Tools that compose several calls run this instead of one request."""
    impact: Impactor[P] | None = None
    """For a bulk write that cannot be undone: counts what it will destroy (otherwise the entity is read)."""
    variants: tuple[Variant, ...] = ()
    """A tool that performs one of several n8n operations by an argument's value (pausing and resuming through one
    tool); the entry's own operation, method and path are the first variant's (what a refusal names)."""

    def __post_init__(self) -> None:
        if not _TOOL_NAME.match(self.name):
            raise ValueError(f"{self.name}: tool names are snake_case verb_resource")
        if self.toolset not in ALL_TOOLSETS:
            raise ValueError(f"{self.name}: unknown toolset {self.toolset!r}")
        if self.read_only and not self.idempotent:
            raise ValueError(f"{self.name}: a read is idempotent")
        if self.method == "DELETE" and self.effect not in _DELETE_EFFECTS:
            raise ValueError(f"{self.name}: Keitaro's DELETE archives or deletes, not {self.effect!r}")
        if self.method == "GET" and self.api == "admin" and self.effect != "read":
            raise ValueError(f"{self.name}: an Admin API GET is a read")
        if self.impact is not None and not self.confirmed:
            raise ValueError(f"{self.name}: only a write that cannot be undone counts its impact")
        if self.api == "tracker" and self.handler is None:
            raise ValueError(f"{self.name}: tracker-side operations need a handler")
        missing = [p for p in self.path_fields if p not in self.params.model_fields and p not in TRACKER_PLACEHOLDERS]
        if missing:
            raise ValueError(f"{self.name}: path placeholders {missing} are not fields of {self.params.__name__}")
        if self.variants:
            first = self.variants[0]
            if (self.operation, self.method, self.path) != (first.operation, first.method, first.path):
                raise ValueError(f"{self.name}: the entry's operation, method and path are its first variant's")
            if len({v.field for v in self.variants}) != 1 or first.field not in self.params.model_fields:
                raise ValueError(f"{self.name}: variants are chosen by one field of {self.params.__name__}")
            if self.build is not None:
                raise ValueError(f"{self.name}: a tool with variants maps its arguments itself (no build)")

    def for_call(self, args: P) -> Operation[P]:
        """The operation one call performs: the variant its arguments choose (itself when it has none, or when
        the value names no other variant). A handler reads the choice from `ctx.op`."""
        if not self.variants:
            return self
        value = getattr(args, self.variants[0].field)
        return self._by_value.get(None if value is None else str(value), self._by_value[self.variants[0].value])

    @cached_property
    def _by_value(self) -> dict[str | None, Operation[P]]:
        return {
            v.value: replace(self, operation=v.operation, method=v.method, path=v.path, variants=(),
                             omit=self.omit | {v.field})
            for v in self.variants
        }  # fmt: skip

    @property
    def endpoints(self) -> tuple[tuple[str, str, str], ...]:
        """(n8n operation, method, path) of every request this tool can make as its own."""
        if self.variants:
            return tuple((v.operation, v.method, v.path) for v in self.variants)
        return ((self.operation, self.method, self.path),)

    @cached_property
    def path_fields(self) -> tuple[str, ...]:
        return tuple(_PLACEHOLDER.findall(self.path))

    @cached_property
    def description(self) -> str:
        # One line: a docstring wrapped at the source's width would reach the model with its line breaks.
        return " ".join((self.params.__doc__ or "").split())

    @cached_property
    def annotations(self) -> ToolAnnotations:
        return ToolAnnotations(
            read_only_hint=self.read_only,
            destructive_hint=self.destructive,
            idempotent_hint=self.idempotent,
            # openWorldHint is left out: its default (true) is right for every tool, and it costs tokens.
        )

    @cached_property
    def tool(self) -> Tool:
        # The title stays in the registry (CLI table, docs) but not on the wire: clients fall back to the name,
        # and ~5 tokens a tool adds up over 130 tools read on every conversation.
        return Tool(
            name=self.name,
            description=self.description,
            input_schema=input_schema(self.params),
            annotations=self.annotations,
        )


def select_operations(
    operations: Iterable[Operation[Any]], toolsets: frozenset[str], read_only: bool
) -> tuple[Operation[Any], ...]:
    """The tools a server exposes: enabled toolsets only, and nothing that writes to the tracker in read-only mode
    (read-only wins)."""
    return tuple(op for op in operations if op.toolset in toolsets and not (read_only and op.writes))
