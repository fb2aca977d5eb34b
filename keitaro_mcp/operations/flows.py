"""Operations of this resource (being ported; filled in by its owner)."""

from __future__ import annotations

from keitaro_mcp.registry import Operation

__all__ = ["OPERATIONS"]

OPERATIONS: tuple[Operation, ...] = ()
