"""find_entity: any campaign, flow, offer, landing, traffic source, affiliate network, domain or group by name or id.

Keitaro has no search across kinds (only /streams/search for flows): each kind's list is read, the archived ones
too where Keitaro lists them apart (campaigns, domains), and the rows whose name contains the text (any case) or
whose id is it are kept, as `{columns: [kind, id, name, state], rows}`. The reads run concurrently; one that fails
is named in `data.unread` and the others still answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import anyio
from pydantic import Field

from keitaro_mcp.envelope import Envelope, read_failed, read_problem
from keitaro_mcp.operations._common import Params, Text
from keitaro_mcp.operations._entity import operation_factory
from keitaro_mcp.operations._lists import entity_state

if TYPE_CHECKING:
    from keitaro_mcp.context import CallContext

__all__ = ["OPERATIONS", "FindEntity"]

Kind = Literal["campaign", "flow", "offer", "landing", "traffic_source", "affiliate_network", "domain", "group"]
MAX_ROWS = 50
COLUMNS = ["kind", "id", "name", "state"]


class FindEntity(Params):
    """Find any entity by name or id: its kind, id, name, state."""

    query: Text = Field(max_length=200)
    """Part of a name (any case), or an id."""
    kind: Kind | None = None
    """Default: every kind."""


@dataclass(frozen=True)
class Source:
    """One list read: its path and query, the kind its rows are, and what a failure calls it."""

    kind: str
    path: str
    what: str
    query: dict[str, str] | None = None


def _sources(kind: str | None, query: str) -> list[Source]:
    every = [
        Source("campaign", "/campaigns", "the campaign list"),
        Source("campaign", "/campaigns/deleted", "the archived campaigns"),
        Source("flow", "/streams/search", "the flow search", {"query": query}),
        Source("offer", "/offers", "the offer list"),
        Source("landing", "/landing_pages", "the landing list"),
        Source("traffic_source", "/traffic_sources", "the traffic source list"),
        Source("affiliate_network", "/affiliate_networks", "the affiliate network list"),
        Source("domain", "/domains", "the domain list"),
        Source("domain", "/domains/deleted", "the archived domains"),
        # Keitaro lists groups one type at a time.
        *(Source(f"{t[:-1]} group", "/groups", f"the {t[:-1]} groups", {"type": t})
          for t in ("campaigns", "offers", "landings", "domains")),
    ]  # fmt: skip
    return [s for s in every if kind is None or s.kind == kind or (kind == "group" and s.kind.endswith(" group"))]


def _matches(item: dict[str, Any], needle: str) -> bool:
    """An id is matched whole (1 is not 12, nor "1win" in a name); any other text as part of the name, any case."""
    if needle.isdigit():
        return str(item.get("id")) == needle
    return needle.casefold() in str(item.get("name") or "").casefold()


async def _find_entity(ctx: CallContext, args: FindEntity) -> Envelope:
    """GET each kind's list (and /campaigns/deleted, /domains/deleted, /streams/search, /groups per type)."""
    needle = args.query.strip()
    sources = _sources(args.kind, needle)
    answers: dict[int, Envelope] = {}

    async def read(i: int, source: Source) -> None:
        answers[i] = await ctx.read(source.path, source.query)

    async with anyio.create_task_group() as tasks:
        for i, source in enumerate(sources):
            tasks.start_soon(read, i, source)
    rows: list[list[Any]] = []
    unread: list[str] = []
    for i, source in enumerate(sources):
        envelope = answers[i]
        if not envelope["success"]:
            unread.append(read_problem(envelope, source.what))
            continue
        items = envelope["data"] if isinstance(envelope["data"], list) else []
        # Groups have no state; flows and campaigns say disabled for paused, everything deleted for archived.
        rows += [
            [source.kind, item.get("id"), item.get("name"), entity_state(item.get("state"))]
            for item in items
            if isinstance(item, dict) and _matches(item, needle)
        ]
    succeeded = [answers[i] for i in range(len(sources)) if answers[i]["success"]]
    if not succeeded:
        return read_failed(answers[0], sources[0].what)
    envelope = succeeded[0]
    data: dict[str, Any] = {"columns": COLUMNS, "rows": rows[:MAX_ROWS]}
    if unread:
        data["unread"] = unread
    envelope["data"] = data
    envelope["count"] = len(data["rows"])
    if len(rows) > MAX_ROWS:
        envelope["meta"] = {"total": len(rows), "truncated": True}
    return envelope


_find = operation_factory("entity", "campaigns")

OPERATIONS = (
    _find(name="find_entity", operation="find", method="GET", path="/campaigns", params=FindEntity,
          title="Find by name or id", read_only=True, handler=_find_entity),
)  # fmt: skip
