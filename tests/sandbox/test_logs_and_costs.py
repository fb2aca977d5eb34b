"""Click log, conversion log, cost updates and clean stats."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sandbox.conftest import Api


def test_click_log_paging_columns_filters(api: Api) -> None:
    body: dict[str, Any] = {
        "range": {"from": "2026-03-01", "to": "2026-03-14", "timezone": "UTC"},
        "columns": ["click_id", "sub_id", "datetime", "campaign_id", "country_code", "cost", "revenue", "is_bot"],
        "filters": [{"name": "country_code", "operator": "EQUALS", "expression": "DE"}],
        "sort": [{"name": "click_id", "order": "ASC"}],
        "limit": 50,
    }
    first = api.ok("POST", "/clicks/log", json=body)
    expected = api.sql(
        "SELECT id FROM clicks WHERE country_code = 'DE' AND dt >= strftime('%s', '2026-03-01') "
        "AND dt < strftime('%s', '2026-03-15') ORDER BY id"
    )
    assert first["total"] == len(expected)
    seen = [r["click_id"] for r in first["rows"]]
    offset = 50
    while offset < first["total"]:
        page = api.ok("POST", "/clicks/log", json={**body, "offset": offset})
        seen += [r["click_id"] for r in page["rows"]]
        offset += 50
    assert seen == [r[0] for r in expected]
    row = first["rows"][0]
    assert set(row) == set(body["columns"]) and row["country_code"] == "DE" and len(row["datetime"]) == 19


def test_click_log_needs_limit_or_range(api: Api) -> None:
    r = api.post("/clicks/log", json={"columns": ["sub_id"]})
    assert r.status_code == 406 and "limit" in r.json()
    assert api.post("/clicks/log", json={"limit": 5, "columns": ["payout"]}).status_code == 400
    assert len(api.ok("POST", "/clicks/log", json={"limit": 5})["rows"]) == 5


def test_conversion_log(api: Api) -> None:
    body = {
        "range": {"interval": "all_time"},
        "columns": ["conversion_id", "sub_id", "status", "previous_status", "original_status", "postback_datetime",
                    "click_datetime", "revenue", "offer", "tid"],
        "filters": [{"name": "status", "operator": "EQUALS", "expression": "sale"}],
        "sort": [{"name": "postback_datetime", "order": "DESC"}],
        "limit": 20,
    }  # fmt: skip
    got = api.ok("POST", "/conversions/log", json=body)
    assert got["total"] == api.sql("SELECT count(*) FROM conversions WHERE status = 'sale'")[0][0]
    dates = [r["postback_datetime"] for r in got["rows"]]
    assert dates == sorted(dates, reverse=True)
    assert all(r["status"] == "sale" and r["click_datetime"] <= r["postback_datetime"] for r in got["rows"])
    assert api.post("/conversions/log", json={"columns": ["payout"]}).status_code == 400


def _campaign_cost(api: Api, cid: int, day: str) -> float:
    body = {
        "range": {"from": day, "to": day, "timezone": "Europe/Berlin"},
        "measures": ["cost"],
        "filters": [{"name": "campaign_id", "operator": "EQUALS", "expression": cid}],
    }
    rows = api.ok("POST", "/report/build", json=body)["rows"]
    return float(rows[0]["cost"]) if rows else 0.0


def test_bulk_cost_update_changes_reports(fresh: Api) -> None:
    before = _campaign_cost(fresh, 1, "2026-03-10")
    body = {
        "campaign_ids": [1],
        "only_campaign_uniques": 0,
        "costs": [{"start_date": "2026-03-10 00:00", "end_date": "2026-03-10 23:59", "cost": "123.45",
                   "timezone": "Europe/Berlin", "currency": "USD"}],
    }  # fmt: skip
    assert fresh.ok("POST", "/clicks/update_costs", json=body) == {"success": True}
    after = _campaign_cost(fresh, 1, "2026-03-10")
    assert after == pytest.approx(123.45, abs=0.01) and after != before
    # Idempotent: the same push again leaves the same total.
    fresh.ok("POST", "/clicks/update_costs", json=body)
    assert _campaign_cost(fresh, 1, "2026-03-10") == pytest.approx(123.45, abs=0.01)


def test_cost_filters_uniques_and_currency(fresh: Api) -> None:
    placements = fresh.sql("SELECT sub_id_1, count(*) FROM clicks WHERE campaign_id = 2 GROUP BY 1 ORDER BY 2 DESC")
    chosen = [placements[0][0], placements[1][0]]
    body = {"start_date": "2026-01-01 00:00", "end_date": "2026-03-15 23:59", "cost": 100, "currency": "EUR",
            "timezone": "UTC", "only_campaign_uniques": True, "filters": {"sub_id_1": ",".join(chosen)}}  # fmt: skip
    assert fresh.ok("POST", "/campaigns/2/update_costs", json=body) == {"success": True}
    total, uniques_cost, others = fresh.sql(
        "SELECT sum(cost), sum(CASE WHEN is_unique_campaign = 1 THEN cost ELSE 0 END), "
        "sum(CASE WHEN is_unique_campaign = 0 THEN cost ELSE 0 END) FROM clicks "
        "WHERE campaign_id = 2 AND sub_id_1 IN (?, ?) AND dt >= strftime('%s', '2026-01-01')",
        tuple(chosen),
    )[0]
    assert total == pytest.approx(108.0) and uniques_cost == pytest.approx(108.0) and others == 0
    bad = fresh.post("/campaigns/2/update_costs", json={"start_date": "2026-01-01", "end_date": "2026-01-02"})
    assert bad.status_code == 406 and "cost" in bad.json()
    assert fresh.post("/campaigns/2/update_costs", json={**body, "filters": {"domain": "x"}}).status_code == 406
    assert fresh.post("/campaigns/9999/update_costs", json=body).status_code == 404
    assert fresh.post("/clicks/update_costs", json={"campaign_ids": [], "costs": []}).status_code == 406


def test_clean_stats(fresh: Api) -> None:
    count = fresh.sql("SELECT count(*) FROM clicks WHERE campaign_id = 5")[0][0]
    assert count > 0
    body = {"start_date": "2025-01-01", "end_date": "2026-03-15", "timezone": "UTC", "campaign_id": 5}
    assert fresh.ok("POST", "/clicks/clean", json=body) == {"success": True}
    assert fresh.sql("SELECT count(*) FROM clicks WHERE campaign_id = 5")[0][0] == 0
    assert fresh.sql(
        "SELECT count(*) FROM conversions v LEFT JOIN clicks c ON c.id = v.click_id WHERE c.id IS NULL"
    ) == [(0,)]
    assert fresh.sql("SELECT count(*) FROM clicks WHERE campaign_id = 6")[0][0] > 0
    assert fresh.post("/clicks/clean", json={"start_date": "2026-01-01"}).status_code == 406
