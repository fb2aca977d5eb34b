"""The executor: runs one operation with validated arguments against the call's tracker and returns its envelope.

A plain entry becomes one request (`default_parts`: path ids URL-escaped, the other fields to the query for
GET/DELETE and `op.query`, to the JSON body otherwise, or the entry's own `build`), retried only when the operation
is a read or idempotent, and its answer is reshaped by the entry's `shape`. An entry with a `handler` composes
several requests through its `CallContext`. A write runs inside keitaro_mcp.writes' frame: the entity it changes
is read first and its answer becomes a compact receipt (what changed, before and after), and a write that cannot be
undone runs only with the impact a person confirmed (or with KEITARO_CONFIRM=off). Writes to one entity run one
at a time in this process, read before to receipt: Keitaro has no version check, and a read-modify-write of a
campaign's postbacks array that interleaved with another lost one of them. Then, for every tool: `count` on list
results, the result budget (keitaro_mcp.compact), and every configured secret masked.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any, Literal
from urllib.parse import quote

import anyio

from keitaro_mcp.compact import apply_budget
from keitaro_mcp.context import CallContext, ProgressFn, exchange, no_progress, request_info, template_url
from keitaro_mcp.envelope import Envelope, Redactor, error_envelope
from keitaro_mcp.ranges import prefetch_first_day, state_range_and_money
from keitaro_mcp.registry import Impact, Operation, P, RequestParts
from keitaro_mcp.settings import Settings
from keitaro_mcp.tracker import Tracker
from keitaro_mcp.transport import Transport
from keitaro_mcp.writes import Subject, entity_impact, receipt, subject_of

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


async def _impact(ctx: CallContext, op: Operation[P], args: P) -> Impact | Envelope:
    """The operation's own impact read, or the entity it deletes."""
    return await op.impact(ctx, args) if op.impact is not None else await entity_impact(ctx, op, args)


