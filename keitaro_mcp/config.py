"""The team configuration file (`KEITARO_CONFIG`): several trackers, the people who may connect over HTTP, and
sign-in through the team's identity provider.

```toml
[trackers.main]                                   # the first tracker is the default
url = "https://tracker-a.example.com"             # or "sandbox" (the built-in demo tracker)
api_key_env = "KEITARO_MAIN_KEY"                  # the server's own key (stdio); optional with [users]
postback_key_env = "KEITARO_MAIN_POSTBACK_KEY"    # optional
timezone = "Europe/Moscow"                        # optional
currency = "EUR"                                  # optional: named beside money in results

[users.anna]                                      # who may connect over HTTP
token_env = "KEITARO_MCP_TOKEN_ANNA"              # her bearer token
keys = { main = "ANNA_MAIN_KEY" }                 # her own Keitaro key per tracker
read_only = true                                  # optional
toolsets = "reports,campaigns"                    # optional (default: KEITARO_TOOLSETS)
subject = "anna@team.example"                     # optional: her identity when signing in through OAuth

[oauth]                                           # optional
issuer = "https://idp.example/realms/team"
audience = "https://mcp.example.com/mcp"
jwks_url = "https://idp.example/realms/team/protocol/openid-connect/certs"   # or jwks_file
subject_claim = "email"                           # default: sub
```

Keys and tokens are never written in the file: it names the environment variables that hold them, and those
are read once, here. With the file, KEITARO_URL, KEITARO_API_KEY, KEITARO_POSTBACK_KEY and KEITARO_TIMEZONE are
not read; the other KEITARO_* options still apply. Without it, one tracker named `default` comes from the
environment as before. Every problem is one line naming the file's key (`ConfigError`, a `SettingsError`: the
CLI prints it and exits with code 2), including an environment variable the file names that is not set.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from keitaro_mcp.settings import (
    MIN_POSTBACK_KEY,
    MIN_SECRET,
    SANDBOX_URL,
    Settings,
    SettingsError,
    normalize_url,
    parse_currency,
    parse_timezone,
    parse_toolsets,
    short_secret,
)
from keitaro_mcp.tracker import LOCAL_USER, Tracker

__all__ = ["CONFIG_ENV", "ConfigError", "OAuth", "Team", "User", "load_team", "with_key"]

CONFIG_ENV = "KEITARO_CONFIG"
_TRACKER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")
_USER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ConfigError(SettingsError):
    """The configuration file cannot be used; the message is one line naming the key."""


@dataclass(frozen=True)
class User:
    """One person who may connect over HTTP. Their key per tracker and their token never appear in repr()."""

    name: str
    keys: Mapping[str, str] = field(default_factory=dict, repr=False)
    """Tracker name -> their own Keitaro API key: they act as their Keitaro user, with that user's rights."""
    token: str = field(default="", repr=False)
    read_only: bool = False
    toolsets: frozenset[str] | None = None
    """None: the server's toolsets."""
    subject: str | None = None
    """Their identity in the OAuth access token's subject claim."""


@dataclass(frozen=True)
class OAuth:
    """The identity provider whose access tokens (JWTs) sign people in; this server is a resource server only."""

    issuer: str
    audience: str
    """This server's resource URL (`https://mcp.example.com/mcp`): tokens must name it (RFC 8707)."""
    jwks_url: str | None = None
    jwks_file: str | None = None
    subject_claim: str = "sub"


@dataclass(frozen=True)
class Team:
    """The trackers (the first is the default), the users and the sign-in of one server."""

    trackers: tuple[Tracker, ...]
    users: tuple[User, ...] = ()
    oauth: OAuth | None = None
    source: str | None = None
    """The configuration file, or None when the environment configures one tracker."""

    @property
    def default(self) -> Tracker:
        return self.trackers[0]

    def tracker(self, name: str) -> Tracker | None:
        return next((t for t in self.trackers if t.name == name), None)

    def secrets(self) -> tuple[str, ...]:
        """Every key and token the file named: masked wherever they could appear."""
        found = [s for t in self.trackers for s in t.secrets()]
        found += [s for u in self.users for s in (u.token, *u.keys.values()) if s]
        return tuple(dict.fromkeys(found))

    @classmethod
    def from_settings(cls, settings: Settings) -> Team:
        """Today's single tracker from the KEITARO_* variables."""
        return cls(trackers=(Tracker.from_settings(settings),))


def load_team(settings: Settings, env: Mapping[str, str] | None = None) -> Team:
    """The team `KEITARO_CONFIG` names, or the environment's single tracker. Raises ConfigError (one line)."""
    env = os.environ if env is None else env
    path = env.get(CONFIG_ENV, "").strip()
    if not path:
        return Team.from_settings(settings)
    try:
        with open(path, "rb") as file:
            raw = tomllib.load(file)
    except FileNotFoundError:
        raise ConfigError(f"{CONFIG_ENV}={path!r}: no such file") from None
    except OSError as exc:
        raise ConfigError(f"{CONFIG_ENV}={path!r}: cannot read it ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{CONFIG_ENV}={path!r} is not valid TOML: {exc}") from None
    return _Reader(path, env, settings).team(raw)


