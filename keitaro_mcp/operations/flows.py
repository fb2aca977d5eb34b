"""Flows (Keitaro's streams): read, edit, pause/resume; create, archive, restore, search and the catalogues.

A campaign's flows are listed by list_campaign_flows (campaigns.py). Paths say `/streams`; tools say flow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from keitaro_mcp.operations._common import CampaignId, EntityState, FlowId, LandingId, OfferId, Params
from keitaro_mcp.operations._entity import ActionPayload, operation_factory, pause_resume
from keitaro_mcp.operations._lists import FLOW_COLUMNS, FullOption, list_shape
from keitaro_mcp.registry import RequestParts

if TYPE_CHECKING:
    from keitaro_mcp.tracker import Tracker

__all__ = ["OPERATIONS"]

FlowType = Literal["forced", "regular", "default"]
FlowSchema = Literal["landings", "redirect", "action"]
SCHEMA_DOC = "landings: landings/offers; redirect: action_payload."
ACTION_TYPE_DOC = "From list_flow_actions; landings flows: http."


class FlowFilter(Params):
    name: str = Field(min_length=1)
    """e.g. country (list_flow_filters)."""
    mode: Literal["accept", "reject"]
    payload: list[str] | None = None
    """e.g. ["US"]; none for bot."""


class FlowOffer(Params):
    offer_id: OfferId
    share: int = Field(ge=0)
    state: EntityState | None = None


class FlowLanding(Params):
    landing_id: LandingId
    share: int = Field(ge=0)
    state: EntityState | None = None


class FlowTrigger(Params):
    condition: Literal["not_respond", "always", "not_contains", "av_detected"]
    target: Literal["stream", "landings", "offers", "selected_page"]
    action: Literal["disable", "replace_url", "grab_from_page"]
    selected_page: str | None = None
    """URL to check."""
    pattern: str | None = None
    """Text for not_contains."""
    interval: int | None = Field(default=None, ge=1)
    alternative_urls: str | None = None
    """For replace_url, one per line."""
    grab_from_page: str | None = None
    """Page holding the new URL."""
    av_settings: str | None = None
    reverse: bool | None = None
    scan_page: bool | None = None


class _HasFlowId(Params):
    flow_id: FlowId


class _FlowRotation(Params):
    """The everyday part of a flow: where its visitors go."""

    landings: list[FlowLanding] | None = None
    offers: list[FlowOffer] | None = None


class _FlowSettings(Params):
    """Who enters a flow and how it works."""

    name: str | None = Field(default=None, min_length=1)
    type: FlowType | None = None
    """Matched forced, regular, then default."""
    flow_schema: FlowSchema | None = Field(default=None, alias="schema", description=SCHEMA_DOC)
    action_type: str | None = Field(default=None, min_length=1, description=ACTION_TYPE_DOC)
    action_payload: ActionPayload | None = None
    """URL, text/HTML or campaign id."""
    action_options: dict[str, Any] | None = None
    filters: list[FlowFilter] | None = None
    filter_or: bool | None = None
    """Default AND."""
    position: int | None = Field(default=None, ge=0)
    weight: float | None = Field(default=None, ge=0)
    """For weight rotation."""
    collect_clicks: bool | None = None
    comments: str | None = None
    offer_selection: Literal["before_click", "after_click"] | None = None
    """Keitaro may ignore it."""


class UpdateFlow(_FlowRotation, _HasFlowId):
    """Lists replace whole lists (include every entry to keep); other fields: update_flow_settings."""


class UpdateFlowSettings(_FlowSettings, _HasFlowId):
    """Only the fields given change, a list replaces the whole list; landings and offers: update_flow."""

    triggers: list[FlowTrigger] | None = None


def _settings_body(args: UpdateFlowSettings, tracker: Tracker) -> RequestParts:
    body: dict[str, Any] = args.model_dump(mode="json", by_alias=True, exclude_none=True, exclude={"flow_id"})
    for trigger in body.get("triggers", ()):
        trigger["stream_id"] = args.flow_id  # the spec requires the owning flow's id in each trigger
    return RequestParts(body=body)


class GetFlow(_HasFlowId):
    """With its filters, offers and landings."""


class SetFlowState(_HasFlowId):
    """Pause a flow or resume it."""

    state: Literal["active", "paused"]


class _HasCampaignId(Params):
    campaign_id: CampaignId


class CreateFlow(_FlowRotation, _FlowSettings, _HasCampaignId):
    """Triggers are set with update_flow_settings."""

    name: str = Field(min_length=1)
    flow_schema: FlowSchema = Field(alias="schema", description=SCHEMA_DOC)
    action_type: str = Field(min_length=1, description=ACTION_TYPE_DOC)
    type: FlowType = "regular"
    """Matched forced, regular, then default."""
    collect_clicks: bool = True
    state: EntityState | None = None


class ArchiveFlow(_HasFlowId):
    """Keitaro's delete: it stops serving; restore_flow undoes it."""


