"""The audit log names who made each write and on which tracker: the signed-in user, the tracker they chose."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from keitaro_mcp.sandbox.seed.entities import USERS
from tests.reliability._servers import mcp_over_http
from tests.team.conftest import TOKENS, Tracker, serve_team, users_config

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


def first_of(login: str) -> int:
    return min(next(c for name, _, _, c in USERS if name == login))


async def test_each_line_names_the_user_and_the_tracker(
    main_tracker: Tracker, eu_tracker: Tracker, tmp_path: Path
) -> None:
    log = tmp_path / "audit.jsonl"
    config = users_config(main_tracker, eu_tracker)
    with serve_team(config, tmp_path, settings_env={"KEITARO_AUDIT_LOG": str(log)}) as served:
        calls = [
            ("anna", {"campaign_id": first_of("anna.buyer"), "notes": "audited", "tracker": "eu"}),
            ("oleg", {"campaign_id": first_of("anna.buyer"), "notes": "not his"}),
            ("max", {"campaign_id": first_of("anna.buyer"), "notes": "read-only"}),
        ]
        for user, arguments in calls:
            async with mcp_over_http(served.mcp, TOKENS[user]) as client:
                await client.call_tool("update_campaign", arguments)
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    seen = [(e["user"], e["tracker"], e["tool"], e["outcome"], e["error_kind"]) for e in lines]
    assert seen == [
        ("anna", "eu", "update_campaign", "sent", None),
        ("oleg", "main", "update_campaign", "failed", "forbidden"),  # Keitaro refused him: not his campaign
        ("max", "main", "update_campaign", "refused", "read_only"),
    ]
    text = log.read_text(encoding="utf-8")
    assert not any(secret in text for secret in TOKENS.values())
