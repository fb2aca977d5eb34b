"""The executor: runs one operation with validated arguments against the call's tracker and returns its envelope.

A plain entry becomes one request (`default_parts`: path ids URL-escaped, the other fields to the query for
GET/DELETE and `op.query`, to the JSON body otherwise, or the entry's own `build`), retried only when the operation
is a read or idempotent, and its answer is reshaped by the entry's `shape`. An entry with a `handler` composes
several requests through its `CallContext`. Then, for every tool: `count` on list results, the result budget
(keitaro_mcp.compact), and every configured secret masked.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from keitaro_mcp.compact import apply_budget
from keitaro_mcp.context import CallContext, ProgressFn, exchange, no_progress
from keitaro_mcp.envelope import Envelope, Redactor
from keitaro_mcp.registry import Operation, P, RequestParts
from keitaro_mcp.settings import Settings
from keitaro_mcp.tracker import Tracker
from keitaro_mcp.transport import Transport

__all__ = ["Executor", "default_parts"]


def default_parts(op: Operation[P], args: P, tracker: Tracker) -> tuple[str, RequestParts]:
    """Path with URL-escaped ids; remaining fields to the query (GET/DELETE and `op.query`) or the JSON body, unless
    the entry builds them itself."""
    dumped: dict[str, Any] = args.model_dump(mode="json", by_alias=True, exclude_none=True, exclude=set(op.omit))
    path = op.path.format(**{name: quote(str(dumped.pop(name)), safe="") for name in op.path_fields})
    if op.build is not None:
        return path, op.build(args, tracker)
    query = {k: v for k, v in dumped.items() if k in op.query or op.method in ("GET", "DELETE")}
    body = {k: v for k, v in dumped.items() if k not in query}
    return path, RequestParts(query=query or None, body=body if op.method in ("POST", "PUT") else None)


class Executor:
    """Runs operations for one server. The tracker comes with each call; requests go through `transport`."""

    def __init__(self, settings: Settings, transport: Transport, *, secrets: Iterable[str] = ()) -> None:
        """`secrets`: more values to mask in every result (a team's keys and tokens) besides the settings' own."""
        self.settings = settings
        self.transport = transport
        self._known = frozenset((*settings.secrets(), *secrets))
        self.redact = Redactor(tuple(self._known))
        self._redactors: dict[frozenset[str], Redactor] = {}

    async def aclose(self) -> None:
        await self.transport.aclose()

    def redactor_for(self, tracker: Tracker) -> Redactor:
        """The redactor of every configured secret, and of this tracker's keys should they be new to it."""
        extra = frozenset(tracker.secrets()) - self._known
        if not extra:
            return self.redact
        redact = self._redactors.get(extra)
        if redact is None:
            redact = self._redactors[extra] = Redactor((*self._known, *extra))
        return redact

    async def call(
        self, op: Operation[P], args: P, *, tracker: Tracker, progress: ProgressFn = no_progress
    ) -> Envelope:
        """Run one operation with validated arguments and return its envelope, secrets masked."""
        op = op.for_call(args)  # a tool with variants: the one its arguments choose (its request, its n8n id)
        redact = self.redactor_for(tracker)
        if op.handler is not None:
            ctx = CallContext(
                op=op, tracker=tracker, settings=self.settings, transport=self.transport, redact=redact,
                progress=progress,
            )  # fmt: skip
            envelope = await op.handler(ctx, args)
        else:
            path, parts = default_parts(op, args, tracker)
            envelope = await exchange(
                self.transport, tracker, redact, op.method, path, resource=op.resource, operation=op.operation,
                query=parts.query, body=parts.body, retry=op.read_only or op.idempotent, expect=op.expect,
                debug=self.settings.debug,
            )  # fmt: skip
            if envelope["success"]:
                meta = parts.meta
                if op.shape is not None:
                    shaped = op.shape(envelope["data"], args)
                    envelope["data"] = shaped.data
                    meta = {**shaped.meta, **meta} if meta else shaped.meta
                if meta:
                    envelope["meta"] = meta
        if envelope["success"] and isinstance(envelope["data"], list):
            envelope["count"] = len(envelope["data"])
        # The result budget, for every result: rows beyond it are cut (meta says the total and where to continue),
        # any other answer has long texts and lists shortened.
        pages = "offset" in op.params.model_fields
        envelope = apply_budget(envelope, offset=(getattr(args, "offset", None) or 0) if pages else None)
        redacted: Envelope = redact(envelope)
        return redacted
