"""The route tables: one handler per METHOD /template, and matching that respects numeric ids."""

from __future__ import annotations

from collections import Counter

from keitaro_mcp.sandbox.resources import ROUTE_TABLES
from keitaro_mcp.sandbox.routing import Router


def test_no_route_is_declared_twice() -> None:
    # A second entry for the same METHOD /template would never be reached: the first match wins.
    seen = Counter((route.method, route.template) for table in ROUTE_TABLES for route in table)
    assert [key for key, n in seen.items() if n > 1] == []


def test_router_matches_numeric_ids_and_names_other_methods() -> None:
    router = Router(ROUTE_TABLES)
    template, handler, params = router.match("GET", "/campaigns/12")
    assert (template, params) == ("/campaigns/{id}", {"id": 12})
    assert handler is not None
    # A non-numeric id is an unknown path; a known path with another method names the route, no handler.
    assert router.match("GET", "/campaigns/abc") == (None, None, {})
    template, handler, _ = router.match("PATCH", "/campaigns/12")
    assert (template, handler) == ("/campaigns/{id}", None)
    assert router.match("GET", "/logs/system")[2] == {"type": "system"}
