"""The tracker one call talks to: where it is, the keys that open it and the zone its days are counted in.

A `Tracker` is a value handed to every call (through the call context), never read from the process: the
transport keeps one connection pool per tracker base URL and user and sets the API key on each request, so
calls of different people or to different trackers share one server and no connection. The environment's
single tracker is `Tracker.from_settings`; a team's trackers, and each user's own key, come from
keitaro_mcp.config.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from keitaro_mcp.settings import ADMIN_API_PATH, Settings

__all__ = ["DEFAULT_NAME", "LOCAL_USER", "UNCONFIGURED_BASE_URL", "Tracker"]

DEFAULT_NAME = "default"
"""The name of the environment's single tracker."""
LOCAL_USER = "local"
"""Who acts when nobody signed in: stdio, and HTTP with KEITARO_MCP_TOKEN or without a token."""

UNCONFIGURED_BASE_URL = "http://unconfigured.invalid/admin_api/v1"
"""Where a tracker without a usable URL points: never contacted (its `problem` stops every request first)."""


@dataclass(frozen=True)
class Tracker:
    """One Keitaro tracker as one caller reaches it. Keys never appear in repr()."""

    base_url: str
    """The Admin API base, `https://host/admin_api/v1` (the sandbox's own address for KEITARO_URL=sandbox)."""
    api_key: str = field(default="", repr=False)
    postback_key: str = field(default="", repr=False)
    timezone: str | None = None
    """IANA zone report periods are resolved in; None: UTC."""
    currency: str | None = None
    """Its currency (ISO code), named beside money in results; None when not configured."""
    sandbox: bool = False
    """The built-in demo tracker, reached in-process."""
    problem: str | None = None
    """Why calls cannot reach this tracker (a `config` error naming the variable to set), or None."""
    name: str = DEFAULT_NAME
    """Its name in the configuration file (`[trackers.<name>]`): the `tracker` argument's value."""
    user: str = LOCAL_USER
    """Whose key this is: a `[users]` entry, or LOCAL_USER for the server's own key."""

    @property
    def root(self) -> str:
        """The tracker's own URL, without /admin_api/v1: where `/{postback_key}/postback` lives."""
        return self.base_url.removesuffix(ADMIN_API_PATH)

    def secrets(self) -> tuple[str, ...]:
        """The values that must never be shown."""
        return tuple(s for s in (self.api_key, self.postback_key) if s)

    @classmethod
    def from_settings(cls, settings: Settings) -> Tracker:
        """The tracker the environment configures (KEITARO_URL, KEITARO_API_KEY, ...)."""
        if settings.is_sandbox:
            from keitaro_mcp.sandbox_link import SANDBOX_BASE_URL

            base_url = SANDBOX_BASE_URL
        else:
            base_url = settings.base_url or UNCONFIGURED_BASE_URL
        return cls(
            base_url=base_url,
            api_key=settings.api_key,
            postback_key=settings.postback_key,
            timezone=settings.timezone,
            # The sandbox keeps its books in USD (its postbacks convert other currencies to it).
            currency=settings.currency or ("USD" if settings.is_sandbox else None),
            sandbox=settings.is_sandbox,
            problem=settings.config_problem,
        )
