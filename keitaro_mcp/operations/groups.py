"""Groups of campaigns, offers, landing pages and domains."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from keitaro_mcp.operations._common import GroupId, Params
from keitaro_mcp.operations._entity import operation_factory

__all__ = ["OPERATIONS"]

GroupType = Literal["campaigns", "offers", "landings", "domains"]


class ListGroups(Params):
    """List groups of one type."""

    # Keitaro requires `type`; the default is always sent.
    type: GroupType = "campaigns"


class CreateGroup(Params):
    """Create a group."""

    name: str = Field(min_length=1)
    type: GroupType
    position: int | None = Field(default=None, ge=0)
    """Sort order."""


class UpdateGroup(Params):
    """Rename or move a group."""

    group_id: GroupId
    name: str | None = None
    position: int | None = Field(default=None, ge=0)


class DeleteGroup(Params):
    """Permanent: groups have no archive."""

    group_id: GroupId


_group = operation_factory("group", "groups")


OPERATIONS = (
    _group(name="list_groups", operation="getAll", method="GET", path="/groups", params=ListGroups, title="List groups",
           read_only=True),
    _group(name="create_group", operation="create", method="POST", path="/groups", params=CreateGroup,
           title="Create group", effect="create"),
    _group(name="update_group", operation="update", method="PUT", path="/groups/{group_id}", params=UpdateGroup,
           title="Update group", effect="update", idempotent=True),
    # The real path is /groups/{id}/delete, and it deletes (no archive for groups).
    _group(name="delete_group", operation="delete", method="DELETE", path="/groups/{group_id}/delete",
           params=DeleteGroup, title="Delete group", effect="delete", idempotent=True),
)  # fmt: skip
