"""A server that declares resources answers resources/templates/list (the conformance `caching` scenario calls it)."""

from __future__ import annotations

import pytest
from mcp import Client

from keitaro_mcp.server import build_server
from tests.conftest import make_settings

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_resource_templates_list_is_empty_not_method_not_found(mode: str) -> None:
    async with Client(build_server(make_settings()), mode=mode) as client:
        result = await client.list_resource_templates()
        resources = await client.list_resources()
    assert result.resource_templates == []
    assert resources.resources, "resources are declared, so templates must be listable too"
