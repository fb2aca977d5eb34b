"""Registering a handler, builder or shaper written for another tool's arguments is a type error (mypy --strict).

`Operation` is generic over its params model; the entry factories and `Executor.call` carry that type through. A
snippet of registrations is checked with mypy under the project's configuration: every line marked `# E: text`
must get an error containing that text, and no other line may get one (so the right registrations pass).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SNIPPET = """
from typing import Any

from keitaro_mcp.context import CallContext
from keitaro_mcp.envelope import Envelope
from keitaro_mcp.executor import Executor
from keitaro_mcp.operations._entity import operation_factory
from keitaro_mcp.operations.campaigns import GetCampaign, UpdateCampaign, _update_body
from keitaro_mcp.operations.clicks import ListClicks, _list_clicks, log_rows
from keitaro_mcp.operations.conversions import ListConversions
from keitaro_mcp.operations.period_comparison import ComparePeriods
from keitaro_mcp.operations.reports import BuildReport, _build_report, report_op
from keitaro_mcp.registry import Operation, Shaped
from keitaro_mcp.tracker import Tracker


async def get_handler(ctx: CallContext, args: GetCampaign) -> Envelope:
    return await ctx.read(f"/campaigns/{args.campaign_id}")


def clicks_shape(data: Any, args: ListClicks) -> Shaped:
    return Shaped(data)


_campaign = operation_factory("campaign", "campaigns")

# Registrations that fit their params model.
GOOD = (
    _campaign(name="get_a", operation="get", method="GET", path="/campaigns/{campaign_id}", params=GetCampaign,
              title="A", read_only=True, handler=get_handler),
    _campaign(name="update_a", operation="update", method="PUT", path="/campaigns/{campaign_id}",
              params=UpdateCampaign, title="A", effect="update", idempotent=True, build=_update_body),
    report_op(name="report_a", resource="stats", operation="getAll", path="/report/build", params=BuildReport,
              title="A", handler=_build_report),
    Operation(name="clicks_a", resource="click", operation="getAll", method="POST", path="/clicks/log",
              params=ListClicks, toolset="clicks", effect="read", idempotent=True, title="A",
              build=_list_clicks, shape=clicks_shape),
)

# Each written for another model.
BAD_HANDLER = report_op(name="report_b", resource="stats", operation="compare", path="/report/build",
                        params=ComparePeriods, title="B",
                        handler=_build_report)  # E: Argument "handler"
BAD_BUILDER = _campaign(name="get_b", operation="get", method="GET", path="/campaigns/{campaign_id}",
                        params=GetCampaign, title="B", read_only=True,
                        build=_update_body)  # E: Argument "build"
BAD_FACTORY_HANDLER = _campaign(name="update_b", operation="update", method="PUT", path="/campaigns/{campaign_id}",
                                params=UpdateCampaign, title="B", effect="update",
                                handler=get_handler)  # E: Argument "handler"
BAD_SHAPER = Operation(name="conversions_b", resource="conversion", operation="getAll", method="POST",
                       path="/conversions/log", params=ListConversions, toolset="conversions", effect="read",
                       idempotent=True, title="B", build=_list_clicks,  # E: Argument "build"
                       shape=clicks_shape)  # E: Argument "shape"
FINE_SHAPER = Operation(name="conversions_c", resource="conversion", operation="getAll", method="POST",
                        path="/conversions/log", params=ListConversions, toolset="conversions", effect="read",
                        idempotent=True, title="C", shape=log_rows)


async def run(executor: Executor, tracker: Tracker) -> None:
    clicks: Operation[ListClicks] = GOOD[3]
    await executor.call(clicks, ListClicks(), tracker=tracker)
    await executor.call(clicks, ListConversions(), tracker=tracker)  # E: of "call" of "Executor"
"""


def mypy_errors(source: str, tmp_path: Path) -> dict[int, list[str]]:
    """mypy's errors on `source` by line, under the project's configuration (strict)."""
    path = tmp_path / "registrations.py"
    path.write_text(source, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), "--no-error-summary", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode in (0, 1), result.stdout + result.stderr
    errors: dict[int, list[str]] = {}
    for line in result.stdout.splitlines():
        # By file name only: mypy replays the errors of an unchanged file from its cache under the path it had then.
        found = re.match(r"(?:.*/)?registrations\.py:(\d+): error: (.*)", line)
        if found:
            errors.setdefault(int(found.group(1)), []).append(found.group(2))
    return errors


def test_a_mismatched_handler_builder_or_shaper_is_a_type_error(tmp_path: Path) -> None:
    expected = {
        number: marker.group(1)
        for number, text in enumerate(SNIPPET.splitlines(), start=1)
        if (marker := re.search(r"# E: (.+)$", text))
    }
    errors = mypy_errors(SNIPPET, tmp_path)
    missing = {n: want for n, want in expected.items() if not any(want in e for e in errors.get(n, []))}
    unexpected = {n: found for n, found in errors.items() if n not in expected}
    assert not missing, f"expected type errors not reported: {missing}\nmypy said: {errors}"
    assert not unexpected, f"registrations that fit were refused: {unexpected}"
