"""Optional recorder of every exchange a sandbox app handles.

Tests register a listener (``add_listener``) and receive one :class:`Exchange` per request,
which lets a session-wide hook validate everything the suite sent and got back against the
OpenAPI document. Listeners are module-level on purpose: apps created anywhere in the test
session (fixtures, helpers of other test modules) report to the same place.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Exchange:
    method: str
    path: str  # full path, e.g. /admin_api/v1/campaigns/3
    query: str  # raw query string, without '?'
    request_body: bytes
    status: int
    response_headers: dict[str, str]
    response_body: bytes
    request_headers: dict[str, str] = field(default_factory=dict)
    route: str | None = None  # "METHOD /template" when the path matched a route

    def json(self) -> Any:
        return json.loads(self.response_body)


Listener = Callable[[Exchange], None]

listeners: list[Listener] = []


def add_listener(listener: Listener) -> None:
    listeners.append(listener)


def remove_listener(listener: Listener) -> None:
    if listener in listeners:
        listeners.remove(listener)


def emit(exchange: Exchange) -> None:
    for listener in listeners:
        listener(exchange)


@contextmanager
def recording() -> Iterator[list[Exchange]]:
    """Collect the exchanges made inside the ``with`` block."""
    seen: list[Exchange] = []
    add_listener(seen.append)
    try:
        yield seen
    finally:
        remove_listener(seen.append)
