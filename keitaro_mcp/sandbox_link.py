"""The one place the server reaches the built-in sandbox tracker, and only when KEITARO_URL=sandbox.

The sandbox module is imported lazily here, so a server pointed at a real tracker never loads it.
"""

from __future__ import annotations

import httpx

__all__ = ["SANDBOX_BASE_URL", "SANDBOX_KEYS", "sandbox_transport"]

# (API key, postback key) of the in-process demo tracker; equal to keitaro_mcp.sandbox's demo constants (tested).
SANDBOX_KEYS = ("sandbox-demo-key", "sandboxpb")
SANDBOX_BASE_URL = "http://sandbox.local/admin_api/v1"


def sandbox_transport() -> httpx.AsyncBaseTransport:
    """An ASGI transport into a fresh in-process sandbox tracker seeded with demo traffic."""
    from keitaro_mcp.sandbox import Sandbox

    sandbox = Sandbox(api_key=SANDBOX_KEYS[0], postback_key=SANDBOX_KEYS[1])
    return httpx.ASGITransport(app=sandbox.app)
