"""Incoming postbacks: Keitaro's semantics (reference §8)."""

from __future__ import annotations

from typing import Any

import httpx2

from tests.sandbox.conftest import Api


def _click(api: Api, campaign_id: int = 1) -> tuple[int, str]:
    rows = api.sql(
        "SELECT id, sub_id FROM clicks WHERE campaign_id = ? AND offer_id > 0 AND conversions = 0 AND rebills = 0 "
        "ORDER BY id LIMIT 1",
        (campaign_id,),
    )
    return int(rows[0][0]), str(rows[0][1])


def _postback(api: Api, **params: Any) -> httpx2.Response:
    return api.client.get("/sandboxpb/postback", params=params)


def _convs(api: Api, click_id: int) -> list[tuple[Any, ...]]:
    return api.sql(
        "SELECT status, previous_status, original_status, revenue, tid FROM conversions WHERE click_id = ? ORDER BY id",
        (click_id,),
    )


def test_default_status_is_sale_and_click_aggregates_follow(fresh: Api) -> None:
    click_id, subid = _click(fresh)
    r = _postback(fresh, subid=subid, payout="21.5")
    assert r.status_code == 200 and r.text == "Success"
    assert _convs(fresh, click_id) == [("sale", None, "sale", 21.5, None)]
    assert fresh.sql("SELECT conversions, sales, sale_revenue FROM clicks WHERE id = ?", (click_id,)) == [(1, 1, 21.5)]


def test_no_tid_updates_in_place_with_allowed_transitions(fresh: Api) -> None:
    click_id, subid = _click(fresh)
    _postback(fresh, subid=subid, status="lead", payout=10)
    _postback(fresh, subid=subid, status="sale", payout=12)
    assert _convs(fresh, click_id) == [("sale", "lead", "sale", 12.0, None)]
    _postback(fresh, subid=subid, status="lead")  # sale -> lead is not an allowed transition
    assert _convs(fresh, click_id)[0][0] == "sale"
    _postback(fresh, subid=subid, status="rejected")
    assert _convs(fresh, click_id)[0][:2] == ("rejected", "sale")
    assert fresh.sql("SELECT conversions, sales, rejected, rejected_revenue FROM clicks WHERE id = ?", (click_id,)) == [
        (1, 0, 1, 12.0)
    ]
    log = [row["message"] for row in fresh.ok("GET", "/logs/postbacks", params={"limit": 50})]
    assert any('transition "sale" -> "lead" is not allowed' in m for m in log)
    assert any(m.startswith("Received postback http://") and subid in m for m in log)


def test_tid_rules(fresh: Api) -> None:
    click_id, subid = _click(fresh, campaign_id=4)  # offers 11/12; offer 11 allows upsells
    offer_id = fresh.sql("SELECT offer_id FROM clicks WHERE id = ?", (click_id,))[0][0]
    _postback(fresh, subid=subid, status="lead", tid="T1", payout=5)
    _postback(fresh, subid=subid, status="lead", tid="T1", payout=5)  # same pair: ignored
    assert len(_convs(fresh, click_id)) == 1
    log = [row["message"] for row in fresh.ok("GET", "/logs/postbacks", params={"limit": 20})]
    assert 'Conversion by pair "SubId + tid" already exists. Postback ignored.' in log
    _postback(fresh, subid=subid, status="sale", tid="T1", payout=5)  # allowed transition of that conversion
    assert _convs(fresh, click_id) == [("sale", "lead", "sale", 5.0, "T1")]
    _postback(fresh, subid=subid, status="sale", tid="T2", payout=3)  # a new tid: a new conversion
    convs = _convs(fresh, click_id)
    assert len(convs) == 2
    upsell = fresh.sql("SELECT json_extract(doc, '$.payout_upsell') FROM offers WHERE id = ?", (offer_id,))[0][0]
    assert convs[1][0] == ("rebill" if upsell else "sale")


def test_status_mapping_ignore_return_and_sub_ids(fresh: Api) -> None:
    click_id, subid = _click(fresh, campaign_id=2)
    r = fresh.client.post(
        "/sandboxpb/postback",
        data={"subid": subid, "status": "approved", "sale_status": "approved,paid", "lead_status": "hold",
              "payout": "30", "return": "OK", "sub_id_7": "from-network", "currency": "EUR"},
    )  # fmt: skip
    assert r.text == "OK"
    status, _, original, revenue, _ = _convs(fresh, click_id)[0]
    assert (status, original, revenue) == ("sale", "approved", 30 * 1.08)
    assert fresh.sql("SELECT sub_id_7 FROM clicks WHERE id = ?", (click_id,)) == [("from-network",)]
    _postback(fresh, subid=subid, status="test", ignore_status="ping,test")
    _postback(fresh, subid=subid, status="weird")
    assert len(_convs(fresh, click_id)) == 1
    assert _postback(fresh, status="sale").status_code == 400  # subid is required
    assert _postback(fresh, subid="nope").status_code == 200
    log = [row["message"] for row in fresh.ok("GET", "/logs/postbacks", params={"limit": 30})]
    assert 'SubID not found "nope"' in log


def test_sent_postbacks_show_the_chain(fresh: Api) -> None:
    click_id, subid = _click(fresh, campaign_id=1)  # Facebook campaign with an S2S postback on lead/sale
    tid_log_before = len(fresh.ok("GET", "/logs/sent_postbacks", params={"limit": 100}))
    _postback(fresh, subid=subid, status="lead", payout=7)
    sent = fresh.ok("GET", "/logs/sent_postbacks", params={"limit": 100, "query": subid})
    assert len(sent) == 1 and "facebook.com" in sent[0]["message"] and "status lead" in sent[0]["message"]
    assert len(fresh.ok("GET", "/logs/sent_postbacks", params={"limit": 100})) == tid_log_before + 1
    conv = fresh.ok("POST", "/conversions/log", json={"columns": ["sub_id", "status", "revenue", "campaign_id"],
                                                       "filters": [{"name": "sub_id", "operator": "EQUALS",
                                                                    "expression": subid}]})  # fmt: skip
    assert conv["rows"] == [{"sub_id": subid, "status": "lead", "revenue": 7.0, "campaign_id": 1}]
    assert click_id
