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
    _group("list_groups", "getAll", "GET", "/groups", ListGroups, "List groups", read_only=True),
    _group("create_group", "create", "POST", "/groups", CreateGroup, "Create group"),
    _group("update_group", "update", "PUT", "/groups/{group_id}", UpdateGroup, "Update group", idempotent=True),
    # The real path is /groups/{id}/delete, and it deletes (no archive for groups).
    _group("delete_group", "delete", "DELETE", "/groups/{group_id}/delete", DeleteGroup, "Delete group",
           destructive=True, idempotent=True),
)  # fmt: skip