class _Reader:
    def __init__(self, path: str, env: Mapping[str, str], settings: Settings) -> None:
        self.path = path
        self.env = env
        self.settings = settings
        self.sandbox_taken: str | None = None

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{CONFIG_ENV} {self.path}: {key}: {problem}")

    def table(self, value: Any, key: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, "must be a table")
        return value

    def keys(self, data: dict[str, Any], key: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> None:
        for name in data:
            if name not in allowed:
                raise self.fail(f"{key}.{name}" if key else name, f"unknown key; allowed: {', '.join(allowed)}")
        for name in required:
            if name not in data:
                raise self.fail(f"{key}.{name}" if key else name, "is required")

    def text(self, data: dict[str, Any], key: str, name: str) -> str | None:
        value = data.get(name)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{key}.{name}", "must be a non-empty string")
        return value.strip()

    def secret(self, data: dict[str, Any], key: str, name: str, least: int = MIN_SECRET) -> str | None:
        """The value of the environment variable the file names at `key.name`, or None when it names none."""
        var = self.text(data, key, name)
        if var is None:
            return None
        if not _ENV_NAME.fullmatch(var):
            raise self.fail(f"{key}.{name}", f"{var!r} is not an environment variable name (the value goes there)")
        value = self.env.get(var, "").strip()
        if not value:
            raise self.fail(f"{key}.{name}", f"the environment variable {var} is not set")
        if any(c.isspace() for c in value) or not value.isascii():
            raise self.fail(f"{key}.{name}", f"{var} contains spaces or non-ASCII characters; paste it exactly")
        if problem := short_secret(value, least):
            raise self.fail(f"{key}.{name}", f"{var} {problem}")
        return value

    def team(self, raw: dict[str, Any]) -> Team:
        self.keys(raw, "", ("trackers", "users", "oauth"), ("trackers",))
        trackers_raw = self.table(raw["trackers"], "trackers")
        if not trackers_raw:
            raise self.fail("trackers", "name at least one tracker: [trackers.main] with its url")
        trackers = tuple(self.tracker(name, value) for name, value in trackers_raw.items())
        oauth = self.oauth(self.table(raw["oauth"], "oauth")) if "oauth" in raw else None
        users_raw = self.table(raw.get("users", {}), "users")
        users = tuple(self.user(name, value, trackers, oauth) for name, value in users_raw.items())
        self.unique(users)
        if users and self.settings.mcp_token:
            raise ConfigError(
                f"KEITARO_MCP_TOKEN is set and {CONFIG_ENV} {self.path} has [users]: each user has a token of their "
                "own (token_env); unset KEITARO_MCP_TOKEN"
            )
        if oauth is not None and not any(u.subject for u in users):
            raise self.fail("oauth", 'no user has a subject; add subject = "..." to the [users] who sign in')
        if not users:
            for tracker in trackers:
                if not tracker.api_key:
                    raise self.fail(f"trackers.{tracker.name}.api_key_env", "is required when there are no [users]")
        return Team(trackers=trackers, users=users, oauth=oauth, source=self.path)

    def tracker(self, name: str, value: Any) -> Tracker:
        key = f"trackers.{name}"
        if not _TRACKER_NAME.fullmatch(name):
            raise self.fail(key, "a tracker name is letters, digits, '_' and '-' (at most 32)")
        data = self.table(value, key)
        self.keys(data, key, ("url", "api_key_env", "postback_key_env", "timezone", "currency"), ("url",))
        url = self.text(data, key, "url") or ""
        sandbox = url.lower() == SANDBOX_URL
        if sandbox:
            from keitaro_mcp.sandbox_link import SANDBOX_BASE_URL, SANDBOX_KEYS

            if self.sandbox_taken is not None:
                raise self.fail(f"{key}.url", f"trackers.{self.sandbox_taken} is the built-in sandbox already; for "
                                "another, run `keitaro-mcp sandbox --seed N --port P` and give its URL")  # fmt: skip
            self.sandbox_taken = name
            base_url = SANDBOX_BASE_URL
            api_key, postback_key = SANDBOX_KEYS
        else:
            try:
                base_url = normalize_url(url)
            except ValueError as exc:
                raise self.fail(f"{key}.url", f"{exc}; expected a URL such as https://tracker.example.com") from None
            api_key = postback_key = ""
        try:
            timezone = parse_timezone(data.get("timezone"), f"{key}.timezone")
        except SettingsError:
            zone = data.get("timezone")
            raise self.fail(f"{key}.timezone", f"{zone!r} is not an IANA timezone such as Europe/Berlin") from None
        try:
            currency = parse_currency(data.get("currency"), f"{key}.currency")
        except SettingsError:
            raise self.fail(f"{key}.currency", f"{data.get('currency')!r} is not a 3-letter code such as USD") from None
        problem = None
        own = self.secret(data, key, "api_key_env")
        if not own and not sandbox:
            problem = (
                f"tracker {name} has no key of its own ({key}.api_key_env); only users with their own key reach it"
            )
        return Tracker(
            name=name, base_url=base_url, api_key=own or api_key,
            postback_key=self.secret(data, key, "postback_key_env", MIN_POSTBACK_KEY) or postback_key,
            timezone=timezone, currency=currency or ("USD" if sandbox else None), sandbox=sandbox, problem=problem,
        )  # fmt: skip

    def user(self, name: str, value: Any, trackers: tuple[Tracker, ...], oauth: OAuth | None) -> User:
        key = f"users.{name}"
        if not _USER_NAME.fullmatch(name) or name == LOCAL_USER:
            raise self.fail(key, f"a user name is letters, digits, '.', '_', '-', '@' (at most 64), not {LOCAL_USER!r}")
        data = self.table(value, key)
        self.keys(data, key, ("token_env", "keys", "read_only", "toolsets", "subject"), ("keys",))
        keys_raw = self.table(data["keys"], f"{key}.keys")
        names = [t.name for t in trackers]
        keys: dict[str, str] = {}
        for tracker_name in keys_raw:
            if tracker_name not in names:
                raise self.fail(f"{key}.keys.{tracker_name}", f"no such tracker; trackers: {', '.join(names)}")
            keys[tracker_name] = self.secret(keys_raw, f"{key}.keys", tracker_name) or ""
        if not keys:
            raise self.fail(f"{key}.keys", "name the variable of the user's own Keitaro API key for a tracker")
        read_only = data.get("read_only", False)
        if not isinstance(read_only, bool):
            raise self.fail(f"{key}.read_only", "must be true or false")
        toolsets = None
        if "toolsets" in data:
            raw = data["toolsets"]
            text = ",".join(raw) if isinstance(raw, list) and all(isinstance(t, str) for t in raw) else raw
            if not isinstance(text, str):
                raise self.fail(f"{key}.toolsets", 'must be a comma list such as "reports,campaigns"')
            try:
                toolsets = parse_toolsets(text, f"{key}.toolsets")
            except SettingsError as exc:
                raise self.fail(f"{key}.toolsets", str(exc).split(" ", 1)[1]) from None
        subject = self.text(data, key, "subject")
        if subject is not None and oauth is None:
            raise self.fail(f"{key}.subject", "needs an [oauth] table (the identity provider that signs people in)")
        token = self.secret(data, key, "token_env") or ""
        if not token and subject is None:
            raise self.fail(key, "give token_env (a bearer token) or subject (sign-in through [oauth])")
        return User(name=name, keys=keys, token=token, read_only=read_only, toolsets=toolsets, subject=subject)

    def unique(self, users: tuple[User, ...]) -> None:
        """Two users with one token or one subject could not be told apart."""
        tokens: dict[str, str] = {}
        subjects: dict[str, str] = {}
        for user in users:
            if user.token:
                if user.token in tokens:
                    raise self.fail(f"users.{user.name}.token_env", f"the same token as users.{tokens[user.token]}")
                tokens[user.token] = user.name
            if user.subject:
                if user.subject in subjects:
                    raise self.fail(f"users.{user.name}.subject", f"the same subject as users.{subjects[user.subject]}")
                subjects[user.subject] = user.name

    def oauth(self, data: dict[str, Any]) -> OAuth:
        self.keys(data, "oauth", ("issuer", "audience", "jwks_url", "jwks_file", "subject_claim"),
                  ("issuer", "audience"))  # fmt: skip
        issuer = self.url(data, "issuer")
        audience = self.url(data, "audience")
        jwks_url = self.url(data, "jwks_url") if "jwks_url" in data else None
        jwks_file = self.text(data, "oauth", "jwks_file")
        if (jwks_url is None) == (jwks_file is None):
            raise self.fail("oauth.jwks_url", "give exactly one of jwks_url (the provider's keys) or jwks_file")
        if jwks_file is not None and not os.path.isfile(jwks_file):
            raise self.fail("oauth.jwks_file", f"no such file: {jwks_file}")
        claim = self.text(data, "oauth", "subject_claim") or "sub"
        return OAuth(issuer=issuer, audience=audience, jwks_url=jwks_url, jwks_file=jwks_file, subject_claim=claim)

    def url(self, data: dict[str, Any], name: str) -> str:
        value = self.text(data, "oauth", name) or ""
        parts = urlsplit(value)
        local = parts.hostname in ("127.0.0.1", "localhost", "::1")
        if parts.scheme != "https" and not (parts.scheme == "http" and local):
            raise self.fail(f"oauth.{name}", f"{value!r} must be an https:// URL (http:// only on loopback)")
        if parts.username or parts.password or parts.fragment:
            raise self.fail(f"oauth.{name}", "must not contain user:password@ or #fragment")
        return value


def with_key(tracker: Tracker, key: str, user: str) -> Tracker:
    """The tracker as `user` reaches it: with their own key (the postback key stays the tracker's)."""
    return replace(tracker, api_key=key, user=user, problem=None)
