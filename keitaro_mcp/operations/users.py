"""Users and their access rights."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator

from keitaro_mcp.operations._common import Params, Timezone, UserId
from keitaro_mcp.operations._entity import operation_factory
from keitaro_mcp.operations._lists import USER_COLUMNS, FullOption, list_shape
from keitaro_mcp.registry import RequestParts

if TYPE_CHECKING:
    from keitaro_mcp.tracker import Tracker

__all__ = ["OPERATIONS"]

UserType = Literal["USER", "ADMIN"]
AccessArea = Literal[
    "campaigns", "streams", "offers", "landings", "traffic_sources", "affiliate_networks", "domains"
]  # fmt: skip
AccessType = Literal["full_access", "read_only", "to_groups_and_selected", "created_by_user_groups_and_selected"]


class _Preferences(Params):
    language: Literal["ru", "en"] | None = None
    timezone: Timezone | None = None
    """e.g. Europe/Berlin."""


class ListUsers(FullOption):
    """Users: id, login, type, state; access: get_user."""


class GetUser(Params):
    """With access and preferences."""

    user_id: UserId


class CreateUser(_Preferences):
    """A panel user; rights: update_user_access."""

    login: str = Field(min_length=1)
    password: str = Field(min_length=1)
    type: UserType


def _user_body(args: CreateUser | UpdateUser, tracker: Tracker) -> RequestParts:
    preferences = args.model_dump(mode="json", exclude_none=True, include=set(_Preferences.model_fields))
    body: dict[str, Any] = args.model_dump(
        mode="json", exclude_none=True, exclude={"user_id", "password", *_Preferences.model_fields}
    )
    if preferences:
        body["preferences"] = preferences
    # Keitaro wants the password twice (new_password + new_password_confirmation); one field can't mismatch.
    if args.password is not None:
        body["new_password"] = body["new_password_confirmation"] = args.password
    return RequestParts(body=body)


class UpdateUser(_Preferences):
    """Only the fields given change."""

    user_id: UserId
    login: str | None = None
    password: str | None = Field(default=None, min_length=1)
    type: UserType | None = None


class DeleteUser(Params):
    """Permanent; cannot be undone."""

    user_id: UserId


class UpdateUserAccess(Params):
    """What a user may see and edit, per area."""

    user_id: UserId
    access: dict[AccessArea, AccessType] | None = None
    """Per area, e.g. {"campaigns": "read_only"}."""
    resources: list[str] | None = None
    reports: list[str] | None = None

    @model_validator(mode="after")
    def _something_to_set(self) -> UpdateUserAccess:
        if self.access is None and self.resources is None and self.reports is None:
            raise ValueError("give access, resources or reports")
        return self


def _access_body(args: UpdateUserAccess, tracker: Tracker) -> RequestParts:
    access: dict[str, Any] = {f"{area}_access_type": kind for area, kind in (args.access or {}).items()}
    if args.resources is not None:
        access["resources"] = args.resources
    if args.reports is not None:
        access["reports"] = args.reports
    return RequestParts(body={"access_data": access})


_user = operation_factory("user", "users")


OPERATIONS = (
    _user(name="list_users", operation="getAll", method="GET", path="/users", params=ListUsers, title="List users",
          read_only=True, shape=list_shape(USER_COLUMNS)),
    _user(name="get_user", operation="get", method="GET", path="/users/{user_id}", params=GetUser, title="Get user",
          read_only=True),
    _user(name="create_user", operation="create", method="POST", path="/users", params=CreateUser,
          title="Create user", effect="create", build=_user_body),
    _user(name="update_user", operation="update", method="PUT", path="/users/{user_id}", params=UpdateUser,
          title="Update user", effect="update", idempotent=True, build=_user_body),
    _user(name="delete_user", operation="delete", method="DELETE", path="/users/{user_id}", params=DeleteUser,
          title="Delete user", effect="delete", idempotent=True),
    _user(name="update_user_access", operation="updateAccess", method="PUT", path="/users/{user_id}/access",
          params=UpdateUserAccess, title="Update user access", effect="update", idempotent=True, build=_access_body),
)  # fmt: skip
