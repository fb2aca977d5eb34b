"""MCP resources: the report catalogues and the enabled tools, read on demand instead of living in descriptions.

Tool descriptions point here ("names: keitaro://catalog/measures"), so tools/list stays small while the model can
still look up every measure, dimension, operator and period when it needs one. Contents are compact JSON.
The report view (`ui://keitaro/report.html`, an MCP Apps HTML document for hosts that draw it) is listed here too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS, Resource, TextResourceContents

from keitaro_mcp.effects import access_label
from keitaro_mcp.envelope import to_json
from keitaro_mcp.registry import Operation
from keitaro_mcp.report_catalog import (
    CONVERSION_DIMENSIONS,
    DIMENSION_GROUPS,
    EXPRESSION_SHAPES,
    KEITARO_PRESETS,
    MEASURES,
    OPERATORS,
    PERIODS,
    READING,
)
from keitaro_mcp.surface import Surface
from keitaro_mcp.tool_index import ToolCard
from keitaro_mcp.tracker import Tracker
from keitaro_mcp.views import read_view, view_resources

__all__ = ["RESOURCES", "list_resources", "read_resource"]

MIME = "application/json"

RESOURCES: dict[str, tuple[str, str]] = {
    "keitaro://catalog/measures": ("measures", "Report measures (the measures argument) with their meaning."),
    "keitaro://catalog/dimensions": ("dimensions", "Report dimensions (group-by columns), by kind."),
    "keitaro://catalog/operators": ("operators", "Report filter operators and the value each one takes."),
    "keitaro://catalog/periods": ("periods", "Periods the period argument accepts."),
    "keitaro://catalog/reports": (
        "reports",
        "How results read: filters on measures, summary, empty rows, weeks, ranges, comparison columns.",
    ),
    "keitaro://tools": ("tools", "The tools this server exposes, by toolset, with their access."),
}
"""uri -> (name, description)."""
TRACKERS = "keitaro://trackers"
"""Listed only to a caller who may use several trackers (read: only theirs)."""


def list_resources(*, trackers: bool = False, surface: Surface | None = None) -> list[Resource]:
    """The resources; descriptions rendered for the caller's `surface` (keitaro_mcp.surface)."""
    several = {TRACKERS: ("trackers", "The trackers you may use (the tracker argument), the default first.")}
    render = surface.render if surface is not None else str
    return [
        *(
            Resource(uri=uri, name=name, description=render(description), mime_type=MIME)
            for uri, (name, description) in (RESOURCES | (several if trackers else {})).items()
        ),
        *view_resources(),
    ]


def _content(uri: str, tools: Iterable[Operation[Any] | ToolCard], trackers: Sequence[Tracker]) -> Any:
    if uri == "keitaro://catalog/measures":
        return MEASURES
    if uri == "keitaro://catalog/dimensions":
        return {
            **{kind: list(names) for kind, names in DIMENSION_GROUPS.items()},
            "conversion_log_only": list(CONVERSION_DIMENSIONS),
            "note": "campaign/campaign_id, offer/offer_id, landing, ts, stream: the name or the id; no domain column",
        }
    if uri == "keitaro://catalog/operators":
        return {op: EXPRESSION_SHAPES[kind] for op, kind in OPERATORS.items()}
    if uri == "keitaro://catalog/periods":
        return {
            **PERIODS,
            "keitaro_presets": KEITARO_PRESETS,
            "timezone": "the timezone argument (IANA name); default KEITARO_TIMEZONE, else UTC",
        }
    if uri == "keitaro://catalog/reports":
        return READING
    if uri == "keitaro://tools":
        by_set: dict[str, list[str]] = {}
        for op in tools:
            access = access_label(op.effect)
            by_set.setdefault(op.toolset, []).append(f"{op.name} ({access})")
        return by_set
    if uri == TRACKERS and len(trackers) > 1:
        return [
            {"name": t.name, "url": t.root, "timezone": t.timezone or "UTC", **({"default": True} if i == 0 else {})}
            for i, t in enumerate(trackers)
        ]
    raise MCPError(code=INVALID_PARAMS, message=f"Unknown resource: {uri}", data={"uri": uri})


def read_resource(
    uri: str,
    tools: Iterable[Operation[Any] | ToolCard],
    trackers: Sequence[Tracker] = (),
    surface: Surface | None = None,
) -> list[TextResourceContents]:
    """The resource's JSON text (a view: its HTML); an unknown URI is JSON-RPC -32602 (not found, SEP-2164).
    `trackers`: those the caller may use, as they reach them; texts rendered for the caller's `surface`."""
    view = read_view(uri)
    if view is not None:
        return view
    content = _content(uri, tools, trackers)
    if surface is not None:
        content = surface.render_tree(content)
    return [TextResourceContents(uri=uri, mime_type=MIME, text=to_json(content))]
