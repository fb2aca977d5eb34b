"""Tracker-side postback endpoint ``/{postback_key}/postback`` (reference §8).

Semantics: ``subid`` is required; ``status`` is lead/sale/rejected/rebill (default sale), or a
network's own value mapped through ``lead_status``/``sale_status``/``rejected_status`` (the raw
value is kept as ``original_status``); ``ignore_status`` (or ``ignore``) drops statuses.
Without ``tid`` the click's conversion is created or updated in place (allowed transitions:
lead→sale, lead→rejected, sale→rejected, rebill→rejected). With a ``tid`` already seen for this
click, the same status is ignored ("Conversion by pair SubId + tid already exists") and an
allowed transition updates that conversion; a new ``tid`` creates a new conversion (a ``rebill``
when the click already converted, the status is sale/rebill and the offer allows upsells).
Real Keitaro queues postbacks; the sandbox applies them at once so a test can read the result.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from keitaro_mcp.sandbox.reports.costs import CURRENCY_TO_USD
from keitaro_mcp.sandbox.store import SUB_ID_COUNT, Store

STATUSES = ("lead", "sale", "rejected", "rebill")
ALLOWED = {("lead", "sale"), ("lead", "rejected"), ("sale", "rejected"), ("rebill", "rejected")}
PLACEHOLDERS = ("subid", "external_id", "ad_campaign_id", "creative_id", "keyword", "ip", "source")


def postback_params(query: dict[str, str], raw_body: bytes, content_type: str) -> dict[str, str]:
    """A postback's parameters: the query string, plus a JSON object or a form body on POST."""
    params = dict(query)
    if raw_body:
        if "json" in content_type:
            try:
                data = json.loads(raw_body)
                if isinstance(data, dict):
                    params.update({str(k): str(v) for k, v in data.items()})
            except (UnicodeDecodeError, json.JSONDecodeError):
                pass
        else:
            params.update(parse_qsl(raw_body.decode("utf-8", "replace"), keep_blank_values=True))
    return params


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


