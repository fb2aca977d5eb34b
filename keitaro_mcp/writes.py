"""How a write runs: the entity it changes is read before, the write is sent, and the answer becomes a receipt.

Every write has a subject, derived from its path and the tool index, not declared per tool: the entity an Admin API
read returns at the write's own path or the nearest one above it (`PUT /streams/{flow_id}` and
`POST /campaigns/{campaign_id}/disable` change what `GET /streams/{flow_id}` and `GET /campaigns/{campaign_id}`
return; `POST /botlist/add` changes `GET /botlist`). Before the write, one GET reads it (a composed tool's own
read of that path is answered from it); after, the write's own answer is the entity as it is now when it is one,
otherwise a second GET reads it. A write without such a subject (the tracker postback, a click's cost) says what
it changed through its call context (`CallContext.observe`); a write that cannot be undone reports the figures its
impact read counted (`Operation.impact`; by default the entity it deletes).

The receipt (keitaro_mcp.receipts): the entity's id and name, each changed field before and after, what follows
from the change, and notes when a read around the write failed (the write's own outcome is never hidden by them).
"""

from __future__ import annotations

import copy
import re
from functools import cache
from typing import Any
from urllib.parse import quote

from keitaro_mcp.context import CallContext
from keitaro_mcp.envelope import MASK, SECRET_FIELD, Envelope, read_failed, read_problem
from keitaro_mcp.receipts import Change, changes_between, created_fields, effects_of, identity, in_tool_words, shorten
from keitaro_mcp.registry import Impact, Operation, P
from keitaro_mcp.tool_index import ToolCard, load_cards, resolve

__all__ = ["Subject", "entity_impact", "receipt", "subject_of"]

_PLACEHOLDER = re.compile(r"{(\w+)}")


@cache
def _readers() -> dict[str, ToolCard]:
    """Admin API reads of one thing (not lists), by path."""
    found: dict[str, ToolCard] = {}
    for card in load_cards():
        if card.method == "GET" and card.api == "admin" and card.operation != "getAll":
            found.setdefault(card.path, card)
    return found


@cache
def _subject_card(path: str, fields: frozenset[str]) -> ToolCard | None:
    parts = path.split("/")
    readers = _readers()
    for end in range(len(parts), 1, -1):
        candidate = readers.get("/".join(parts[:end]))
        if candidate is not None and set(_PLACEHOLDER.findall(candidate.path)) <= fields:
            return candidate
    return None


def subject_of(op: Operation[Any]) -> ToolCard | None:
    """The read that returns what this write changes, or None (a create's subject does not exist yet)."""
    if op.api != "admin" or op.effect == "create":
        return None
    return _subject_card(op.path, frozenset(op.path_fields))


class Subject:
    """The entity one write changes: where to read it, and what it was before."""

    def __init__(self, card: ToolCard, args: Any) -> None:
        self.card = card
        self.path = card.path.format(
            **{name: quote(str(getattr(args, name)), safe="") for name in _PLACEHOLDER.findall(card.path)}
        )
        self.before: Any = None
        self.problem: str | None = None

    def shaped(self, data: Any) -> Any:
        op = resolve(self.card)
        if op.shape is None:
            return data
        # A read's shaper reshapes the answer; none of the entity reads looks at its arguments, so empty ones do.
        args = op.params.model_construct(**dict.fromkeys(op.params.model_fields))
        return op.shape(data, args).data

    async def read(self, ctx: CallContext) -> Any:
        """The entity now (shaped like its read tool's answer), or None with `problem` saying why not."""
        envelope = await ctx.read(self.path)
        if not envelope["success"]:
            self.problem = read_problem(envelope, f"{self.card.name} {self.path}")
            return None
        return self.shaped(envelope["data"])

    async def read_before(self, ctx: CallContext) -> None:
        envelope = await ctx.read(self.path)
        if envelope["success"]:
            self.before = self.shaped(copy.deepcopy(envelope["data"]))
            ctx.preread[self.path] = envelope  # a composed tool reading it again gets this answer
        else:
            self.problem = read_problem(envelope, f"{self.card.name} {self.path}") + " before the write"

    def answer(self, ctx: CallContext, data: Any, composed: bool) -> Any:
        """The entity as the write's own answer gives it, or None when that answer is something else."""
        if composed:
            raw = ctx.written.get(self.path)
            data = None if raw is None else self.shaped(raw)
        if isinstance(data, list) and len(data) == 1:
            data = data[0]
        if not isinstance(data, dict) or "id" not in data:
            return None
        same = not isinstance(self.before, dict) or str(self.before.get("id")) == str(data.get("id"))
        return data if same else None


