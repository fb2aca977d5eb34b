"""Bad input is answered like Keitaro answers it (400/404/406/422), never with a 500 or a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from keitaro_mcp.sandbox import Sandbox
from tests.sandbox.conftest import NOW, Api
from tests.sandbox.test_contract import spec_operations

BAD_BODIES: list[Any] = [
    "just a string",
    [1, 2, 3],
    {"name": {"nested": True}, "alias": ["x"], "campaign_id": "abc", "offers": "all", "filters": 7},
    {"range": {"from": 5, "interval": 9}, "dimensions": [1], "measures": {"x": 1}, "limit": -1},
    {
        "campaign_ids": "1",
        "costs": [{"start_date": "tomorrow", "end_date": None, "cost": "lots"}],
        "value": None,
        "items": [],
        "access_data": "all",
        "type": "planets",
        "sort": "clicks",
        "filters": [{"name": "campaign_id", "operator": "IN_LIST", "expression": {"a": 1}}],
    },
]
BAD_QUERIES: list[dict[str, str]] = [{}, {"limit": "-x", "offset": "y", "type": "zzz", "path": "../../etc/passwd"}]


@pytest.fixture(scope="module")
def victim() -> Iterator[Api]:
    sandbox = Sandbox(seed=5, clicks=1_500, now=NOW)
    client = Api(sandbox)
    yield client
    client.close()
    sandbox.close()


@pytest.mark.slow  # about 700 requests
def test_no_operation_answers_500_to_garbage(victim: Api) -> None:
    errors = []
    for method, path in spec_operations():
        concrete = path.replace("{id}", "1").replace("{type}", "system")
        # Every bad body with an empty query, then the bad query with the first body.
        for body, query in [*((b, BAD_QUERIES[0]) for b in BAD_BODIES), (BAD_BODIES[0], BAD_QUERIES[1])]:
            r = victim.request(method, concrete, json=body, params=query)
            if r.status_code >= 500 or "Traceback" in r.text:
                errors.append(f"{method} {path} {body!r} {query!r}: {r.status_code} {r.text[:200]}")
        raw = victim.request(method, concrete, content=b"{broken", headers={"Content-Type": "application/json"})
        if method != "GET" and raw.status_code != 400:
            errors.append(f"{method} {path} with broken JSON: {raw.status_code}")
    assert not errors, "\n".join(errors[:20])


@pytest.mark.parametrize(
    ("path", "status", "media"),
    [
        # Not a number: no route matches, and a real tracker answers its admin SPA page (§2.3).
        ("/campaigns/abc", 200, "text/html"),
        ("/campaigns/-1", 200, "text/html"),
        ("/streams/1.5", 200, "text/html"),
        # A number no entity has, however large: Keitaro's plain-text 404.
        ("/offers/99999999999999999999", 404, "text/plain"),
        ("/campaigns/0", 404, "text/plain"),
    ],
)
def test_bad_ids(victim: Api, path: str, status: int, media: str) -> None:
    r = victim.get(path)
    assert (r.status_code, r.headers["content-type"].split(";")[0]) == (status, media), r.text[:200]
