"""Start-up stays cheap: what `tools/list` does not need is made on first use (benchmarks/cold_start.py)."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from keitaro_mcp.operations import OPERATIONS
from keitaro_mcp.tracker import Tracker
from keitaro_mcp.transport import Transport
from tests.conftest import make_settings

pytestmark = pytest.mark.anyio


async def test_the_http_client_is_made_on_first_use() -> None:
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"id": 1})

    settings = make_settings()
    transport = Transport.from_settings(settings, httpx.MockTransport(answer))
    tracker = Tracker.from_settings(settings)
    assert transport.pools == {}  # no TLS context, no connection pool yet
    response = await transport.send(tracker, "GET", "/campaigns/1", retry=True)
    assert isinstance(response, httpx.Response) and response.json() == {"id": 1}
    assert transport.pool(tracker) is transport.pool(tracker)  # one client per tracker from then on
    assert list(transport.pools) == [(tracker.base_url, "local")]
    assert sent[0].headers["Api-Key"] == settings.api_key
    assert str(sent[0].url) == "http://tracker.test/admin_api/v1/campaigns/1"
    await transport.aclose()
    assert transport.pools == {}


@pytest.mark.slow  # a fresh interpreter
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


@pytest.mark.slow  # a fresh interpreter
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
