"""Traffic sources: list, read, create, edit, clone, delete."""

from __future__ import annotations

from pydantic import Field

from keitaro_mcp.operations._common import EntityState, Params, TrafficSourceId
from keitaro_mcp.operations._entity import operation_factory
from keitaro_mcp.operations._lists import SOURCE_COLUMNS, FullOption, list_shape
from keitaro_mcp.operations.campaigns import ConversionStatus, ParameterSpec

__all__ = ["OPERATIONS"]


class _HasTrafficSourceId(Params):
    traffic_source_id: TrafficSourceId


class _TrafficSourceFields(Params):
    name: str | None = Field(default=None, min_length=1)
    postback_url: str | None = None
    """With macros, e.g. {external_id}."""
    postback_statuses: list[ConversionStatus] | None = None
    template_name: str | None = None
    """e.g. facebook."""
    accept_parameters: bool | None = None
    parameters: dict[str, ParameterSpec] | None = None
    """By key: keyword, cost, external_id, sub_id_1, ..."""
    traffic_loss: float | None = Field(default=None, ge=0, le=100)
    """Percent."""
    state: EntityState | None = None
    notes: str | None = None


class ListTrafficSources(FullOption):
    """Traffic sources; their parameters: get_traffic_source."""


class GetTrafficSource(_HasTrafficSourceId):
    """With its parameters."""


class CreateTrafficSource(_TrafficSourceFields):
    """Create a traffic source."""

    name: str = Field(min_length=1)


class UpdateTrafficSource(_TrafficSourceFields, _HasTrafficSourceId):
    """Only the fields given change."""


class CloneTrafficSource(_HasTrafficSourceId):
    """The copy gets a new id."""


class DeleteTrafficSource(_HasTrafficSourceId):
    """Keitaro marks it deleted."""


_source = operation_factory("source", "traffic_sources")
_ONE = "/traffic_sources/{traffic_source_id}"

OPERATIONS = (
    _source(name="list_traffic_sources", operation="getAll", method="GET", path="/traffic_sources",
            params=ListTrafficSources, title="List traffic sources", read_only=True, shape=list_shape(SOURCE_COLUMNS)),
    _source(name="get_traffic_source", operation="get", method="GET", path=_ONE, params=GetTrafficSource,
            title="Get traffic source", read_only=True),
    _source(name="create_traffic_source", operation="create", method="POST", path="/traffic_sources",
            params=CreateTrafficSource, title="Create traffic source", effect="create"),
    _source(name="update_traffic_source", operation="update", method="PUT", path=_ONE, params=UpdateTrafficSource,
            title="Update traffic source", effect="update", idempotent=True),
    _source(name="clone_traffic_source", operation="clone", method="POST", path=f"{_ONE}/clone",
            params=CloneTrafficSource, title="Clone traffic source", effect="create"),
    # Answers 200 with no body: the envelope's data is null on success.
    _source(name="delete_traffic_source", operation="delete", method="DELETE", path=_ONE, params=DeleteTrafficSource,
            title="Delete traffic source", effect="delete", idempotent=True),
)  # fmt: skip
