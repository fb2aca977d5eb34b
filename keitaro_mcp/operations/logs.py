"""Tracker logs: read, clean, and the list of log types."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from keitaro_mcp.operations._common import Limit, Offset, Params
from keitaro_mcp.operations._entity import operation_factory

__all__ = ["OPERATIONS"]

LogType = Literal["system", "traffic", "postbacks", "ssl", "sent_postbacks"]


class GetLog(Params):
    """postbacks (received ones) explains missing conversions."""

    log_type: LogType
    # Keitaro requires limit; the default is always sent.
    limit: Limit = 100
    offset: Offset | None = None
    query: str | None = Field(default=None, min_length=1)
    """Search text."""


class CleanLog(Params):
    """Erase all rows of one log."""

    log_type: LogType
    confirm: Literal[True] = Field(exclude=True)


class ListLogTypes(Params):
    """The ones this tracker has."""


_log = operation_factory("log", "logs")

OPERATIONS = (
    _log(name="get_log", operation="get", method="GET", path="/logs/{log_type}", params=GetLog, title="Get log",
         read_only=True),
    _log(name="clean_log", operation="clean", method="DELETE", path="/logs/{log_type}", params=CleanLog,
         title="Clean log", effect="wipe", idempotent=True),
    # POST, but a read.
    _log(name="list_log_types", operation="getTypes", method="POST", path="/logs/types", params=ListLogTypes,
         title="List log types", read_only=True),
)  # fmt: skip
