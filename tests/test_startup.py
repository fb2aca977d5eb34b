"""Start-up stays cheap: what `tools/list` does not need is made on first use (benchmarks/cold_start.py)."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from keitaro_mcp.client import KeitaroClient
from keitaro_mcp.operations import OPERATIONS
from tests.conftest import make_settings

pytestmark = pytest.mark.anyio


async def test_the_http_client_is_made_on_first_use() -> None:
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"id": 1})

    client = KeitaroClient(make_settings(), httpx.MockTransport(answer))
    assert client._http is None  # no TLS context, no connection pool yet
    envelope = await client.request("GET", "/campaigns/1", resource="campaign", operation="get", retry=True)
    assert envelope["success"] and envelope["data"] == {"id": 1}
    assert client.http is client.http  # one shared client from then on
    assert sent[0].headers["Api-Key"] == make_settings().api_key
    assert str(sent[0].url) == "http://tracker.test/admin_api/v1/campaigns/1"
    await client.aclose()


async def test_an_unused_client_closes() -> None:
    client = KeitaroClient(make_settings())
    await client.aclose()
    assert client._http is None


def test_models_are_built_on_first_use() -> None:
    """Importing the tools builds no validator or schema; the server builds only the ones it lists or calls."""
    code = (
        "from keitaro_mcp.operations import OPERATIONS\n"
        "built = [op.name for op in OPERATIONS if op.params.__pydantic_complete__]\n"
        "print(len(built), len(OPERATIONS))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    built, total = int(out[0]), int(out[1])
    assert total == len(OPERATIONS)
    assert built == 0, f"{built} of {total} params models were built at import"


def test_the_stdio_server_starts_without_the_sandbox_or_the_http_transport() -> None:
    code = (
        "import sys\n"
        "from keitaro_mcp.server import build_server\n"
        "from keitaro_mcp.settings import load_settings\n"
        "build_server(load_settings({'KEITARO_URL': 'https://t.example', 'KEITARO_API_KEY': 'k'}))\n"
        "print(' '.join(m for m in ('keitaro_mcp.sandbox', 'keitaro_mcp.http') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""
