"""Former home of the request path, now split into transport.py (HTTP, retries), classify.py (answers to error
kinds), context.py (the call context) and executor.py (running an operation). These names stay importable from
here until every operation module imports them from their new homes."""

from __future__ import annotations

from keitaro_mcp.context import CallContext
from keitaro_mcp.executor import default_parts

__all__ = ["CallContext", "default_parts"]
