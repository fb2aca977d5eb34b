"""Integrations: the AV scanner key, the IMKLO URL, Facebook ad accounts and their campaigns.

Facebook answers are enveloped in ``{"data": ...}``, except create and delete (as Keitaro sends them).
The AV scanner and IMKLO settings are written from the query string, not the body.
"""

from __future__ import annotations

from keitaro_mcp.sandbox import models
from keitaro_mcp.sandbox.resources._common import (
    Call,
    Fields,
    JsonDict,
    Route,
    Tracker,
    apply_fields,
    coerce,
    invalid,
    label,
    require,
    require_body,
)

__all__ = ["ROUTES"]

FACEBOOK_FIELDS: Fields = {
    "name": "str",
    "ad_account_id": "str",
    "token": "str",
    "proxy_enabled": "bool",
    "proxy": "obj",
}


def _setting_from_query(t: Tracker, key: str, query: dict[str, str]) -> JsonDict:
    if key not in query:
        raise invalid(key, f"{label(key)} is required")
    t.store.set_setting(key, query[key])
    return {key: query[key]}


def facebook_create(t: Tracker, c: Call) -> JsonDict:
    body = require_body(c.body)
    require(body, "name")
    doc = models.facebook(t.store.next_id("facebook_integrations"))
    apply_fields(doc, body, FACEBOOK_FIELDS)
    t.store.save_doc("facebook_integrations", doc)
    return doc


def facebook_update(t: Tracker, c: Call) -> JsonDict:
    body = require_body(c.body)
    doc = t.get_any("facebook_integrations", c.id())
    apply_fields(doc, body, FACEBOOK_FIELDS)
    t.store.save_doc("facebook_integrations", doc)
    return {"data": doc}


def facebook_delete(t: Tracker, c: Call) -> JsonDict:
    fid = c.id()
    t.get_any("facebook_integrations", fid)
    t.store.delete_doc("facebook_integrations", fid)
    t.store.execute("DELETE FROM facebook_campaigns WHERE integration_id = ?", (fid,))
    return {"success": True}


def facebook_campaigns(t: Tracker, c: Call) -> list[JsonDict]:
    fid = c.id()
    t.get_any("facebook_integrations", fid)
    rows = t.store.query(
        "SELECT f.campaign_id, c.name FROM facebook_campaigns f LEFT JOIN campaigns c ON c.id = f.campaign_id "
        "WHERE f.integration_id = ? ORDER BY f.campaign_id",
        (fid,),
    )
    return [{"name": str(r[1] or ""), "value": int(r[0])} for r in rows]


def facebook_assign(t: Tracker, c: Call, assign: bool) -> JsonDict:
    body = require_body(c.body)
    fid = c.id()
    t.get_any("facebook_integrations", fid)
    require(body, "campaign_id")
    cid = coerce("campaign_id", "int", body["campaign_id"])
    if assign:
        t.get_live("campaigns", cid)
        t.store.execute("INSERT OR IGNORE INTO facebook_campaigns VALUES (?, ?)", (fid, cid))
    else:
        t.store.execute("DELETE FROM facebook_campaigns WHERE integration_id = ? AND campaign_id = ?", (fid, cid))
    return {"success": True}


ROUTES = [
    Route("GET", "/integrations/avscan", lambda t, c: {"avscan_key": t.store.get_setting("avscan_key")}),
    Route("PUT", "/integrations/avscan", lambda t, c: _setting_from_query(t, "avscan_key", c.query)),
    Route("GET", "/integrations/imklo", lambda t, c: {"imklo_api_url": t.store.get_setting("imklo_api_url")}),
    Route("PUT", "/integrations/imklo", lambda t, c: _setting_from_query(t, "imklo_api_url", c.query)),
    Route("GET", "/integrations/facebook", lambda t, c: {"data": t.store.list_docs("facebook_integrations")}),
    Route("POST", "/integrations/facebook", facebook_create),
    Route("GET", "/integrations/facebook/{id}", lambda t, c: {"data": t.get_any("facebook_integrations", c.id())}),
    Route("PUT", "/integrations/facebook/{id}", facebook_update),
    Route("DELETE", "/integrations/facebook/{id}", facebook_delete),
    Route("GET", "/integrations/facebook/{id}/campaign", facebook_campaigns),
    Route("POST", "/integrations/facebook/{id}/campaign", lambda t, c: facebook_assign(t, c, True)),
    Route("DELETE", "/integrations/facebook/{id}/campaign", lambda t, c: facebook_assign(t, c, False)),
]
