"""Every operation the server can expose, in tools/list order (stable: the spec asks for a deterministic order).

The everyday tools come first (reports, clicks, conversions, campaigns, flows, offers), then the admin surface.
The modules are imported on first use of `OPERATIONS` (or one by one by the server, through the tool index), so a
server that lists tools does not pay for every params model at start-up.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from keitaro_mcp.registry import Operation

__all__ = ["MODULES", "OPERATIONS", "by_module"]

MODULES: tuple[str, ...] = (
    "reports",
    "period_comparison",
    "conversion_debugging",
    "exports",
    "clicks",
    "conversions",
    "campaigns",
    "lookup",
    "postbacks",
    "flows",
    "offers",
    "landing_pages",
    "affiliate_networks",
    "traffic_sources",
    "domains",
    "groups",
    "users",
    "bot_list",
    "labels",
    "logs",
    "integrations",
)


def by_module() -> Iterator[tuple[str, tuple[Operation[Any], ...]]]:
    """(module name, its operations) in tools/list order."""
    for name in MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        yield module.__name__, module.OPERATIONS


def __getattr__(name: str) -> Any:
    if name == "OPERATIONS":
        operations = tuple(op for _, ops in by_module() for op in ops)
        globals()["OPERATIONS"] = operations
        return operations
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if TYPE_CHECKING:
    OPERATIONS: tuple[Operation[Any], ...]
