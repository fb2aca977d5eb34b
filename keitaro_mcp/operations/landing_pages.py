"""Landing pages: list, read, create, edit, clone, archive, and the local landing's file editor."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from keitaro_mcp.operations._common import EntityState, GroupId, LandingId, Params
from keitaro_mcp.operations._entity import ActionPayload, ZipBase64, editor_operations, operation_factory, write_body
from keitaro_mcp.operations._lists import LANDING_COLUMNS, FullOption, list_shape

__all__ = ["OPERATIONS"]

LandingType = Literal["local", "external", "preloaded", "action"]
LandingAction = Literal["local_file", "http", "curl", "status404", "show_text", "show_html"]


class _HasLandingId(Params):
    landing_id: LandingId


class _LandingFields(Params):
    name: str | None = Field(default=None, min_length=1)
    landing_type: LandingType | None = None
    """local: archive; external: url."""
    action_type: LandingAction | None = None
    url: str | None = None
    """For external."""
    action_payload: ActionPayload | None = None
    """URL, text or HTML for action_type."""
    group_id: GroupId | None = None
    state: EntityState | None = None
    notes: str | None = None


class ListLandingPages(FullOption):
    """Landing pages: id, name, state, type, group, URL."""


class GetLandingPage(_HasLandingId):
    """With its settings."""


class CreateLandingPage(_LandingFields):
    """External (url) or local (archive; Keitaro's default)."""

    name: str = Field(min_length=1)
    archive: ZipBase64 | None = None
    """Base64 zip of a local landing."""


class UpdateLandingPage(_LandingFields, _HasLandingId):
    """Only the fields given change."""


class CloneLandingPage(_HasLandingId):
    """The copy gets a new id."""


class ArchiveLandingPage(_HasLandingId):
    """Keitaro's delete for landings."""


_landing = operation_factory("landing", "landing_pages")

OPERATIONS = (
    _landing(name="list_landing_pages", operation="getAll", method="GET", path="/landing_pages",
             params=ListLandingPages, title="List landing pages", read_only=True, shape=list_shape(LANDING_COLUMNS)),
    _landing(name="get_landing_page", operation="get", method="GET", path="/landing_pages/{landing_id}",
             params=GetLandingPage, title="Get landing page", read_only=True),
    _landing(name="create_landing_page", operation="create", method="POST", path="/landing_pages",
             params=CreateLandingPage, title="Create landing page", effect="create", build=write_body()),
    _landing(name="update_landing_page", operation="update", method="PUT", path="/landing_pages/{landing_id}",
             params=UpdateLandingPage, title="Update landing page", effect="update", idempotent=True,
             build=write_body("landing_id")),
    # The only clone in the API that is a PUT.
    _landing(name="clone_landing_page", operation="clone", method="PUT", path="/landing_pages/{landing_id}/clone",
             params=CloneLandingPage, title="Clone landing page", effect="create"),
    _landing(name="archive_landing_page", operation="delete", method="DELETE", path="/landing_pages/{landing_id}",
             params=ArchiveLandingPage, title="Archive landing page", effect="archive", idempotent=True),
    *editor_operations(_landing, noun="landing_page", plural="landing_pages", id_field="landing_id",
                       id_type=LandingId),
)  # fmt: skip