def _given(op: Operation[Any], args: Any) -> dict[str, Any]:
    """The fields a write was given, without the path ids."""
    dumped: dict[str, Any] = args.model_dump(mode="json", by_alias=True, exclude_none=True, exclude=set(op.omit))
    return {k: v for k, v in dumped.items() if k not in op.path_fields}


def _ids(op: Operation[Any], args: Any) -> dict[str, Any]:
    return {name: getattr(args, name) for name in op.path_fields if name in type(args).model_fields}


async def entity_impact(ctx: CallContext, op: Operation[P], args: P) -> Impact | Envelope:
    """What deleting an entity (or a file of one) destroys: read it, and name it in the question."""
    card = _subject_card(op.path, frozenset(op.path_fields)) if op.api == "admin" else None
    ids = _ids(op, args)
    details = ", ".join(f"{k} {shorten(v)}" for k, v in _given(op, args).items())
    what = " ".join(f"{k.removesuffix('_id')} {v}" for k, v in ids.items()) or op.title.lower()
    scope: dict[str, Any] = {**ids, **{k: shorten(v) for k, v in _given(op, args).items()}}
    if card is not None:
        subject = Subject(card, args)
        envelope = await ctx.read(subject.path)
        if not envelope["success"]:
            return read_failed(envelope, f"{card.name} {subject.path}", nothing_changed=True)
        found = identity(subject.shaped(envelope["data"]))
        if "name" in found:
            what += f" “{found['name']}”"
            scope["name"] = found["name"]
    question = f"{op.title}: {what}{f' ({details})' if details else ''}. This cannot be undone."
    gone = "file" if "file" in op.name else "exists"
    return Impact(question=question, scope=scope, before={gone: True}, after={gone: False})


def receipt(
    ctx: CallContext,
    op: Operation[Any],
    args: Any,
    data: Any,
    *,
    subject: Subject | None,
    after: Any,
    impact: Impact | None,
) -> dict[str, Any]:
    """The receipt of a successful write (see the module docstring)."""
    notes: list[str] = []
    changes: dict[str, Change]
    given = _given(op, args)
    before = subject.before if subject is not None else None
    if subject is not None and subject.problem:
        notes.append(subject.problem)
    found: dict[str, Any] = {}
    if ctx.observed is not None:
        # A composed write's subject: a new one had no before, and one the tracker has not recorded yet no after.
        before, after = ctx.observed.before or {}, ctx.observed.after
        notes += ctx.observed.notes
    if impact is not None:
        found = dict(impact.scope)
        keys = [*impact.before, *(k for k in impact.after if k not in impact.before)]
        changes = {k: {"before": impact.before.get(k), "after": impact.after.get(k)} for k in keys}
    elif op.effect == "create" and ctx.observed is None:
        found = identity(data)
        if ids := _ids(op, args):
            found["of"] = ids
        changes = created_fields(given, data)
    elif before is not None and after is not None:
        changes = changes_between(before, after)
        # Fields the entity's read does not show (a file's content, a password): set, not readable back.
        shown = {*before, *after} if isinstance(before, dict) and isinstance(after, dict) else set()
        for name, value in given.items() if op.effect == "update" and op.handler is None else ():
            if name not in shown:
                changes[name] = {"after": MASK if SECRET_FIELD.search(name) else shorten(value)}
    else:  # no before: nothing to read it from, or it could not be read (an archived entity answers not_found)
        now = after if after is not None else (data if ctx.observed is None else None)
        changes = created_fields(given, now) if now is not None else {}
        if isinstance(now, dict) and "state" in now:
            changes.setdefault("state", {"after": now["state"]})
        for change in changes.values():
            change.pop("before", None)
    in_tool_words(changes)
    if not found:
        found = identity(after) or identity(before) or identity(data) or identity(given) or _ids(op, args)
    result: dict[str, Any] = {**found, "changes": changes}
    effects = effects_of(op.resource, op.effect, changes) + list(impact.effects if impact else ())
    if effects and changes:
        result["effects"] = effects
    elif not changes and after is not None and ctx.observed is None and op.effect != "create":
        notes.append("Nothing changed: it already was so.")
    if notes:
        result["notes"] = notes
    return result
