"""Fixtures for the sandbox tests: shared and fresh sandboxes, a sync client, session-wide contract checks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx2
import pytest
from starlette.testclient import TestClient

from keitaro_mcp.sandbox import DEMO_API_KEY, Sandbox

NOW = datetime(2026, 3, 15, 12, 0, 0, tzinfo=UTC)
HEADERS = {"Api-Key": DEMO_API_KEY}


class Api:
    """A synchronous client of one sandbox's Admin API (paths relative to /admin_api/v1)."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.client = TestClient(sandbox.app, base_url="http://sandbox.test")
        # Entered once: one event-loop thread for all requests instead of one per request.
        self.client.__enter__()

    def close(self) -> None:
        self.client.__exit__(None, None, None)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx2.Response:
        headers = {**HEADERS, **kwargs.pop("headers", {})}
        return self.client.request(method, f"/admin_api/v1{path}", headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx2.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx2.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> httpx2.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx2.Response:
        return self.request("DELETE", path, **kwargs)

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        assert response.status_code == 200, (method, path, response.status_code, response.text[:500])
        return response.json()

    def sql(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        conn = self.sandbox.connection()
        with self.sandbox.store.lock:
            return [tuple(r) for r in conn.execute(query, params).fetchall()]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def shared() -> Iterator[Sandbox]:
    sandbox = Sandbox(seed=7, clicks=10_000, now=NOW)
    yield sandbox
    sandbox.close()


@pytest.fixture(scope="session")
def api(shared: Sandbox) -> Iterator[Api]:
    """Read-mostly tests share one seeded sandbox."""
    client = Api(shared)
    yield client
    client.close()


@pytest.fixture
def fresh() -> Iterator[Api]:
    """A private sandbox for tests that change or delete data."""
    sandbox = Sandbox(seed=3, clicks=3_000, now=NOW)
    client = Api(sandbox)
    yield client
    client.close()
    sandbox.close()
