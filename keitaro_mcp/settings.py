"""Settings read once from the environment at start-up.

Two kinds of problems are told apart:

* A missing or malformed `KEITARO_URL` / `KEITARO_API_KEY` does not stop the server: MCP clients and registries list
  tools without credentials. It is kept as `config_problem` and every tool call answers with a `config` error
  envelope that says how to fix it.
* A malformed option that cannot be worked around (unknown toolset, non-numeric timeout) raises `SettingsError`;
  the CLI prints its one line and exits with code 2.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from keitaro_mcp.toolsets import ALL_TOOLSETS, DEFAULT_TOOLSETS

__all__ = [
    "ENV_VARS",
    "MIN_POSTBACK_KEY",
    "MIN_REMOTE_TOKEN",
    "MIN_SECRET",
    "SANDBOX_URL",
    "Settings",
    "SettingsError",
    "export_root",
    "load_settings",
    "normalize_url",
    "parse_currency",
    "parse_timezone",
    "parse_toolsets",
    "short_secret",
]

SANDBOX_URL = "sandbox"
ADMIN_API_PATH = "/admin_api/v1"

# name -> (description, required, secret); server.json and the README are checked against this table.
ENV_VARS: dict[str, tuple[str, bool, bool]] = {
    "KEITARO_URL": (
        "Tracker URL or bare domain (https:// assumed, /admin_api/v1 appended); 'sandbox' for the built-in demo.",
        True,
        False,
    ),
    "KEITARO_API_KEY": ("Keitaro Admin API key, sent as the Api-Key header.", True, True),
    "KEITARO_TIMEOUT": ("Seconds to wait for one Keitaro response (default 30).", False, False),
    "KEITARO_READ_ONLY": ("true: hide and refuse every tool that writes to the tracker.", False, False),
    "KEITARO_TOOLSETS": ("Comma list of toolsets, or 'all' (default: the everyday set).", False, False),
    "KEITARO_POSTBACK_KEY": ("Tracker postback key, for test_postback and conversion tools.", False, True),
    "KEITARO_TIMEZONE": ("Tracker timezone (IANA) used to resolve report periods (default UTC).", False, False),
    "KEITARO_CURRENCY": ("Tracker currency (ISO code, e.g. USD): named beside money in results.", False, False),
    "KEITARO_MCP_TOKEN": ("Bearer token required from HTTP clients (streamable HTTP transport).", False, True),
    "KEITARO_MCP_ALLOWED_HOSTS": (
        "HTTP transport: comma list of host names clients use (behind a proxy).",
        False,
        False,
    ),
    "KEITARO_CONFIG": (
        "Team configuration file (TOML): several trackers, users with their own keys and tokens, OAuth sign-in.",
        False,
        False,
    ),
    "KEITARO_DEBUG": ("true: add error.stack to error envelopes.", False, False),
    "KEITARO_EXPORT_DIR": ("Folder for export_report/export_clicks files (default ./keitaro-exports).", False, False),
    "KEITARO_MAX_RESPONSE_MB": ("Megabytes one tracker answer may have (default 50).", False, False),
    "KEITARO_EXPORT_MAX_ROWS": ("Rows one export writes at most (default 5000000).", False, False),
    "KEITARO_EXPORT_MAX_MB": ("Megabytes one export file holds at most (default 1024).", False, False),
    "KEITARO_AUDIT_LOG": ("File path or 'stderr': one JSON line per write attempt (rotated at 10 MB).", False, False),
    "KEITARO_AUDIT_READS": ("true: the audit log records reads too.", False, False),
    "KEITARO_CONFIRM": (
        "off: run what cannot be undone without asking the person (the operator takes the risk; default on).",
        False,
        False,
    ),
}

DEFAULT_MAX_RESPONSE_MB = 50
DEFAULT_EXPORT_MAX_ROWS = 5_000_000
DEFAULT_EXPORT_MAX_MB = 1024

MIN_SECRET = 8
"""Characters of a key or token: a shorter one cannot be masked safely (its text turns up inside ordinary values,
and which values come back masked would tell it)."""
MIN_POSTBACK_KEY = 7
"""Keitaro makes postback keys of 7 hex characters (reference §8): the one secret allowed below MIN_SECRET."""
MIN_REMOTE_TOKEN = 32
"""Characters of a bearer token that opens the HTTP transport beyond loopback (guessable below)."""


def short_secret(value: str, least: int = MIN_SECRET) -> str | None:
    """Why `value` is too short to be a secret we can mask, or None."""
    if len(value) >= least:
        return None
    return f"has {len(value)} characters; at least {least} are needed to mask it safely: paste the whole value"


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class SettingsError(ValueError):
    """A start-up option is malformed and cannot be worked around; the message is one line."""


@dataclass(frozen=True)
class Settings:
    """Validated configuration. `api_key` never appears in repr()."""

    base_url: str | None = None
    """`https://host/admin_api/v1`, `sandbox`, or None when KEITARO_URL is missing or unusable."""
    configured_url: str = ""
    """KEITARO_URL as written (any user:password@ masked): what a config error shows as the request URL."""
    api_key: str = field(default="", repr=False)
    timeout: float = 30.0
    read_only: bool = False
    toolsets: frozenset[str] = DEFAULT_TOOLSETS
    postback_key: str = field(default="", repr=False)
    timezone: str | None = None
    currency: str | None = None
    """The tracker's currency (KEITARO_CURRENCY), named in results beside money; None when not configured."""
    mcp_token: str = field(default="", repr=False)
    debug: bool = False
    export_dir: str | None = None
    """Where export tools write files, resolved at start; None: `keitaro-exports` in the current directory."""
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_MB * 1024 * 1024
    export_max_rows: int = DEFAULT_EXPORT_MAX_ROWS
    export_max_bytes: int = DEFAULT_EXPORT_MAX_MB * 1024 * 1024
    audit_log: str | None = None
    """`stderr`, an absolute file path, or None: no audit log."""
    audit_reads: bool = False
    confirm: bool = True
    """A person confirms what cannot be undone (MCP elicitation); False only with KEITARO_CONFIRM=off."""
    max_retries: int = 2
    config_problem: str | None = None
    """Why tool calls cannot reach a tracker (names the variable and what is expected), or None."""

    @property
    def is_sandbox(self) -> bool:
        return self.base_url == SANDBOX_URL

    def secrets(self) -> tuple[str, ...]:
        """Every secret value that must never be shown (used by redaction)."""
        return tuple(s for s in (self.api_key, self.postback_key, self.mcp_token) if s)


