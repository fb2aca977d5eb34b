"""Seeding is deterministic: the same seed, click count and ``now`` give the same database, row for row."""

from __future__ import annotations

from typing import Any

from keitaro_mcp.sandbox import Sandbox
from tests.sandbox.conftest import NOW


def _dump(seed: int) -> dict[str, list[tuple[Any, ...]]]:
    sandbox = Sandbox(seed=seed, clicks=1_500, now=NOW)
    try:
        conn = sandbox.connection()
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {t: [tuple(r) for r in conn.execute(f"SELECT * FROM {t} ORDER BY rowid")] for t in tables}
    finally:
        sandbox.close()


def test_same_seed_same_database() -> None:
    first, second = _dump(9), _dump(9)
    assert len(first["clicks"]) > 1_000 and first["conversions"] and first["campaigns"]
    assert [t for t in first if first[t] != second[t]] == []


def test_another_seed_other_data() -> None:
    first, other = _dump(9), _dump(10)
    assert first["clicks"] != other["clicks"]
    assert first["campaigns"] != other["campaigns"]  # aliases and tokens come from the seed
