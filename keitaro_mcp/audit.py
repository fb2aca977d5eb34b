"""The audit log: one JSON line per write attempt, for the operator (KEITARO_AUDIT_LOG = a file path or `stderr`).

Every call of a tool that writes to the tracker appends one line, whatever became of it — sent, refused (bad
arguments, read-only mode, no configuration), unconfirmed (the client could not ask the person), declined, or
failed — with who (`local` on stdio; the authenticated user when the call context names one), which tracker, the
tool, its arguments (secret fields and configured secrets masked), the requests it sent (method, path, status),
the outcome, the error kind, the duration and the receipt's changes. A call that ends in an exception instead of
an envelope (cancelled by its client, or a crash) is logged too, failed with kind `cancelled` or `internal`: a
request may have left before it ended (its status null). Reads are logged only with KEITARO_AUDIT_READS=true.

The standard library does the writing: a `logging.StreamHandler` (stderr) or a size-rotated
`logging.handlers.RotatingFileHandler` (10 MB, 5 old files kept). A handler emits under its own lock and flushes
each record, so lines from concurrent calls never interleave and a crash loses nothing already logged.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, TypedDict, cast
from urllib.parse import urlsplit

import anyio

from keitaro_mcp.context import CallRecord, recording
from keitaro_mcp.envelope import Envelope, Redactor, mask_secret_fields, to_json

if TYPE_CHECKING:
    from mcp.server import ServerRequestContext
    from mcp.types import CallToolRequestParams, CallToolResult, InputRequiredResult

    from keitaro_mcp.tracker import Tracker

__all__ = [
    "AUDIT_BACKUPS",
    "AUDIT_MAX_BYTES",
    "AuditEntry",
    "AuditLog",
    "CallTool",
    "Outcome",
    "audited",
    "outcome_of",
    "tracker_label",
    "user_of",
]

AUDIT_MAX_BYTES = 10 * 1024 * 1024
AUDIT_BACKUPS = 5
Outcome = Literal["sent", "refused", "unconfirmed", "declined", "failed", "read"]
_REFUSED = frozenset({"invalid_arguments", "read_only", "config"})


class AuditEntry(TypedDict):
    time: str
    user: str
    tracker: str
    tool: str
    arguments: dict[str, Any]
    requests: list[dict[str, Any]]
    outcome: Outcome
    success: bool
    error_kind: str | None
    duration_ms: int
    changes: Any


def outcome_of(envelope: Envelope, *, writes: bool) -> Outcome:
    """What became of a call, from its envelope."""
    if envelope["success"]:
        return "sent" if writes else "read"
    kind = envelope["error"]["kind"] if "error" in envelope else None
    if kind in _REFUSED:
        return "refused"
    if kind == "needs_confirmation":
        return "unconfirmed"
    if kind == "declined":
        return "declined"
    return "failed"


class AuditLog:
    """Appends audit lines to stderr or a rotated file."""

    def __init__(self, target: str, *, reads: bool) -> None:
        self.target = target
        self.reads = reads
        handler: logging.Handler
        if target == "stderr":
            handler = logging.StreamHandler(sys.stderr)
        else:
            # delay: the file is opened on the first line, so a server that is only listed creates nothing.
            handler = logging.handlers.RotatingFileHandler(
                target, maxBytes=AUDIT_MAX_BYTES, backupCount=AUDIT_BACKUPS, encoding="utf-8", delay=True
            )
        handler.setFormatter(logging.Formatter("%(message)s"))
        self._handler = handler

    def wants(self, writes: bool) -> bool:
        """Whether a call of this kind is logged (writes always; reads with KEITARO_AUDIT_READS=true)."""
        return writes or self.reads

    def record(
        self,
        *,
        user: str,
        tracker: str,
        tool: str,
        arguments: dict[str, Any],
        envelope: Envelope,
        writes: bool,
        requests: list[dict[str, Any]],
        duration: float,
        redact: Redactor,
    ) -> AuditEntry:
        """Write the line of one finished call and return it; `redact` masks every secret the server knows."""
        error = envelope.get("error")
        data = envelope["data"] if envelope["success"] else None
        entry: AuditEntry = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "user": user,
            "tracker": tracker,
            "tool": tool,
            "arguments": mask_secret_fields(arguments),
            "requests": requests,
            "outcome": outcome_of(envelope, writes=writes),
            "success": envelope["success"],
            "error_kind": error["kind"] if error else None,
            "duration_ms": round(duration * 1000),
            "changes": data.get("changes") if writes and isinstance(data, dict) else None,
        }
        self.write(to_json(redact(entry)))
        return entry

    def write(self, line: str) -> None:
        """One line, whole: the handler's own lock keeps concurrent calls' lines apart; it flushes each one."""
        self._handler.handle(logging.makeLogRecord({"msg": line, "levelno": logging.INFO, "levelname": "INFO"}))

    def close(self) -> None:
        """Close the file (the next line reopens it)."""
        self._handler.close()


def user_of(tracker: Tracker) -> str:
    """Who made the call: the user whose key the tracker is reached with, `local` when nobody signed in."""
    user = getattr(tracker, "user", None)
    return user if isinstance(user, str) and user else "local"


def tracker_label(tracker: Tracker) -> str:
    """The tracker's configured name, or its host when it has none of its own."""
    name = getattr(tracker, "name", None)
    if isinstance(name, str) and name and name != "default":
        return name
    return "sandbox" if tracker.sandbox else urlsplit(tracker.base_url).hostname or tracker.base_url


CallTool = Callable[
    ["ServerRequestContext[Any]", "CallToolRequestParams"], Awaitable["CallToolResult | InputRequiredResult"]
]


def audited(
    handler: CallTool,
    audit: AuditLog,
    writes: Mapping[str, bool],
    tracker: Tracker,
    redactor_for: Callable[[ServerRequestContext[Any], Tracker], Redactor],
) -> CallTool:
    """The tools/call handler with one audit line per finished call of a logged kind. `writes` tells, per tool name,
    whether it writes to the tracker; `tracker` is the one a call goes to unless it says otherwise (`note_tracker`);
    `redactor_for` masks what the server knows is secret for that tracker.

    A round that only asks the person (an input-required result) is not a finished call: its line is written when
    the answer comes back. A protocol error (an unknown tool) is not a call of any tool and is not logged."""

    async def call_tool(
        ctx: ServerRequestContext[Any], params: CallToolRequestParams
    ) -> CallToolResult | InputRequiredResult:
        from mcp.types import CallToolResult

        write = writes.get(params.name)
        if write is None or not audit.wants(write):
            return await handler(ctx, params)
        started = time.monotonic()

        def log(record: CallRecord, envelope: Envelope) -> None:
            used = record.tracker or tracker
            audit.record(
                user=user_of(used), tracker=tracker_label(used), tool=params.name,
                arguments=dict(params.arguments or {}), envelope=envelope, writes=write, requests=record.requests,
                duration=time.monotonic() - started, redact=redactor_for(ctx, used),
            )  # fmt: skip

        with recording() as record:
            try:
                result = await handler(ctx, params)
            except BaseException as exc:
                # Still an attempt: a cancelled call (the client gave up) or a crash may come after a request left.
                kind = "cancelled" if isinstance(exc, anyio.get_cancelled_exc_class()) else "internal"
                log(record, cast(Envelope, {"success": False, "data": None, "error": {"kind": kind}}))
                raise
        if not isinstance(result, CallToolResult) or not isinstance(result.structured_content, dict):
            return result
        log(record, cast(Envelope, result.structured_content))
        return result

    return call_tool
