"""The tracker's own IP bot list (Maintenance > Settings > Bots): read, replace, clear, add, exclude."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, Field

from keitaro_mcp.operations._common import Params
from keitaro_mcp.operations._entity import operation_factory
from keitaro_mcp.registry import RequestParts, Shaped

if TYPE_CHECKING:
    from keitaro_mcp.tracker import Tracker

__all__ = ["OPERATIONS"]


def _ip_or_cidr(value: str) -> str:
    # Keitaro's docs: "You can write IPs and CIDR. Other formats are not supported." (no a-b ranges).
    value = value.strip()
    try:
        if "/" in value:
            ipaddress.ip_network(value, strict=False)
        else:
            ipaddress.ip_address(value)
    except ValueError:
        raise ValueError("not an IPv4/IPv6 address or CIDR network") from None
    return value


BotIps = Annotated[
    list[Annotated[str, AfterValidator(_ip_or_cidr)]],
    Field(min_length=1, description="IPs or CIDR networks."),
]


def _value_body(args: AddBotListIps | ExcludeBotListIps | ReplaceBotList, tracker: Tracker) -> RequestParts:
    # Keitaro takes the list as one string, one entry per line.
    return RequestParts(body={"value": "\n".join(dict.fromkeys(args.ips))})


def _entries(data: Any, args: Any) -> Shaped:
    # GET /botlist answers {"value": "<entries separated by newlines or spaces>"}: a list counts.
    if isinstance(data, dict) and isinstance(data.get("value"), str):
        return Shaped(data["value"].split())
    return Shaped(data)


class GetBotList(Params):
    """The tracker's own bot IPs and networks."""


class ReplaceBotList(Params):
    """Entries not given are removed."""

    ips: BotIps
    confirm: Literal[True] = Field(exclude=True)


class ClearBotList(Params):
    """Remove every entry."""

    confirm: Literal[True] = Field(exclude=True)


class AddBotListIps(Params):
    """Add IPs or networks to the bot list."""

    ips: BotIps


class ExcludeBotListIps(Params):
    """Remove entries from the bot list."""

    ips: BotIps


# Every bot list call leaves the same list when repeated: all idempotent.
_bot = operation_factory("bot", "bot_list")


OPERATIONS = (
    _bot(name="get_bot_list", operation="get", method="GET", path="/botlist", params=GetBotList, title="Get bot list",
         read_only=True, shape=_entries),
    _bot(name="add_bot_list_ips", operation="add", method="POST", path="/botlist/add", params=AddBotListIps,
         title="Add IPs to bot list", effect="create", idempotent=True, build=_value_body),
    _bot(name="exclude_bot_list_ips", operation="exclude", method="POST", path="/botlist/exclude",
         params=ExcludeBotListIps, title="Remove IPs from bot list", effect="remove", idempotent=True,
         build=_value_body),
    _bot(name="replace_bot_list", operation="replace", method="PUT", path="/botlist", params=ReplaceBotList,
         title="Replace bot list", effect="replace", idempotent=True, build=_value_body),
    _bot(name="clear_bot_list", operation="clear", method="DELETE", path="/botlist", params=ClearBotList,
         title="Clear bot list", effect="wipe", idempotent=True),
)  # fmt: skip
