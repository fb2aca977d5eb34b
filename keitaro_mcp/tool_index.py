"""The tool index: every tool's wire definition and where its operation lives, generated from the registry.

A server lists its tools from `tool_index.json` and imports an operation's module only when one of its tools is
called, so start-up pays neither for ~130 params models nor for their schemas (benchmarks/cold_start.py).
`python -m keitaro_mcp.docs` rewrites the file; tests/test_tool_index.py fails when it differs from what the
registry builds, so the index can never drift from the models.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keitaro_mcp.effects import Effect, EffectFlags

if TYPE_CHECKING:
    from mcp.types import Tool

    from keitaro_mcp.registry import Operation

__all__ = ["INDEX_PATH", "ToolCard", "card_for", "load_cards", "render_index", "resolve"]

INDEX_PATH = Path(__file__).with_name("tool_index.json")


@dataclass(frozen=True)
class ToolCard(EffectFlags):
    """What a server needs of a tool before it is called: its wire definition and its registry facts."""

    name: str
    module: str
    toolset: str
    effect: Effect
    idempotent: bool
    method: str
    path: str
    api: str
    resource: str
    operation: str
    definition: dict[str, Any] = field(compare=False, repr=False)

    @cached_property
    def tool(self) -> Tool:
        # Imported here: `keitaro-mcp tools` reads the cards without paying for the SDK's types (about a second).
        from mcp.types import Tool

        return Tool.model_validate(self.definition)


def card_for(op: Operation[Any], module: str) -> ToolCard:
    """The card of one operation (its definition is what tools/list sends)."""
    return ToolCard(
        name=op.name, module=module, toolset=op.toolset, effect=op.effect, idempotent=op.idempotent, method=op.method,
        path=op.path, api=op.api, resource=op.resource, operation=op.operation,
        definition=op.tool.model_dump(by_alias=True, exclude_none=True, mode="json"),
    )  # fmt: skip


def render_index(modules: Iterable[tuple[str, Iterable[Operation[Any]]]]) -> str:
    """The index file's text for the registry's operations, in tools/list order."""
    cards = [card_for(op, module) for module, ops in modules for op in ops]
    rows = [{k: v for k, v in card.__dict__.items() if k != "tool"} for card in cards]
    # Key order kept as built (not sorted): a tool's id argument stays first in its schema, as the model reads it.
    return json.dumps(rows, ensure_ascii=False, indent=1) + "\n"


@cache
def load_cards() -> tuple[ToolCard, ...]:
    """Every tool's card, from the generated index (read once)."""
    rows = json.loads(INDEX_PATH.read_text(encoding="utf-8"))
    return tuple(ToolCard(**row) for row in rows)


def resolve(card: ToolCard) -> Operation[Any]:
    """The operation behind a card; imports its module on first use."""
    module = importlib.import_module(card.module)
    for op in module.OPERATIONS:
        if op.name == card.name:
            found: Operation[Any] = op
            return found
    raise LookupError(f"{card.name} is not in {card.module}: regenerate the tool index (python -m keitaro_mcp.docs)")
