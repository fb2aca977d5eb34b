"""Bad input, one row each: refused with an error that names the field, and nothing sent to the tracker.

A new tool adds its rows here (grouped by resource); rows whose message must say something precise go in SAYS.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from keitaro_mcp.operations import OPERATIONS
from tests.conftest import Kt

pytestmark = pytest.mark.anyio

DAY_COST = {"start_date": "2026-01-01", "end_date": "2026-01-01", "cost": 1}
# The period forms folded into `period` (keitaro_mcp/periods.py): accepted and named in errors, not listed.
PERIOD_FORMS = {"from", "to", "date", "days"}

BAD: list[tuple[str, dict[str, Any]]] = [
    # affiliate networks
    ("get_affiliate_network", {"affiliate_network_id": 0}),
    ("get_affiliate_network", {"network_id": 1}),
    ("create_affiliate_network", {}),
    ("create_affiliate_network", {"name": ""}),
    ("update_affiliate_network", {"affiliate_network_id": 1, "state": "deleted"}),
    ("clone_affiliate_network", {"affiliate_network_id": "abc"}),
    # bot list
    ("add_bot_list_ips", {"ips": []}),
    ("add_bot_list_ips", {"ips": "1.2.3.4"}),
    ("add_bot_list_ips", {"ips": ["1.2.3.4-1.2.3.9"]}),
    ("add_bot_list_ips", {"ips": ["999.1.1.1"]}),
    ("add_bot_list_ips", {"ips": ["10.0.0.0/33"]}),
    ("exclude_bot_list_ips", {"ips": ["example.com"]}),
    ("exclude_bot_list_ips", {"value": "1.2.3.4"}),
    # What cannot be undone is confirmed by a person; a confirm argument from the model is an unknown field.
    ("replace_bot_list", {"ips": ["1.2.3.4"], "confirm": True}),
    ("clear_bot_list", {"confirm": True}),
    # campaigns
    ("get_campaign", {"campaign_id": -1}),
    ("get_campaign", {"campaign_id": "abc"}),
    ("create_campaign", {"alias": "no-name"}),
    ("create_campaign", {"name": "x", "alias": "bad alias!"}),
    ("update_campaign", {"campaign_id": 1, "cost_type": "CPA+"}),
    ("update_campaign_costs", {"campaign_id": 1, "start_date": "yesterday", "end_date": "x", "cost": 1,
                               "currency": "USD"}),
    ("list_campaigns", {"limit": 0}),
    # clicks
    ("list_clicks", {"from": "2026-01-01"}),
    ("list_clicks", {"to": "2026-01-01"}),
    ("list_clicks", {"campaign_id": 0}),
    ("list_clicks", {"offer_id": -3}),
    ("list_clicks", {"sub_ids": {"sub_id_31": "x"}}),
    ("list_clicks", {"sub_ids": {"keyword": "x"}}),
    ("list_clicks", {"conversion": "deposit"}),
    ("list_clicks", {"country_code": "USA"}),
    ("list_clicks", {"limit": 0}),
    ("list_clicks", {"period": "last_fortnight"}),
    ("list_clicks", {"sort": "datetime desc"}),
    ("list_clicks", {"campaign": 3}),
    ("update_click", {"sub_id": "abc"}),
    ("update_click", {"sub_id": "abc", "payout": 3}),
    ("update_click", {"sub_id": "abc", "status": "deposit"}),
    ("update_click", {"sub_id": "", "status": "sale"}),
    ("update_click", {"sub_id": "abc", "cost": -1}),
    ("update_click", {"status": "sale"}),
    ("update_costs", {"campaign_ids": [], "costs": [DAY_COST], "currency": "USD"}),
    ("update_costs", {"campaign_ids": [0], "costs": [DAY_COST], "currency": "USD"}),
    ("update_costs", {"campaign_ids": [1], "costs": [], "currency": "USD"}),
    ("update_costs", {"campaign_ids": [1], "costs": [{**DAY_COST, "start_date": "yesterday"}], "currency": "USD"}),
    ("update_costs", {"campaign_ids": [1], "costs": [{**DAY_COST, "cost": -1}], "currency": "USD"}),
    # conversions
    ("list_conversions", {"status": "deposit"}),
    ("list_conversions", {"from": "2026-01-01"}),
    ("list_conversions", {"campaign_id": 0}),
    ("list_conversions", {"country_code": "DEU"}),
    ("list_conversions", {"click_id": 1}),
    ("create_conversion", {"sub_id": "x", "status": "deposit"}),
    ("create_conversion", {"status": "sale"}),
    ("create_conversion", {"sub_id": "x", "payout": -1}),
    ("update_conversion", {"sub_id": "x"}),
    ("update_conversion", {"sub_id": "x", "status": "approved"}),
    ("test_postback", {"sub_id": "x", "currency": "dollars"}),
    ("test_postback", {"sub_id": "x", "sub_id_2": "y"}),
    # domains
    ("get_domain", {"domain_id": 0}),
    ("get_domain", {"domain_id": "abc"}),
    ("get_domain", {}),
    ("create_domain", {}),
    ("create_domain", {"name": ""}),
    ("create_domain", {"name": "x.example", "wildcard": True}),
    ("update_domain", {"domain_id": 1, "state": "deleted"}),
    ("update_domain", {"domain_id": 1, "default_campaign_id": -1}),
    ("update_domain", {"domain_id": 1, "is_ssl": "sometimes"}),
    ("list_domains", {"limit": 5}),
    # flows
    ("get_flow", {"flow_id": 0}),
    ("get_flow", {"stream_id": 5}),
    ("update_flow", {"flow_id": 1, "offers": [{"offer_id": 2}]}),
    ("update_flow", {"flow_id": 1, "offers": [{"offer_id": 2, "share": -5}]}),
    ("update_flow", {"flow_id": 1, "offers": [{"offer_id": 2, "share": 50, "state": "disabled"}]}),
    ("update_flow", {"flow_id": 1, "name": "x"}),
    ("update_flow_settings", {"flow_id": 1, "state": "deleted"}),
    ("update_flow_settings", {"flow_id": 1, "filters": [{"name": "country", "mode": "include"}]}),
    ("update_flow_settings", {"flow_id": 1, "triggers": [{"condition": "always", "target": "stream"}]}),
    ("update_flow_settings", {"flow_id": 1, "schema": "offers"}),
    ("create_flow", {"campaign_id": 1, "name": "x", "schema": "redirect"}),
    ("create_flow", {"campaign_id": 1, "name": "x", "schema": "redirect", "action_type": "http", "type": "x"}),
    ("create_flow", {"campaign_id": 1, "name": "", "schema": "redirect", "action_type": "http"}),
    ("search_flows", {"query": ""}),
    ("list_flow_types", {"limit": 5}),
    # groups
    ("list_groups", {"type": "flows"}),
    ("create_group", {"name": "no type"}),
    ("create_group", {"type": "offers"}),
    ("create_group", {"name": "", "type": "offers"}),
    ("update_group", {"group_id": -3, "name": "x"}),
    ("update_group", {"group_id": 1, "type": "offers"}),
    ("delete_group", {"group_id": "one"}),
    # integrations
    ("update_avscan_key", {}),
    ("update_imklo_url", {"imklo_api_url": 5}),
    ("get_facebook_integration", {"integration_id": 0}),
    ("create_facebook_integration", {"name": "x", "ad_account_id": "act_1"}),
    ("create_facebook_integration", {"name": "x", "ad_account_id": "a", "token": "t", "proxy": "ftp://h:21"}),
    ("create_facebook_integration", {"name": "x", "ad_account_id": "a", "token": "t", "proxy": "http://h"}),
    ("update_facebook_integration", {"integration_id": 1, "proxy_enabled": True}),
    ("assign_facebook_integration_campaign", {"integration_id": 1}),
    ("unassign_facebook_integration_campaign", {"integration_id": 1, "campaign_id": -2}),
    # labels
    ("get_labels", {"campaign_id": 1, "ref_name": "sub_id_1"}),
    ("get_labels", {"campaign_id": 1, "ref_name": "country", "label_name": "blacklist"}),
    ("get_labels", {"campaign_id": 1, "ref_name": "sub_id_31", "label_name": "blacklist"}),
    ("get_labels", {"campaign_id": 0, "ref_name": "ip", "label_name": "blacklist"}),
    ("update_labels", {"campaign_id": 1, "ref_name": "ip", "items": {}}),
    ("update_labels", {"campaign_id": 1, "ref_name": "ip", "items": {"1.2.3.4": "greylist"}}),
    ("update_labels", {"campaign_id": 1, "ref_name": "ip", "items": ["1.2.3.4"]}),
    ("update_labels", {"campaign_id": 1, "items": {"1.2.3.4": "blacklist"}}),
    # landing pages
    ("get_landing_page", {"landing_id": 0}),
    ("get_landing_page", {"landing_page_id": 1}),
    ("create_landing_page", {}),
    ("create_landing_page", {"name": "x", "landing_type": "remote"}),
    ("create_landing_page", {"name": "x", "action_type": "redirect"}),
    ("update_landing_page", {"landing_id": 1, "state": "deleted"}),
    ("update_landing_page", {"landing_id": 1, "group_id": 0}),
    ("clone_landing_page", {}),
    ("get_landing_page_file", {"landing_id": 1, "path": "../index.html"}),
    ("update_landing_page_file", {"landing_id": 1, "path": "a.html", "data": 5}),
    # logs
    ("get_log", {}),
    ("get_log", {"log_type": "errors"}),
    ("get_log", {"log_type": "system", "limit": 0}),
    ("get_log", {"log_type": "system", "offset": -1}),
    ("get_log", {"log_type": "system", "search": "x"}),
    ("clean_log", {"log_type": "traffic", "confirm": True}),
    ("list_log_types", {"log_type": "system"}),
    # offers
    ("get_offer", {"offer_id": 0}),
    ("get_offer", {"id": 5}),
    ("list_offers", {"limit": 5}),
    ("create_offer", {}),
    ("create_offer", {"name": "x", "payout_type": "CPS"}),
    ("create_offer", {"name": "x", "offer_type": "remote"}),
    ("create_offer", {"name": "x", "archive": "/tmp/offer.zip"}),
    ("create_offer", {"name": "x", "archive": "aGVsbG8="}),
    ("update_offer", {"offer_id": 1, "payout_currency": "dollars"}),
    ("update_offer", {"offer_id": 1, "payout_value": -1}),
    ("update_offer", {"offer_id": 1, "state": "deleted"}),
    ("update_offer", {"offer_id": 1, "group_id": 2}),
    ("update_offer_settings", {"offer_id": 1, "alternative_offer_id": 0}),
    ("get_offer_file", {"offer_id": 1, "path": "../../etc/passwd"}),
    ("get_offer_file", {"offer_id": 1, "path": "/etc/passwd"}),
    ("add_offer_file", {"offer_id": 1, "path": ""}),
    ("update_offer_file", {"offer_id": 1, "path": "a.html"}),
    ("update_offer_file", {"offer_id": 1, "path": "a.html", "data": "x" * 50_001}),
    ("remove_offer_file", {"offer_id": 1, "path": "css/../../x"}),
    # postbacks
    ("list_campaign_postbacks", {"campaign_id": 0}),
    ("get_campaign_postback", {"campaign_id": 1, "postback_id": 0}),
    ("create_campaign_postback", {"campaign_id": 1, "url": ""}),
    ("create_campaign_postback", {"campaign_id": 1, "url": "https://x", "statuses": ["deposit"]}),
    ("create_campaign_postback", {"campaign_id": 1, "url": "https://x", "method": "PUT"}),
    ("update_campaign_postback", {"campaign_id": 1, "postback_id": 1, "statuses": []}),
    ("delete_campaign_postback", {"campaign_id": 1}),
    # traffic sources
    ("get_traffic_source", {"traffic_source_id": 0}),
    ("get_traffic_source", {"source_id": 1}),
    ("create_traffic_source", {}),
    ("create_traffic_source", {"name": "x", "postback_statuses": ["approved"]}),
    ("create_traffic_source", {"name": "x", "traffic_loss": 120}),
    ("create_traffic_source", {"name": "x", "parameters": {"sub_id_1": {"placeholder": "{zone}"}}}),
    ("update_traffic_source", {"traffic_source_id": 1, "state": "deleted"}),
    ("delete_traffic_source", {}),
    # users
    ("get_user", {"user_id": 0}),
    ("create_user", {"login": "x", "type": "USER"}),
    ("create_user", {"login": "x", "password": "p", "type": "ROOT"}),
    ("create_user", {"login": "x", "password": "p", "type": "USER", "new_password": "p"}),
    ("update_user", {"user_id": 1, "language": "de"}),
    ("update_user", {"user_id": 1, "password": ""}),
    ("update_user_access", {"user_id": 1}),
    ("update_user_access", {"user_id": 1, "access": {"campaigns": "everything"}}),
    ("update_user_access", {"user_id": 1, "access": {"clicks": "read_only"}}),
    ("delete_user", {"user_id": 1, "confirm": True}),
]  # fmt: skip

SAYS: list[tuple[str, dict[str, Any], list[str]]] = [
    ("update_campaign", {}, ["campaign_id: required"]),
    ("update_campaign", {"campaign_id": "seven"}, ["campaign_id", "valid integer"]),
    ("update_campaign", {"campaign_id": 0}, ["campaign_id", "greater than or equal to 1"]),
    ("update_campaign", {"campaign_id": 1, "nme": "x"}, ["nme: unknown field; allowed:", "name"]),
    ("set_campaign_state", {"campaign_id": 1, "state": "disabled"}, ["state", "'active' or 'paused'"]),
    ("create_campaign", {"name": "x", "state": "disabled"}, ["state", "'active' or 'paused'"]),
    ("update_landing_page", {"landing_id": 1, "state": "disabled"}, ["state", "'active' or 'paused'"]),
    ("get_offer_file", {"offer_id": 1, "path": "../secret"}, ["path", "relative"]),
    ("update_costs", {"campaign_ids": [1], "costs": [DAY_COST]},
     ["currency: required"]),
]  # fmt: skip

PROPERTIES = {op.name: set(op.tool.input_schema["properties"]) for op in OPERATIONS}


def ids(rows: list[Any]) -> list[str]:
    return [f"{row[0]}:{json.dumps(row[1])[:50]}" for row in rows]


@pytest.mark.parametrize(("tool", "arguments"), BAD, ids=ids(BAD))
async def test_bad_input_is_refused_naming_the_field(kt: Kt, tool: str, arguments: dict[str, Any]) -> None:
    envelope = await kt.refused(tool, arguments)
    named = {re.split(r"[.\[]", problem["field"])[0] for problem in envelope["error"]["responseData"]}
    assert named, envelope["error"]
    assert named <= PROPERTIES[tool] | PERIOD_FORMS | set(arguments) | {"(arguments)"}, envelope["error"]["message"]


@pytest.mark.parametrize(("tool", "arguments", "fragments"), SAYS, ids=ids(SAYS))
async def test_the_refusal_says_what_is_allowed(
    kt: Kt, tool: str, arguments: dict[str, Any], fragments: list[str]
) -> None:
    await kt.refused(tool, arguments, *fragments)