def normalize_url(raw: str) -> str:
    """Turn a tracker URL or bare domain into the Admin API base URL; raise ValueError when it cannot."""
    value = raw.strip()
    if not value:
        raise ValueError("is empty")
    if "://" not in value:
        value = "https://" + value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"has scheme {parts.scheme!r}; expected http or https")
    if not parts.hostname:
        raise ValueError("has no host name")
    if parts.username or parts.password:
        # Credentials in a URL end up in logs and envelopes; the key belongs in KEITARO_API_KEY.
        raise ValueError("must not contain user:password@")
    if parts.query or parts.fragment:
        raise ValueError("must not contain ?query or #fragment")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError("has an invalid port") from exc
    host = parts.hostname
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    path = parts.path.rstrip("/")
    if not path.endswith(ADMIN_API_PATH):
        path += ADMIN_API_PATH
    return f"{parts.scheme}://{netloc}{path}"


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise SettingsError(f"{name}={env[name]!r} is not a boolean; use true or false")


def parse_toolsets(raw: str | None, name: str = "KEITARO_TOOLSETS") -> frozenset[str]:
    """A comma list of toolsets ('all', 'default' and names); `name` is what the error names."""
    if raw is None or not raw.strip():
        return DEFAULT_TOOLSETS
    names = {n.strip().lower() for n in raw.split(",") if n.strip()}
    if "all" in names:
        return ALL_TOOLSETS
    if "default" in names:
        names = (names - {"default"}) | DEFAULT_TOOLSETS
    unknown = sorted(names - ALL_TOOLSETS)
    if unknown:
        allowed = ", ".join(sorted(ALL_TOOLSETS))
        named = ", ".join(_with_guess(n, (*ALL_TOOLSETS, "all", "default")) for n in unknown)
        raise SettingsError(f"{name} has unknown toolset(s) {named}; allowed: all, default, {allowed}")
    return frozenset(names)


def _with_guess(name: str, known: Iterable[str]) -> str:
    """`name`, plus "(did you mean x?)" when one known name is close to it."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"{name} (did you mean {close[0]}?)" if close else name


def _shown_url(raw: str) -> str:
    """KEITARO_URL as written, for messages; credentials someone put in it are masked."""
    scheme, sep, rest = raw.partition("://")
    host, slash, path = (rest if sep else raw).partition("/")
    if "@" in host:
        host = "***@" + host.rsplit("@", 1)[1]
    return f"{scheme}{sep}{host}{slash}{path}" if sep else f"{host}{slash}{path}"


def _timeout(raw: str | None) -> float:
    if raw is None or not raw.strip():
        return 30.0
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"KEITARO_TIMEOUT={raw!r} is not a number of seconds") from None
    if not 0 < value <= 600:
        raise SettingsError(f"KEITARO_TIMEOUT={raw!r} must be between 0 and 600 seconds")
    return value


def _whole(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip().replace("_", "")
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
        raise SettingsError(f"{name}={env[name]!r} is not a positive whole number")
    return int(raw)


def _export_dir(raw: str | None) -> str:
    """The export folder as an absolute path with symlinks resolved: fixed at start, checked at each export."""
    return export_root(raw.strip() if raw and raw.strip() else None)


def export_root(configured: str | None) -> str:
    """The export folder as it resolves now (symlinks followed, `~` expanded)."""
    return os.path.realpath(os.path.expanduser(configured or "keitaro-exports"))


def _audit_log(raw: str | None) -> str | None:
    """`stderr`, or the log file's absolute path in an existing writable folder (refused at start otherwise)."""
    value = (raw or "").strip()
    if not value or value.lower() == "stderr":
        return value.lower() or None
    path = os.path.abspath(os.path.expanduser(value))
    folder = os.path.dirname(path)
    if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
        raise SettingsError(f"KEITARO_AUDIT_LOG={raw!r}: the folder {folder} does not exist or is not writable")
    if os.path.isdir(path):
        raise SettingsError(f"KEITARO_AUDIT_LOG={raw!r} is a folder; name the log file, e.g. {path}/audit.jsonl")
    return path


