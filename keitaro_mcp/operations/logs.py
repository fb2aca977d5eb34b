"""Tracker logs: read, clean, and the list of log types."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from keitaro_mcp.envelope import Envelope, read_failed
from keitaro_mcp.operations._common import Limit, Offset, Params
from keitaro_mcp.operations._entity import operation_factory
from keitaro_mcp.registry import Impact

if TYPE_CHECKING:
    from keitaro_mcp.context import CallContext

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


COUNTED = 1000
"""Rows read to say how many a clean erases (Keitaro's log answers carry no total)."""


async def _clean_impact(ctx: CallContext, args: CleanLog) -> Impact | Envelope:
    """Count the log's rows (up to COUNTED) before it is erased."""
    envelope = await ctx.read(f"/logs/{args.log_type}", {"limit": COUNTED})
    if not envelope["success"]:
        return read_failed(envelope, f"the {args.log_type} log", nothing_changed=True)
    rows = len(envelope["data"]) if isinstance(envelope["data"], list) else 0
    counted = f"at least {rows:,}" if rows >= COUNTED else f"{rows:,}"
    question = f"Erase the {args.log_type} log: {counted} rows. This cannot be undone."
    return Impact(question=question, scope={"log_type": args.log_type}, before={"rows": counted}, after={"rows": 0})


class ListLogTypes(Params):
    """The ones this tracker has."""


_log = operation_factory("log", "logs")

OPERATIONS = (
    _log(name="get_log", operation="get", method="GET", path="/logs/{log_type}", params=GetLog, title="Get log",
         read_only=True),
    _log(name="clean_log", operation="clean", method="DELETE", path="/logs/{log_type}", params=CleanLog,
         title="Clean log", effect="wipe", idempotent=True, impact=_clean_impact),
    # POST, but a read.
    _log(name="list_log_types", operation="getTypes", method="POST", path="/logs/types", params=ListLogTypes,
         title="List log types", read_only=True),
)  # fmt: skip