class Executor:
    """Runs operations for one server. The tracker comes with each call; requests go through `transport`."""

    def __init__(self, settings: Settings, transport: Transport, *, secrets: Iterable[str] = ()) -> None:
        """`secrets`: more values to mask in every result (a team's keys and tokens) besides the settings' own."""
        self.settings = settings
        self.transport = transport
        self._known = frozenset((*settings.secrets(), *secrets))
        self.redact = Redactor(tuple(self._known))
        self._redactors: dict[frozenset[str], Redactor] = {}
        self._writing: dict[tuple[str, str], tuple[anyio.Lock, int]] = {}

    @asynccontextmanager
    async def one_writer(self, tracker: Tracker, path: str) -> AsyncIterator[None]:
        """Hold the entity at `path` of `tracker` for one write (whoever's key it goes with: one entity)."""
        key = (tracker.base_url, path)
        lock, users = self._writing.get(key) or (anyio.Lock(), 0)
        self._writing[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._writing[key]
            if users == 1:
                del self._writing[key]
            else:
                self._writing[key] = (lock, users - 1)

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

    def context(self, op: Operation[Any], tracker: Tracker, progress: ProgressFn = no_progress) -> CallContext:
        return CallContext(
            op=op, tracker=tracker, settings=self.settings, transport=self.transport,
            redact=self.redactor_for(tracker), progress=progress,
        )  # fmt: skip

    async def impact(self, op: Operation[P], args: P, *, tracker: Tracker) -> Impact | Envelope:
        """What a call that cannot be undone would destroy (one read; nothing is changed), or the failed read."""
        op = op.for_call(args)
        ctx = self.context(op, tracker)
        found = await _impact(ctx, op, args)
        return found if isinstance(found, Impact) else ctx.redact(found)

    def unconfirmed(
        self, op: Operation[Any], tracker: Tracker, impact: Impact, answer: Literal["decline", "cancel", "unavailable"]
    ) -> Envelope:
        """The envelope of a call that cannot be undone and was not confirmed: nothing was sent."""
        redact = self.redactor_for(tracker)
        info = request_info(op.method, template_url(tracker, op), redact)
        if answer == "unavailable":
            message = f"Not sent: {impact.question} A person must confirm it, and this client cannot ask them."
            envelope = error_envelope(info, op.resource, op.operation, "needs_confirmation", message)
        else:
            said = "declined" if answer == "decline" else "cancelled"
            envelope = error_envelope(info, op.resource, op.operation, "declined", f"Not sent: the person {said}.")
        envelope["error"]["responseData"] = {"question": impact.question, **impact.scope} if impact.scope else None
        masked: Envelope = redact(envelope)
        return masked

    async def call(
        self,
        op: Operation[P],
        args: P,
        *,
        tracker: Tracker,
        progress: ProgressFn = no_progress,
        confirmed: Impact | None = None,
    ) -> Envelope:
        """Run one operation with validated arguments and return its envelope, secrets masked. A write that cannot
        be undone runs only with `confirmed`, the impact a person agreed to (or with KEITARO_CONFIRM=off)."""
        op = op.for_call(args)  # a tool with variants: the one its arguments choose (its request, its n8n id)
        ctx = self.context(op, tracker, progress)
        await prefetch_first_day(ctx, args)
        if op.writes:
            envelope = await self._write(ctx, op, args, confirmed)
        else:
            envelope = await self._run(ctx, op, args)
        envelope = await state_range_and_money(ctx, envelope)
        if envelope["success"] and isinstance(envelope["data"], list):
            envelope["count"] = len(envelope["data"])
        elif envelope["success"] and "count" not in envelope and isinstance(envelope["data"], dict):
            rows = envelope["data"].get("rows")  # a list as {columns, rows} counts its rows
            if isinstance(rows, list):
                envelope["count"] = len(rows)
        # The result budget, for every result: rows beyond it are cut (meta says the total and where to continue),
        # any other answer has long texts and lists shortened.
        pages = "offset" in op.params.model_fields
        envelope = apply_budget(envelope, offset=(getattr(args, "offset", None) or 0) if pages else None)
        redacted: Envelope = ctx.redact(envelope)
        return redacted

    async def _write(self, ctx: CallContext, op: Operation[P], args: P, confirmed: Impact | None) -> Envelope:
        impact = confirmed
        if op.confirmed and impact is None:
            found = await _impact(ctx, op, args)
            if not isinstance(found, Impact):
                return found
            if self.settings.confirm:
                return self.unconfirmed(op, ctx.tracker, found, "unavailable")
            impact = found  # KEITARO_CONFIRM=off: the operator took the risk; the figures still make the receipt
        card = subject_of(op) if impact is None else None
        if card is None:
            envelope = await self._run(ctx, op, args)
            if envelope["success"]:
                envelope["data"] = receipt(ctx, op, args, envelope["data"], subject=None, after=None, impact=impact)
            return envelope
        subject = Subject(card, args)
        async with self.one_writer(ctx.tracker, subject.path):
            await subject.read_before(ctx)
            envelope = await self._run(ctx, op, args)
            ctx.preread.clear()  # answered before the write: never the entity as it is after
            if not envelope["success"]:
                return envelope
            after = subject.answer(ctx, envelope["data"], composed=op.handler is not None)
            if after is None and op.effect not in ("delete", "wipe"):
                after = await subject.read(ctx)
        envelope["data"] = receipt(ctx, op, args, envelope["data"], subject=subject, after=after, impact=impact)
        return envelope

    async def _run(self, ctx: CallContext, op: Operation[P], args: P) -> Envelope:
        """One request (or the composed tool's requests); a successful answer reshaped for the model."""
        if op.handler is not None:
            return await op.handler(ctx, args)
        path, parts = default_parts(op, args, ctx.tracker)
        envelope = await exchange(
            self.transport, ctx.tracker, ctx.redact, op.method, path, resource=op.resource, operation=op.operation,
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
        return envelope
