"""The sandbox's own control path (``/_sandbox``, needs the API key): inject and remove faults,
read and reset the request counters, describe the sandbox."""

from __future__ import annotations

import json
import re
from typing import Any, Protocol

from keitaro_mcp.sandbox.errors import HttpError, bad_request
from keitaro_mcp.sandbox.faults import FaultError, Faults
from keitaro_mcp.sandbox.routing import Reply

__all__ = ["ControlHost", "control"]

FAULT_FIELDS = {"kind", "route", "times", "probability", "delay", "status", "retry_after"}


class ControlHost(Protocol):
    faults: Faults

    @property
    def request_counts(self) -> dict[str, int]: ...

    def reset_counts(self) -> None: ...

    def info(self) -> dict[str, Any]: ...


def control(host: ControlHost, method: str, rel: str, raw_body: bytes) -> Reply:
    try:
        if rel == "/faults" and method == "GET":
            return Reply([f.to_json() for f in host.faults.active()])
        if rel == "/faults" and method == "POST":
            spec = json.loads(raw_body or b"{}")
            if not isinstance(spec, dict):
                raise bad_request("Fault must be an object")
            unknown = set(spec) - FAULT_FIELDS
            if unknown:
                raise bad_request(f"Unknown fault fields: {', '.join(sorted(unknown))}")
            fault = host.faults.add(**spec)
            return Reply(fault.to_json())
        if rel == "/faults" and method == "DELETE":
            host.faults.clear()
            return Reply({"success": True})
        found = re.fullmatch(r"/faults/(\d+)", rel)
        if found and method == "DELETE":
            removed = host.faults.remove(int(found.group(1)))
            return Reply({"success": removed}, 200 if removed else 404)
        if rel == "/requests" and method == "GET":
            counts = host.request_counts
            return Reply({"counts": counts, "total": sum(counts.values())})
        if rel == "/requests" and method == "DELETE":
            host.reset_counts()
            return Reply({"success": True})
        if rel == "/info" and method == "GET":
            return Reply(host.info())
    except (FaultError, TypeError, ValueError) as exc:
        return Reply({"error": str(exc)}, 400)
    except HttpError as err:
        return Reply(err.body, err.status, err.content_type)
    return Reply({"error": f"Unknown control path {method} {rel}"}, 404)
