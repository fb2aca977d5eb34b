"""Fault injection, from Python and over the control path."""

from __future__ import annotations

import time

import httpx
import pytest

from keitaro_mcp.sandbox import DEMO_API_KEY, Sandbox
from keitaro_mcp.sandbox.app import DroppedConnection
from tests.sandbox.conftest import NOW, Api


def test_rate_limit_server_errors_and_counts(fresh: Api) -> None:
    sb = fresh.sandbox
    sb.faults.add(kind="rate_limit", route="POST /campaigns", times=1, retry_after=7)
    r = fresh.post("/campaigns", json={"name": "x", "alias": "fault-1"})
    assert r.status_code == 429 and r.headers["retry-after"] == "7" and r.json() == {"error": "Too Many Requests"}
    assert fresh.post("/campaigns", json={"name": "x", "alias": "fault-1"}).status_code == 200
    sb.faults.add(kind="server_error", route="GET /campaigns/{id}", status=503, times=2)
    assert [fresh.get("/campaigns/1").status_code for _ in range(3)] == [503, 503, 200]
    sb.faults.add(kind="server_error", route="GET /offers", status=502, times=1)
    bad_gateway = fresh.get("/offers")
    assert bad_gateway.status_code == 502 and "nginx" in bad_gateway.text
    counts = sb.request_counts
    assert counts["POST /campaigns"] == 2 and counts["GET /campaigns/{id}"] == 3
    with pytest.raises(ValueError, match="Unknown fault kind"):
        sb.faults.add(kind="meteor")


def test_challenge_and_malformed_json(fresh: Api) -> None:
    fresh.sandbox.faults.add(kind="challenge", times=1)
    r = fresh.get("/campaigns")
    assert r.status_code == 403 and "Just a moment..." in r.text
    assert r.headers["server"] == "cloudflare" and r.headers["cf-ray"]
    fresh.sandbox.faults.add(kind="malformed_json", route="POST /groups", times=1)
    r = fresh.post("/groups", json={"name": "Half", "type": "offers"})
    assert r.status_code == 200
    with pytest.raises(ValueError):
        r.json()
    # The write itself happened once.
    assert [g["name"] for g in fresh.ok("GET", "/groups", params={"type": "offers"})].count("Half") == 1


def test_latency_and_probability(fresh: Api) -> None:
    fresh.sandbox.faults.add(kind="latency", route="GET /botlist", delay=0.3, times=1)
    started = time.monotonic()
    fresh.ok("GET", "/botlist")
    assert time.monotonic() - started >= 0.3
    fault = fresh.sandbox.faults.add(kind="server_error", route="GET /users", probability=0.5)
    codes = [fresh.get("/users").status_code for _ in range(40)]
    assert 5 < codes.count(500) < 35 and fault.hits == codes.count(500)


def test_control_path(fresh: Api) -> None:
    c = fresh.client
    assert c.post("/_sandbox/faults", json={"kind": "rate_limit"}).status_code == 401
    headers = {"Api-Key": DEMO_API_KEY}
    made = c.post("/_sandbox/faults", json={"kind": "server_error", "route": "DELETE /campaigns/{id}", "times": 1},
                  headers=headers)  # fmt: skip
    assert made.status_code == 200 and made.json()["kind"] == "server_error"
    assert len(c.get("/_sandbox/faults", headers=headers).json()) == 1
    assert fresh.delete("/campaigns/2").status_code == 500
    assert c.post("/_sandbox/faults", json={"kind": "nope"}, headers=headers).status_code == 400
    assert c.post("/_sandbox/faults", json={"kind": "drop", "color": 1}, headers=headers).status_code == 400
    c.post("/_sandbox/faults", json={"kind": "rate_limit"}, headers=headers)
    assert c.delete("/_sandbox/faults", headers=headers).json() == {"success": True}
    assert fresh.delete("/campaigns/2").status_code == 200
    counts = c.get("/_sandbox/requests", headers=headers).json()
    assert counts["counts"]["DELETE /campaigns/{id}"] == 2
    c.delete("/_sandbox/requests", headers=headers)
    assert c.get("/_sandbox/requests", headers=headers).json() == {"counts": {}, "total": 0}


@pytest.mark.anyio
async def test_drop_through_asgi_transport_is_a_transport_error() -> None:
    sandbox = Sandbox(seed=1, clicks=0, now=NOW)
    sandbox.faults.add(kind="drop", route="POST /streams", times=1)
    transport = httpx.ASGITransport(app=sandbox.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.test/admin_api/v1") as client:
        with pytest.raises(httpx.TransportError):
            await client.post("/streams", json={}, headers={"Api-Key": DEMO_API_KEY})
        r = await client.post("/streams", json={}, headers={"Api-Key": DEMO_API_KEY})
        assert r.status_code == 406
    assert sandbox.request_counts["POST /streams"] == 2
    assert issubclass(DroppedConnection, httpx.TransportError)
    sandbox.close()
