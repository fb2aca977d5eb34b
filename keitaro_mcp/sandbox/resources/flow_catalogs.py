"""The catalogues a tracker serves for building flows: flow types, schemas, actions and filters."""

from __future__ import annotations

__all__ = ["STREAM_ACTIONS", "STREAM_FILTERS", "STREAM_SCHEMAS", "STREAM_TYPES"]

# Catalogues served by /stream_types, /stream_schemas, /streams_actions, /stream_filters.
STREAM_TYPES = [
    {"key": "forced", "name": "Forced", "field": "", "type": "stream_type", "description": "Checked first, always"},
    {"key": "regular", "name": "Regular", "field": "", "type": "stream_type", "description": "By position or weight"},
    {"key": "default", "name": "Default", "field": "", "type": "stream_type", "description": "When nothing matched"},
]
STREAM_SCHEMAS = [
    {"key": "landings", "name": "Landings & offers", "field": "", "type": "schema", "description": ""},
    {"key": "redirect", "name": "Redirect", "field": "action_payload", "type": "schema", "description": ""},
    {"key": "action", "name": "Action", "field": "action_payload", "type": "schema", "description": ""},
]
STREAM_ACTIONS = [
    {"key": key, "name": name, "field": field, "type": "redirect" if field == "url" else "other", "description": ""}
    for key, name, field in (
        ("http", "HTTP redirect", "url"),
        ("meta", "Meta redirect", "url"),
        ("double_meta", "Double meta redirect", "url"),
        ("js", "JS redirect", "url"),
        ("blank_referrer", "Blank referrer", "url"),
        ("formsubmit", "Form submit", "url"),
        ("iframe", "Iframe", "url"),
        ("frame", "Frame", "url"),
        ("remote", "Remote URL", "url"),
        ("curl", "CURL", "url"),
        ("local_file", "Local file", "text"),
        ("show_text", "Show text", "text"),
        ("show_html", "Show HTML", "text"),
        ("status404", "404 Not Found", ""),
        ("do_nothing", "Do nothing", ""),
        ("campaign", "Send to campaign", "campaign"),
    )
]
STREAM_FILTERS = [
    {"value": name, "tooltip": tooltip, "modes": {"accept": "Accept", "reject": "Reject"}, "group": group,
     "template": "", "header_template": "", "defaults": ""}
    for name, tooltip, group in (
        ("country", "Country (ISO 3166-1 alpha-2)", "geo"),
        ("region", "Region", "geo"),
        ("city", "City", "geo"),
        ("language", "Browser language", "geo"),
        ("device_type", "Device type", "device"),
        ("os", "Operating system", "device"),
        ("browser", "Browser", "device"),
        ("isp", "ISP", "network"),
        ("operator", "Mobile operator", "network"),
        ("connection_type", "Connection type", "network"),
        ("ip", "IP address or range", "network"),
        ("proxy", "Proxy", "network"),
        ("bot", "Bot (bot list, user agent, IP ranges)", "security"),
        ("uniqueness", "Unique visitors", "security"),
        ("referrer", "Referrer", "source"),
        ("empty_referrer", "Empty referrer", "source"),
        ("keyword", "Keyword", "source"),
        ("sub_id_1", "Sub ID 1", "parameters"),
        ("schedule", "Schedule", "time"),
        ("limit", "Clicks limit", "other"),
    )
]  # fmt: skip
