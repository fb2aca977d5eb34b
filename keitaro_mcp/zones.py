"""IANA time zone names: the ones Keitaro (PHP) and the sandbox know, nothing the local system merely resolves.

`zoneinfo.ZoneInfo` opens any file under the system's zone folder, so `posixrules`, `localtime` and `right/UTC`
pass it, and Keitaro would get a name it does not know. A zone is valid when it is one of
`zoneinfo.available_timezones()` (read once, on the first check); where no time zone database is listed (Windows
without the tzdata package), opening it is the test.
"""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

__all__ = ["is_zone"]

_NOT_ZONES = frozenset({"Factory", "localtime", "posixrules"})


@cache
def _known() -> frozenset[str]:
    return frozenset(available_timezones()) - _NOT_ZONES


def is_zone(name: str) -> bool:
    """True for an IANA name such as UTC or Europe/Berlin (exact case)."""
    known = _known()
    if known:
        return name in known
    if name in _NOT_ZONES or not name.isascii():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