class Postbacks:
    def __init__(self, store: Store, clock: Callable[[], int]) -> None:
        self.store = store
        self.clock = clock

    def _log(self, message: str, kind: str = "postbacks") -> None:
        self.store.log(kind, message, self.clock())

    def handle(self, params: dict[str, str], url: str) -> tuple[int, str]:
        """Process one postback; returns (HTTP status, text body)."""
        with self.store.lock:
            return self._handle(params, url)

    def _handle(self, params: dict[str, str], url: str) -> tuple[int, str]:
        self._log(f"Received postback {url}")
        subid = params.get("subid") or params.get("clickid") or ""
        if not subid:
            self._log("Empty subid. Postback ignored.")
            return 400, "subid is required"
        self._log(f'Using "{subid}" as subid. Postback added to queue.')
        self._log(f"Processing subid {subid}")
        ok = params.get("return") or "Success"
        raw = params.get("status") or "sale"
        if raw in _split(params.get("ignore_status") or params.get("ignore")):
            self._log(f'Status "{raw}" is in the ignore list. Postback ignored.')
            return 200, ok
        status = None
        for mapped in ("lead", "sale", "rejected"):
            if raw in _split(params.get(f"{mapped}_status")):
                status = mapped
                break
        if status is None:
            status = raw if raw in STATUSES else None
        if status is None:
            self._log(f'Unknown status "{raw}". Postback ignored.')
            return 200, ok
        click = self.store.one("SELECT * FROM clicks WHERE sub_id = ?", (subid,))
        if click is None:
            self._log(f'SubID not found "{subid}"')
            return 200, ok
        click_id = int(click["id"])
        offer = self.store.get_doc("offers", int(click["offer_id"] or 0)) or {}
        currency = (params.get("currency") or offer.get("payout_currency") or "USD").upper()
        rate = CURRENCY_TO_USD.get(currency, 1.0)
        amount_raw = params.get("payout") or params.get("revenue") or params.get("profit")
        try:
            given = float(amount_raw) * rate if amount_raw not in (None, "") else None
            cost = float(params.get("cost") or 0) * rate
        except ValueError:
            self._log(f'Invalid payout "{amount_raw}". Postback ignored.')
            return 200, ok
        tid = params.get("tid") or None
        now = self.clock()
        extra = {k: v for k, v in params.items() if k not in ("subid", "status", "payout", "revenue", "tid", "return")}
        convs = self.store.query("SELECT * FROM conversions WHERE click_id = ? ORDER BY id", (click_id,))
        primary = next((c for c in convs if c["status"] != "rebill"), None)
        same_tid = next((c for c in convs if tid is not None and c["tid"] == tid), None)
        target = same_tid if tid is not None else primary
        changed = status
        # Without a payout a status update keeps the conversion's amount; a new one takes the offer's payout.
        if given is not None:
            revenue = given
        elif target is not None:
            revenue = float(target["revenue"])
        else:
            revenue = float(offer.get("payout_value") or 0)
        if target is not None:
            old = str(target["status"])
            if old == status and tid is not None:
                self._log('Conversion by pair "SubId + tid" already exists. Postback ignored.')
                return 200, ok
            if old != status and (old, status) not in ALLOWED:
                self._log(f'Status transition "{old}" -> "{status}" is not allowed. Postback ignored.')
                return 200, ok
            self.store.execute(
                "UPDATE conversions SET status = ?, previous_status = ?, original_status = ?, revenue = ?, cost = ?, "
                "currency = ?, postback_dt = ?, sale_dt = CASE WHEN ? = 'sale' THEN ? ELSE sale_dt END, params = ? "
                "WHERE id = ?",
                (status, old if old != status else target["previous_status"], raw, revenue, cost, currency, now,
                 status, now, json.dumps(extra), target["id"]),
            )  # fmt: skip
        else:
            if primary is not None and status in ("sale", "rebill") and offer.get("payout_upsell"):
                changed = "rebill"
            elif status == "rebill" and primary is None:
                changed = "sale"
            self.store.execute(
                "INSERT INTO conversions (click_id, sub_id, tid, status, previous_status, original_status, revenue, "
                "cost, currency, postback_dt, sale_dt, params) VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?)",
                (click_id, subid, tid, changed, raw, revenue, cost, currency, now,
                 now if changed in ("sale", "rebill") else None, json.dumps(extra)),
            )  # fmt: skip
        updates = {k: v for k, v in params.items() if k in {f"sub_id_{i}" for i in range(1, SUB_ID_COUNT + 1)}}
        if updates:
            sets = ", ".join(f"{k} = ?" for k in updates)
            self.store.execute(f"UPDATE clicks SET {sets} WHERE id = ?", [*updates.values(), click_id])
        if cost:
            self.store.execute("UPDATE clicks SET cost = cost + ? WHERE id = ?", (cost, click_id))
        self.refresh_click(click_id)
        self._send_s2s(click, changed, revenue, tid)
        self._log(f"Subid {subid} complete")
        return 200, ok

    def refresh_click(self, click_id: int) -> None:
        """Recompute the conversion aggregates kept on the click row."""
        self.store.execute(
            """
            UPDATE clicks SET
              conversions = (SELECT count(*) FROM conversions WHERE click_id = :id AND status != 'rebill'),
              leads = (SELECT count(*) FROM conversions WHERE click_id = :id AND status = 'lead'),
              sales = (SELECT count(*) FROM conversions WHERE click_id = :id AND status = 'sale'),
              rejected = (SELECT count(*) FROM conversions WHERE click_id = :id AND status = 'rejected'),
              rebills = (SELECT count(*) FROM conversions WHERE click_id = :id AND status = 'rebill'),
              lead_revenue = (SELECT COALESCE(sum(revenue), 0) FROM conversions
                              WHERE click_id = :id AND status = 'lead'),
              sale_revenue = (SELECT COALESCE(sum(revenue), 0) FROM conversions
                              WHERE click_id = :id AND status IN ('sale', 'rebill')),
              rejected_revenue = (SELECT COALESCE(sum(revenue), 0) FROM conversions
                                  WHERE click_id = :id AND status = 'rejected')
            WHERE id = :id
            """,
            {"id": click_id},  # type: ignore[arg-type]
        )

    def _send_s2s(self, click: Any, status: str, revenue: float, tid: str | None) -> None:
        """Log the S2S postbacks the tracker would send to the traffic source."""
        campaign = self.store.get_doc("campaigns", int(click["campaign_id"])) or {}
        targets = [(p["method"], p["url"], p["statuses"]) for p in campaign.get("postbacks") or []]
        if not targets:
            source = self.store.get_doc("traffic_sources", int(click["ts_id"] or 0)) or {}
            if source.get("postback_url"):
                targets = [("GET", source["postback_url"], source.get("postback_statuses") or [])]
        values = {name: str(click[name] or "") for name in PLACEHOLDERS if name != "subid"}
        values.update(
            subid=str(click["sub_id"]),
            status=status,
            payout=f"{revenue:.2f}",
            revenue=f"{revenue:.2f}",
            tid=tid or "",
            cost=f"{float(click['cost'] or 0):.4f}",
            campaign_id=str(click["campaign_id"]),
            is_bot=str(click["is_bot"]),
        )
        for method, url, statuses in targets:
            if status not in statuses:
                continue
            sent = str(url)
            for key, value in values.items():
                sent = sent.replace("{" + key + "}", quote(value, safe=""))
            body = f" {urlencode({'subid': values['subid'], 'status': status})}" if method == "POST" else ""
            self._log(
                f"Sending {method} {sent}{body} (subid {values['subid']}, status {status}). Response: 200",
                "sent_postbacks",
            )
