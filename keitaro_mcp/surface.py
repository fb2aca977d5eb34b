"""What one caller's tools/list exposes, and every text rendered for it: no pointer to a tool they cannot call.

Descriptions, the server's instructions, error hints and messages, prompts and resources name other tools
("archived: list_deleted_campaigns"). Written once for the whole product, they are rendered for each surface: a
tool of a toolset the caller does not have becomes "enable toolset campaigns_admin for list_deleted_campaigns", so
the model knows the tool exists and what would bring it; a name the surface exposes stays as it is. A write
hidden by read-only mode has nothing to enable, so texts a read-only surface shows never name one
(tests/test_dead_ends.py checks every text over the default surface, all toolsets, each toolset alone and
read-only mode).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol

__all__ = ["Surface", "ToolFacts", "render_definition", "render_envelope"]


class ToolFacts(Protocol):
    """What rendering needs to know of a tool (a tool-index card or a registry entry)."""

    @property
    def name(self) -> str: ...
    @property
    def toolset(self) -> str: ...
    @property
    def writes(self) -> bool: ...


@cache
def _mention_pattern(names: frozenset[str]) -> re.Pattern[str]:
    # Longest first, and whole words only: update_campaign is not a mention inside update_campaign_costs.
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z0-9_])(?:{alternatives})(?![A-Za-z0-9_])")


@dataclass(frozen=True)
class Surface:
    """The tools one caller sees (`exposed`) among every tool the product has (`every`: name -> toolset)."""

    exposed: frozenset[str]
    every: Mapping[str, str] = field(hash=False)
    read_only: frozenset[str] = frozenset()
    """Writes hidden by read-only mode: no toolset brings them back."""

    @classmethod
    def of(cls, exposed: Iterable[ToolFacts], every: Iterable[ToolFacts], *, read_only: bool = False) -> Surface:
        tools = list(every)
        hidden = frozenset(t.name for t in tools if read_only and t.writes)
        return cls(frozenset(t.name for t in exposed), {t.name: t.toolset for t in tools}, hidden)

    def render(self, text: str) -> str:
        """The text with every tool it names rendered for this surface."""
        if not text:
            return text
        return _mention_pattern(frozenset(self.every)).sub(self._mention, text)

    def _mention(self, match: re.Match[str]) -> str:
        name = match.group(0)
        if name in self.exposed:
            return name
        if name in self.read_only:
            return f"{name} (a write: off, the server is read-only)"
        return f"enable toolset {self.every[name]} for {name}"

    def render_tree(self, value: Any) -> Any:
        """Every string in a JSON-like value rendered (dict keys stay as they are)."""
        if isinstance(value, str):
            return self.render(value)
        if isinstance(value, dict):
            return {k: self.render_tree(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.render_tree(v) for v in value]
        return value


def render_definition(definition: dict[str, Any], surface: Surface) -> dict[str, Any]:
    """A tool definition with its description and every `description` in its input schema rendered."""

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: surface.render(v) if k == "description" and isinstance(v, str) else walk(v)
                    for k, v in node.items()}  # fmt: skip
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    out: dict[str, Any] = walk(definition)
    return out


def render_envelope(envelope: Any, surface: Surface) -> Any:
    """An envelope with the texts meant for the model rendered: error message and hint, meta notes."""
    error = envelope.get("error")
    if isinstance(error, dict):
        for key in ("message", "hint"):
            if isinstance(error.get(key), str):
                error[key] = surface.render(error[key])
    meta = envelope.get("meta")
    if isinstance(meta, dict):
        for key in ("note", "notes"):
            if key in meta:
                meta[key] = surface.render_tree(meta[key])
    return envelope
