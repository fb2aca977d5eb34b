"""Tracker logs: read, clean, and the list of log types."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from keitaro_mcp.operations._common import Limit, Offset, Params
from keitaro_mcp.registry import Operation

__all__ = ["OPERATIONS"]

LogType = Literal["system", "traffic", "postbacks", "ssl", "sent_postbacks"]


class GetLog(Params):
    """Read a tracker log; postbacks (received ones) explains missing conversions."""

    log_type: LogType
    # Keitaro requires limit; the default is always sent.
    limit: Limit = 100
    offset: Offset | None = None
    query: str | None = None
    """Text to search for."""


class CleanLog(Params):
    """Erase every row of one tracker log."""

    log_type: LogType
    confirm: Literal[True] = Field(exclude=True)


class ListLogTypes(Params):
    """List the log types this tracker has."""


OPERATIONS = (
    Operation(name="get_log", resource="log", operation="get", method="GET", path="/logs/{log_type}",
              params=GetLog, toolset="logs", read_only=True, destructive=False, idempotent=True, title="Get log"),
    Operation(name="clean_log", resource="log", operation="clean", method="DELETE", path="/logs/{log_type}",
              params=CleanLog, toolset="logs", read_only=False, destructive=True, idempotent=True,
              title="Clean log"),
    # POST, but a read.
    Operation(name="list_log_types", resource="log", operation="getTypes", method="POST", path="/logs/types",
              params=ListLogTypes, toolset="logs", read_only=True, destructive=False, idempotent=True,
              title="List log types"),
)  # fmt: skip
