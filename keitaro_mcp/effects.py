"""What a tool does to the tracker (its effect), and the annotations and safeguards that follow from it.

Every operation declares one effect; the MCP annotations clients base their approval prompts on are derived from
it, never written by hand, so a tool cannot claim to be harmless while it overwrites:

    read      reads only (Keitaro reads with POST too: /report/build, /clicks/log)    readOnly
    export    reads the tracker, writes a new local file (never replaces one)        additive
    create    adds an entity, a copy, a list entry or an association                  additive
    action    asks the tracker to do something that changes no configured data        additive
    update    changes fields of an existing entity (including its state)               destructive
    upsert    adds, or overwrites what exists under the same key (a conversion)       destructive
    remove    removes an entry or an association; the receipt shows what it was       destructive
    archive   Keitaro's DELETE: it stops serving, a restore brings it back            destructive
    replace   overwrites a whole set (the bot list, the costs of a period)            destructive, confirmed
    delete    deletes an entity or a file for good                                     destructive, confirmed
    wipe      erases data in bulk (stats, the archive, a log, the bot list)            destructive, confirmed

`destructiveHint: false` tells a client the tool only adds: clients that auto-approve such tools must never be
handed an overwrite. "Confirmed" effects cannot be undone: the server asks the person (MCP elicitation) before
anything is sent (keitaro_mcp.confirm).

This module is imported by the tool index without the SDK: keep it free of heavy imports.
"""

from __future__ import annotations

from typing import Literal

__all__ = [
    "ADDITIVE",
    "CONFIRMED",
    "Effect",
    "EffectFlags",
    "access_label",
    "destructive_hint",
    "needs_confirmation",
    "read_only_hint",
    "writes_tracker",
]

Effect = Literal[
    "read", "export", "create", "action", "update", "upsert", "remove", "archive", "replace", "delete", "wipe"
]
ADDITIVE: frozenset[Effect] = frozenset({"read", "export", "create", "action"})
"""Effects that only add: the tools with these effects are the only ones with `destructiveHint: false`."""
CONFIRMED: frozenset[Effect] = frozenset({"replace", "delete", "wipe"})
"""Effects that cannot be undone: a person confirms each call before it is sent."""


def read_only_hint(effect: Effect) -> bool:
    """True when the tool changes nothing, neither in the tracker nor on disk."""
    return effect == "read"


def destructive_hint(effect: Effect) -> bool:
    """True unless the tool only adds (the MCP spec's reading of `destructiveHint: false`)."""
    return effect not in ADDITIVE


def writes_tracker(effect: Effect) -> bool:
    """True when the tool changes the tracker: hidden in read-only mode, written to the audit log."""
    return effect not in ("read", "export")


def needs_confirmation(effect: Effect) -> bool:
    """True when a person must confirm the call (what it destroys cannot be restored)."""
    return effect in CONFIRMED


class EffectFlags:
    """What a tool's effect makes it, for a class with an `effect` (an operation, a tool card)."""

    effect: Effect

    @property
    def read_only(self) -> bool:
        """Changes nothing (the readOnlyHint)."""
        return read_only_hint(self.effect)

    @property
    def destructive(self) -> bool:
        """Not purely additive (the destructiveHint): it overwrites, removes, archives or changes a state."""
        return destructive_hint(self.effect)

    @property
    def writes(self) -> bool:
        """Changes the tracker: hidden in read-only mode, audited."""
        return writes_tracker(self.effect)

    @property
    def confirmed(self) -> bool:
        """Cannot be undone: a person confirms each call before it is sent."""
        return needs_confirmation(self.effect)


def access_label(effect: Effect) -> str:
    """How the CLI, the README and keitaro://tools name what a tool may do."""
    if effect == "read":
        return "read"
    if effect == "export":
        return "read, new local file"
    if effect in ADDITIVE:
        return "write"
    return "write, destructive, confirmed" if effect in CONFIRMED else "write, destructive"