def parse_currency(raw: object, name: str = "KEITARO_CURRENCY") -> str | None:
    """An ISO 4217 code (upper case), or None when empty; `name` is what the error names."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if not isinstance(raw, str) or not (len(raw.strip()) == 3 and raw.strip().isascii() and raw.strip().isalpha()):
        raise SettingsError(f"{name}={raw!r} is not a 3-letter currency code such as USD")
    return raw.strip().upper()


def parse_timezone(raw: object, name: str = "KEITARO_TIMEZONE") -> str | None:
    """An IANA zone name, or None when empty; `name` is what the error names."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if not isinstance(raw, str):
        raise SettingsError(f"{name}={raw!r} is not an IANA timezone such as Europe/Berlin")
    from keitaro_mcp.zones import is_zone

    if not is_zone(raw.strip()):
        raise SettingsError(f"{name}={raw!r} is not an IANA timezone such as Europe/Berlin")
    return raw.strip()


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the environment. Raises SettingsError for options that stop start-up."""
    env = os.environ if env is None else env
    problems: list[str] = []
    base_url: str | None = None
    raw_url = env.get("KEITARO_URL", "").strip()
    if not raw_url:
        problems.append("KEITARO_URL is not set; expected the tracker URL (https://tracker.example.com) or 'sandbox'")
    elif raw_url.lower() == SANDBOX_URL:
        base_url = SANDBOX_URL
    else:
        try:
            base_url = normalize_url(raw_url)
        except ValueError as exc:
            problems.append(f"KEITARO_URL {exc}; expected the tracker URL such as https://tracker.example.com")
            if "#" in raw_url:  # a URL copied from the address bar of the admin panel (/admin/#!/...)
                problems[-1] += " (the admin panel's address: use the panel's domain only)"
    api_key = env.get("KEITARO_API_KEY", "").strip()
    if base_url == SANDBOX_URL:
        from keitaro_mcp.sandbox_link import SANDBOX_KEYS

        api_key = api_key or SANDBOX_KEYS[0]
    elif not api_key:
        problems.append("KEITARO_API_KEY is not set; expected the Admin API key from Maintenance > Users > API keys")
    elif any(c.isspace() for c in api_key) or not api_key.isascii():
        problems.append("KEITARO_API_KEY contains spaces or non-ASCII characters; paste the key exactly")
    postback_key = env.get("KEITARO_POSTBACK_KEY", "").strip()
    if base_url == SANDBOX_URL and not postback_key:
        from keitaro_mcp.sandbox_link import SANDBOX_KEYS

        postback_key = SANDBOX_KEYS[1]
    mcp_token = env.get("KEITARO_MCP_TOKEN", "").strip()
    for name, value, least in (("KEITARO_API_KEY", api_key, MIN_SECRET), ("KEITARO_POSTBACK_KEY", postback_key,
                               MIN_POSTBACK_KEY), ("KEITARO_MCP_TOKEN", mcp_token, MIN_SECRET)):  # fmt: skip
        if value and (problem := short_secret(value, least)):
            problems.append(f"{name} {problem}")
    return Settings(
        base_url=base_url,
        configured_url=_shown_url(raw_url),
        api_key=api_key,
        timeout=_timeout(env.get("KEITARO_TIMEOUT")),
        read_only=_flag(env, "KEITARO_READ_ONLY"),
        toolsets=parse_toolsets(env.get("KEITARO_TOOLSETS")),
        postback_key=postback_key,
        timezone=parse_timezone(env.get("KEITARO_TIMEZONE")),
        currency=parse_currency(env.get("KEITARO_CURRENCY")),
        mcp_token=mcp_token,
        debug=_flag(env, "KEITARO_DEBUG"),
        export_dir=_export_dir(env.get("KEITARO_EXPORT_DIR")),
        max_response_bytes=_whole(env, "KEITARO_MAX_RESPONSE_MB", DEFAULT_MAX_RESPONSE_MB) * 1024 * 1024,
        export_max_rows=_whole(env, "KEITARO_EXPORT_MAX_ROWS", DEFAULT_EXPORT_MAX_ROWS),
        export_max_bytes=_whole(env, "KEITARO_EXPORT_MAX_MB", DEFAULT_EXPORT_MAX_MB) * 1024 * 1024,
        audit_log=_audit_log(env.get("KEITARO_AUDIT_LOG")),
        audit_reads=_flag(env, "KEITARO_AUDIT_READS"),
        confirm=_flag(env, "KEITARO_CONFIRM") if env.get("KEITARO_CONFIRM", "").strip() else True,
        config_problem="; ".join(problems) or None,
    )
