"""Route tables: what a handler receives (:class:`Call`), what it may return (:class:`Reply` or a
JSON value), one :class:`Route` per ``METHOD /template``, and the :class:`Router` that matches a
request path against every family's table in order."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import Response

from keitaro_mcp.sandbox.state import Tracker

__all__ = ["Call", "Handler", "Reply", "Route", "Router", "to_response"]


@dataclass
class Call:
    """One request as a handler sees it: path parameters (``{id}`` as an int), query, JSON body."""

    params: dict[str, int | str]
    query: dict[str, str]
    body: Any

    def id(self) -> int:
        value = self.params["id"]
        assert isinstance(value, int)
        return value


@dataclass
class Reply:
    """An answer other than ``200 application/json`` (a handler's plain return value is that)."""

    body: Any
    status: int = 200
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Tracker, Call], Any]


@dataclass(frozen=True)
class Route:
    """``METHOD /template`` (relative to ``/admin_api/v1``) answered by ``handler``. ``{id}``
    matches digits only (a non-numeric id is an unknown path, as on a real tracker); any other
    ``{name}`` matches one path segment."""

    method: str
    template: str
    handler: Handler
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        regex = re.sub(r"\{(\w+)\}", lambda m: rf"(?P<{m.group(1)}>[^/]+)", self.template)
        object.__setattr__(self, "pattern", re.compile(f"^{regex}$"))


class Router:
    def __init__(self, tables: Iterable[Iterable[Route]]) -> None:
        self.routes = [route for table in tables for route in table]

    def match(self, method: str, path: str) -> tuple[str | None, Handler | None, dict[str, int | str]]:
        """(template, handler, params) of the first route matching method and path; when only
        another method matches, (the last such template, None, {})."""
        template_hit = None
        for route in self.routes:
            found = route.pattern.match(path)
            if not found:
                continue
            params: dict[str, int | str] = {}
            numeric = True
            for key, value in found.groupdict().items():
                if key == "id":
                    if not value.isdigit():
                        numeric = False
                        break
                    params[key] = int(value)
                else:
                    params[key] = value
            if not numeric:
                continue
            if route.method == method:
                return route.template, route.handler, params
            template_hit = route.template
        return template_hit, None, {}


def _json_bytes(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def to_response(reply: Reply) -> Response:
    if isinstance(reply.body, bytes):
        content = reply.body
    elif reply.content_type == "application/json":
        content = _json_bytes(reply.body)
    else:
        content = str(reply.body).encode()
    media = reply.content_type
    if media.startswith("text/"):
        media += "; charset=utf-8"
    return Response(content, status_code=reply.status, media_type=media, headers=reply.headers)
