"""List results as the columns people scan: `{columns, rows}` like reports, `full: true` for the whole objects.

Keitaro's list endpoints answer whole objects (a traffic source carries 30 parameter mappings, an offer its URL,
caps and notes): 23 campaigns cost 2,387 tokens as objects and 866 as the columns a person scans to pick one
(benchmarks/result_tokens.py). A list tool keeps those columns; `full` gives what Keitaro sent; `get_*` has one
entity whole. States read as the tools that change them speak: `paused` for Keitaro's `disabled`, `archived` for
its `deleted`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import Field

from keitaro_mcp.compact import to_number
from keitaro_mcp.operations._common import Params
from keitaro_mcp.registry import Shaped, Shaper
from keitaro_mcp.states import tool_state

__all__ = [
    "DOMAIN_COLUMNS",
    "FLOW_COLUMNS",
    "LANDING_COLUMNS",
    "NETWORK_COLUMNS",
    "OFFER_COLUMNS",
    "SOURCE_COLUMNS",
    "USER_COLUMNS",
    "FullOption",
    "ScanColumns",
    "entity_state",
    "list_shape",
    "table",
]

entity_state = tool_state
"""Keitaro's state as the tools speak it (keitaro_mcp.states)."""


class FullOption(Params):
    """Mixin: `full` asks for Keitaro's whole objects instead of the scan columns."""

    # Never sent: it only chooses the answer's form. No field description: the tool's says what the rows hold, and
    # ten list tools would repeat it.
    full: bool | None = Field(default=None, exclude=True)


Derive = Callable[[Mapping[str, Any]], Any]


@dataclass(frozen=True)
class ScanColumns:
    """The columns of one kind of entity: names in order; `numbers` sent by Keitaro as strings ("4", "0.5478")
    become numbers; `derive` computes a column from the object (e.g. the offer ids of a flow)."""

    names: tuple[str, ...]
    numbers: frozenset[str] = frozenset()
    derive: Mapping[str, Derive] = field(default_factory=dict)

    def value(self, item: Mapping[str, Any], name: str) -> Any:
        if name in self.derive:
            return self.derive[name](item)
        value = item.get(name)
        if name == "state":
            return entity_state(value)
        return to_number(value) if name in self.numbers else value


def table(items: Iterable[Any], columns: ScanColumns) -> dict[str, Any]:
    """`{columns, rows}` of the objects among `items`."""
    rows = [[columns.value(item, name) for name in columns.names] for item in items if isinstance(item, Mapping)]
    return {"columns": list(columns.names), "rows": rows}


def list_shape(columns: ScanColumns) -> Shaper[Any]:
    """A list tool's `shape`: the scan columns, or Keitaro's objects when the call asked for `full`."""

    def shape(data: Any, args: Any) -> Shaped:
        if getattr(args, "full", False) or not isinstance(data, list):
            return Shaped(data)
        return Shaped(table(data, columns))

    return shape


def _shares(key: str) -> Derive:
    """A flow's offers or landings as {id: share}."""

    def derive(flow: Mapping[str, Any]) -> Any:
        return {
            str(x.get(key)): x.get("share")
            for x in flow.get(key.removesuffix("_id") + "s") or []
            if isinstance(x, dict)
        }

    return derive


def _filters(flow: Mapping[str, Any]) -> list[str]:
    """A flow's filters as `accept country=US,CA`."""
    out = []
    for f in flow.get("filters") or []:
        if isinstance(f, dict):
            payload = f.get("payload")
            values = (
                ",".join(map(str, payload)) if isinstance(payload, list) else "" if payload is None else str(payload)
            )
            out.append(f"{f.get('mode')} {f.get('name')}" + (f"={values}" if values else ""))
    return out


OFFER_COLUMNS = ScanColumns(
    ("id", "name", "state", "group", "affiliate_network", "payout_type", "payout_value", "payout_currency", "country"),
    numbers=frozenset({"payout_value"}),
)
FLOW_COLUMNS = ScanColumns(
    ("id", "campaign_id", "name", "type", "state", "position", "weight", "schema", "action_type", "filters", "offers",
     "landings"),
    numbers=frozenset({"position", "weight"}),
    derive={"filters": _filters, "offers": _shares("offer_id"), "landings": _shares("landing_id")},
)  # fmt: skip
"""A flow's offers and landings are {id: share}; its filters `accept country=US,CA`."""
LANDING_COLUMNS = ScanColumns(("id", "name", "state", "landing_type", "group", "url"))
SOURCE_COLUMNS = ScanColumns(("id", "name", "state", "template_name", "postback_statuses"))
NETWORK_COLUMNS = ScanColumns(("id", "name", "state", "template_name"))
DOMAIN_COLUMNS = ScanColumns(
    ("id", "name", "state", "is_ssl", "ssl_status", "network_status", "default_campaign_id", "campaigns_count"),
    numbers=frozenset({"default_campaign_id", "campaigns_count"}),
)
USER_COLUMNS = ScanColumns(("id", "login", "type", "state"))
