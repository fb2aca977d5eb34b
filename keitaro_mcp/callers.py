"""Who a request acts for, and what they see: their trackers (with their own keys), their tools and resources.

On stdio, in memory, and over HTTP with KEITARO_MCP_TOKEN or without a token, the caller is `local`: every
tracker with the server's own key, the server's toolsets and read-only flag. Over HTTP with `[users]` in the
configuration file, the caller is the user their bearer token or OAuth access token names (keitaro_mcp.auth,
through the SDK's `get_access_token`); they reach only the trackers they have a key of their own for, with that
key (so Keitaro's own rights for their Keitaro user decide what they see and may change), and see only the tools
their toolsets and read-only flag allow, in `tools/list` and in calls. Each caller's view is made once.

When a caller may use more than one tracker, every tool takes an optional `tracker` argument: an enum of those
names, the first being the default. With one tracker the schemas are exactly the tool index's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.types import Tool

from keitaro_mcp import views
from keitaro_mcp.config import Team, with_key
from keitaro_mcp.settings import Settings
from keitaro_mcp.surface import Surface, render_definition
from keitaro_mcp.tool_index import ToolCard
from keitaro_mcp.tracker import LOCAL_USER, Tracker

__all__ = ["TRACKER_ARGUMENT", "Caller", "Callers", "View"]

TRACKER_ARGUMENT = "tracker"


@dataclass(frozen=True)
class Caller:
    """One person (or `local`) as the server serves them."""

    name: str
    trackers: tuple[Tracker, ...]
    """The trackers they may use, as they reach them (their own key); the first is their default."""
    toolsets: frozenset[str]
    read_only: bool
    why_read_only: str = "KEITARO_READ_ONLY=true"
    """What to name when a write is refused."""

    def tracker(self, name: str | None) -> Tracker | None:
        """The tracker called `name` (None: the default), or None when they may not use it."""
        if name is None:
            return self.trackers[0] if self.trackers else None
        return next((t for t in self.trackers if t.name == name), None)

    def may_call(self, card: ToolCard) -> bool:
        return card.toolset in self.toolsets and not (self.read_only and card.writes)


@dataclass
class View:
    """What one caller sees: their enabled tools (the schemas they are listed with) by name, and the surface every
    text they read is rendered for (keitaro_mcp.surface)."""

    caller: Caller
    enabled: list[ToolCard]
    tools: list[Tool]
    surface: Surface
    by_name: dict[str, ToolCard] = field(init=False)

    def __post_init__(self) -> None:
        self.by_name = {card.name: card for card in self.enabled}

    @property
    def chooses_tracker(self) -> bool:
        return len(self.caller.trackers) > 1


class Callers:
    """Every caller's view, made on their first request."""

    def __init__(self, settings: Settings, team: Team, cards: Sequence[ToolCard]) -> None:
        self.settings = settings
        self.team = team
        self.cards = cards
        self._views: dict[str, View] = {}

    def current(self) -> View:
        """The view of the caller this request acts for."""
        token = get_access_token()
        return self.view(token.client_id if token is not None else LOCAL_USER)

    def view(self, name: str) -> View:
        known = self._views.get(name)
        if known is None:
            caller = self.caller(name)
            enabled = [card for card in self.cards if caller.may_call(card)]
            surface = Surface.of(enabled, self.cards, read_only=caller.read_only)
            tools = [_with_tracker(views.link(_rendered(card, surface)), caller.trackers) for card in enabled]
            known = self._views[name] = View(caller, enabled, tools, surface)
        return known

    def caller(self, name: str) -> Caller:
        settings = self.settings
        if name == LOCAL_USER:
            return Caller(LOCAL_USER, self.team.trackers, settings.toolsets, settings.read_only)
        user = next((u for u in self.team.users if u.name == name), None)
        if user is None:  # the authenticator only names configured users
            raise LookupError(f"no [users] entry {name!r}")
        trackers = tuple(with_key(t, user.keys[t.name], user.name) for t in self.team.trackers if t.name in user.keys)
        why = f"[users.{user.name}] read_only" if user.read_only else "KEITARO_READ_ONLY=true"
        return Caller(
            name=user.name, trackers=trackers, toolsets=user.toolsets or settings.toolsets,
            read_only=user.read_only or settings.read_only, why_read_only=why,
        )  # fmt: skip


def _rendered(card: ToolCard, surface: Surface) -> Tool:
    """The tool as this caller lists it: its descriptions name only tools they can call, or say what enables one."""
    definition = render_definition(card.definition, surface)
    return card.tool if definition == card.definition else Tool.model_validate(definition)


def _with_tracker(tool: Tool, trackers: Iterable[Tracker]) -> Tool:
    """The tool with the optional `tracker` argument when there is a choice; unchanged otherwise."""
    names = [t.name for t in trackers]
    if len(names) < 2:
        return tool
    schema = dict(tool.input_schema)
    properties = dict(schema.get("properties") or {})
    # The enum says it all (a string of these names): no type, no description; the instructions name the default.
    properties[TRACKER_ARGUMENT] = {"enum": names, "default": names[0]}
    schema["properties"] = properties
    return tool.model_copy(update={"input_schema": schema})