class RestoreFlow(_HasFlowId):
    """Ids: list_deleted_flows."""


class GetFlowEvents(_HasFlowId):
    """Keitaro's event log for a flow."""


class ListDeletedFlows(FullOption):
    """Archived flows of all campaigns."""


class SearchFlows(FullOption):
    """Across all campaigns, by text."""

    query: str = Field(min_length=1, max_length=200)


class ListFlowTypes(Params):
    """List flow types."""


class ListFlowSchemas(Params):
    """List flow schemas."""


class ListFlowActions(Params):
    """The action_type keys and their payloads."""


class ListFlowFilters(Params):
    """Filter names (value), modes, defaults."""


_flow = operation_factory("stream", "flows_admin")

OPERATIONS = (
    _flow(name="get_flow", operation="get", method="GET", path="/streams/{flow_id}", params=GetFlow, title="Get flow",
          toolset="flows", read_only=True),
    _flow(name="update_flow", operation="update", method="PUT", path="/streams/{flow_id}", params=UpdateFlow,
          title="Update flow", effect="update", toolset="flows", idempotent=True),
    _flow(name="set_flow_state", variants=pause_resume("/streams/{flow_id}"), params=SetFlowState,
          title="Pause or resume flow", effect="update", toolset="flows", idempotent=True),
    _flow(name="create_flow", operation="create", method="POST", path="/streams", params=CreateFlow,
          title="Create flow", effect="create"),
    _flow(name="update_flow_settings", operation="update", method="PUT", path="/streams/{flow_id}",
          params=UpdateFlowSettings, title="Update flow settings", effect="update", idempotent=True,
          build=_settings_body),
    _flow(name="archive_flow", operation="delete", method="DELETE", path="/streams/{flow_id}", params=ArchiveFlow,
          title="Archive flow", effect="archive", idempotent=True),
    _flow(name="restore_flow", operation="restore", method="POST", path="/streams/{flow_id}/restore",
          params=RestoreFlow, title="Restore flow", effect="update", idempotent=True),
    _flow(name="get_flow_events", operation="getEvents", method="GET", path="/streams/{flow_id}/events",
          params=GetFlowEvents, title="Get flow events", read_only=True),
    _flow(name="list_deleted_flows", operation="getDeleted", method="GET", path="/streams/deleted",
          params=ListDeletedFlows, title="List archived flows", read_only=True, shape=list_shape(FLOW_COLUMNS)),
    _flow(name="search_flows", operation="search", method="GET", path="/streams/search", params=SearchFlows,
          title="Search flows", read_only=True, shape=list_shape(FLOW_COLUMNS)),
    _flow(name="list_flow_types", operation="getTypes", method="GET", path="/stream_types", params=ListFlowTypes,
          title="List flow types", read_only=True),
    _flow(name="list_flow_schemas", operation="getSchemas", method="GET", path="/stream_schemas",
          params=ListFlowSchemas, title="List flow schemas", read_only=True),
    # The action catalogue is /streams_actions (with the s); /stream_actions does not exist.
    _flow(name="list_flow_actions", operation="getActions", method="GET", path="/streams_actions",
          params=ListFlowActions, title="List flow actions", read_only=True),
    _flow(name="list_flow_filters", operation="getAll", method="GET", path="/stream_filters", params=ListFlowFilters,
          title="List flow filters", read_only=True, resource="filter"),
)  # fmt: skip
