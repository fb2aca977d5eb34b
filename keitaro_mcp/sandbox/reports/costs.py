"""Cost writes (``/campaigns/{id}/update_costs``, ``/clicks/update_costs``) and wiping stats (``/clicks/clean``).

A cost entry is spread evenly over the clicks it matches, overwriting their cost: a re-push is
idempotent, and a cost with no matching click is silently dropped, as in Keitaro. Amounts are
converted to the tracker currency (USD).
"""

from __future__ import annotations

from typing import Any

from keitaro_mcp.sandbox.errors import bad_request, invalid
from keitaro_mcp.sandbox.reports.timeranges import RangeError, parse_local, zone
from keitaro_mcp.sandbox.store import SUB_ID_COUNT, JsonDict, Store

__all__ = ["COST_FILTER_KEYS", "CURRENCY_TO_USD", "clean", "cost_request", "update_costs", "write_costs"]

CURRENCY_TO_USD = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27, "RUB": 0.011, "UAH": 0.025, "BRL": 0.2, "INR": 0.012}
COST_FILTER_KEYS = (
    "keyword",
    "external_id",
    "creative_id",
    "ad_campaign_id",
    "source",
    *(f"sub_id_{i}" for i in range(1, SUB_ID_COUNT + 1)),
)


def cost_request(body: Any, campaign_id: int | None) -> tuple[list[int], list[JsonDict], JsonDict, bool]:
    """Both cost endpoints' bodies as (campaign ids, cost entries, defaults, only unique clicks)."""
    if not isinstance(body, dict):
        raise bad_request("Request body must be a JSON object")
    uniques = body.get("only_campaign_uniques") in (True, 1, "1", "true")
    if campaign_id is not None:
        return [campaign_id], [body], body, uniques
    ids = body.get("campaign_ids")
    if not isinstance(ids, list) or not ids:
        raise invalid("campaign_ids", "Campaign ids are required")
    try:
        campaign_ids = [int(i) for i in ids]
    except (TypeError, ValueError):
        raise invalid("campaign_ids", "Campaign ids must be integers") from None
    costs = body.get("costs")
    if isinstance(costs, dict):  # some clients send one object instead of an array
        costs = [costs]
    if not isinstance(costs, list) or not costs or not all(isinstance(c, dict) for c in costs):
        raise invalid("costs", "Costs are required")
    return campaign_ids, costs, body, uniques


def update_costs(store: Store, body: Any, campaign_id: int | None) -> JsonDict:
    """One cost endpoint's request: a campaign's (``campaign_id``) or several campaigns' (in the body)."""
    write_costs(store, *cost_request(body, campaign_id))
    return {"success": True}


def write_costs(
    store: Store, campaign_ids: list[int], entries: list[JsonDict], defaults: JsonDict, uniques: bool
) -> None:
    """Spread each entry's cost evenly over the matching clicks (see the module docstring)."""
    for entry in entries:
        for key in ("start_date", "end_date", "cost"):
            if entry.get(key) in (None, ""):
                raise invalid(key, f"{key.replace('_', ' ').capitalize()} is required")
        try:
            tz = zone(entry.get("timezone") or defaults.get("timezone"))
            start = parse_local(entry["start_date"], tz, end=False)
            end = parse_local(entry["end_date"], tz, end=True)
        except RangeError as exc:
            raise invalid("start_date", str(exc)) from None
        try:
            cost = float(entry["cost"])
        except (TypeError, ValueError):
            raise invalid("cost", "Cost must be a number") from None
        currency = str(entry.get("currency") or defaults.get("currency") or "USD").upper()
        if currency not in CURRENCY_TO_USD:
            raise invalid("currency", f"Unknown currency {currency}")
        cost *= CURRENCY_TO_USD[currency]
        where = [f"campaign_id IN ({', '.join('?' * len(campaign_ids))})", "dt >= ?", "dt < ?"]
        params: list[Any] = [*campaign_ids, start, end]
        filters = entry.get("filters") or {}
        if not isinstance(filters, dict):
            raise invalid("filters", 'Filters must be an object like {"sub_id_1": "a,b"}')
        for key, value in filters.items():
            if key in ("cost", "currency"):
                continue
            if key not in COST_FILTER_KEYS:
                raise invalid("filters", f"Unknown cost filter {key!r}; valid: {', '.join(COST_FILTER_KEYS)}")
            values = [v.strip() for v in str(value).split(",") if v.strip()]
            if values:
                where.append(f"{key} IN ({', '.join('?' * len(values))})")
                params += values
        cond = " AND ".join(where)
        with store.transaction() as conn:
            if uniques:
                n = conn.execute(f"SELECT count(*) FROM clicks WHERE {cond} AND is_unique_campaign = 1", params)
                count = n.fetchone()[0]
                if count:
                    conn.execute(f"UPDATE clicks SET cost = 0 WHERE {cond}", params)
                    conn.execute(
                        f"UPDATE clicks SET cost = ? WHERE {cond} AND is_unique_campaign = 1", [cost / count, *params]
                    )
            else:
                count = conn.execute(f"SELECT count(*) FROM clicks WHERE {cond}", params).fetchone()[0]
                if count:
                    conn.execute(f"UPDATE clicks SET cost = ? WHERE {cond}", [cost / count, *params])


def clean(store: Store, body: Any) -> JsonDict:
    """Delete the clicks (and their conversions) of a period, optionally of one campaign."""
    if not isinstance(body, dict):
        raise bad_request("Request body must be a JSON object")
    for key in ("start_date", "end_date"):
        if not body.get(key):
            raise invalid(key, f"{key.replace('_', ' ').capitalize()} is required")
    try:
        tz = zone(body.get("timezone"))
        start = parse_local(body["start_date"], tz, end=False)
        end = parse_local(body["end_date"], tz, end=True)
    except RangeError as exc:
        raise invalid("start_date", str(exc)) from None
    where = "dt >= ? AND dt < ?"
    params: list[Any] = [start, end]
    if body.get("campaign_id") not in (None, ""):
        try:
            params.append(int(body["campaign_id"]))
        except (TypeError, ValueError):
            raise invalid("campaign_id", "Campaign id must be an integer") from None
        where += " AND campaign_id = ?"
    with store.transaction() as conn:
        conn.execute(f"DELETE FROM conversions WHERE click_id IN (SELECT id FROM clicks WHERE {where})", params)
        conn.execute(f"DELETE FROM clicks WHERE {where}", params)
    return {"success": True}
