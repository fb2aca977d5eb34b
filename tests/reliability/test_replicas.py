"""Stateless over HTTP: two server processes serve one client alternately, as behind a round-robin balancer.

Both replicas are real `keitaro-mcp --transport http` processes on 127.0.0.1 with the same token, pointed at one
sandbox tracker (uvicorn on another loopback port). The client talks to one public name (`mcp.lb.test`, listed in
KEITARO_MCP_ALLOWED_HOSTS as a deployment would); a transport in front of it sends each HTTP request to the next
replica. A write on one replica is read back through the other; one replica going away mid-session does not
break the session.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from keitaro_mcp.sandbox import Sandbox
from tests.conftest import TEST_API_KEY, TEST_POSTBACK_KEY
from tests.reliability._servers import free_socket, mcp_over_http, serve_in_thread, wait_http
from tests.secrets_guard import TEST_MCP_TOKEN

pytestmark = pytest.mark.slow  # two server processes and a tracker on loopback

LB_HOST = "mcp.lb.test"


def free_port() -> int:
    sock = free_socket()
    port: int = sock.getsockname()[1]
    sock.close()
    return port


class RoundRobin(httpx2.AsyncBaseTransport):
    """A load balancer in miniature: request N goes to replica N mod len; the Host header stays the public name."""

    def __init__(self, ports: list[int]) -> None:
        self.ports = ports
        self.live = list(ports)
        self.served: Counter[int] = Counter()
        self.methods: list[tuple[int, str]] = []
        self._inner = httpx2.AsyncHTTPTransport()
        self._next = 0

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        port = self.live[self._next % len(self.live)]
        self._next += 1
        request.url = request.url.copy_with(host="127.0.0.1", port=port)
        self.served[port] += 1
        self.methods.append((port, request.headers.get("mcp-method", "")))
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


@pytest.fixture(scope="module")
def replicas() -> Iterator[list[int]]:
    box = Sandbox(seed=17, clicks=200, api_key=TEST_API_KEY, postback_key=TEST_POSTBACK_KEY)
    with serve_in_thread(box.app) as tracker_url:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KEITARO_")}
        env.update(
            KEITARO_URL=tracker_url,
            KEITARO_API_KEY=TEST_API_KEY,
            KEITARO_POSTBACK_KEY=TEST_POSTBACK_KEY,
            KEITARO_MCP_TOKEN=TEST_MCP_TOKEN,
            KEITARO_MCP_ALLOWED_HOSTS=LB_HOST,
            KEITARO_TOOLSETS="all",
        )
        ports = [free_port(), free_port()]
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "keitaro_mcp", "--transport", "http", "--port", str(port)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            for port in ports
        ]
        try:
            for port in ports:
                wait_http(f"http://127.0.0.1:{port}/healthz", timeout=60)
            yield ports
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:  # pragma: no cover
                    proc.kill()
                    proc.wait()
                assert proc.stderr is not None
                proc.stderr.close()
    box.close()


def envelope(result: Any) -> dict[str, Any]:
    env = result.structured_content
    assert isinstance(env, dict), result
    assert env["success"], env.get("error")
    return env


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_two_replicas_serve_one_client_alternately(replicas: list[int], mode: str) -> None:
    balancer = RoundRobin(replicas)
    async with mcp_over_http(f"http://{LB_HOST}/mcp", TEST_MCP_TOKEN, mode=mode, transport=balancer) as client:
        tools = (await client.list_tools()).tools
        assert any(t.name == "create_campaign" for t in tools)
        created = envelope(await client.call_tool("create_campaign", {"name": f"replicated-{mode}"}))
        campaign_id = created["data"]["id"]
        for step in range(6):  # alternate: every read may land on the other replica than the write
            got = envelope(await client.call_tool("get_campaign", {"campaign_id": campaign_id}))
            assert got["data"]["name"] == (f"replicated-{mode}" if step == 0 else f"renamed-{step - 1}")
            envelope(await client.call_tool("update_campaign", {"campaign_id": campaign_id, "name": f"renamed-{step}"}))
        calls = [port for port, method in balancer.methods if method == "tools/call"] or list(balancer.served)
        assert set(replicas) <= set(balancer.served), balancer.served
        assert len(set(calls)) == 2 or mode == "legacy", balancer.methods
        # One replica leaves (a deploy, a crash): the same client session goes on with the other.
        balancer.live = [replicas[1]]
        envelope(await client.call_tool("get_campaign", {"campaign_id": campaign_id}))
        balancer.live = list(replicas)
    assert min(balancer.served.values()) >= 5
