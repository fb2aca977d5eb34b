"""The usual set-up mistakes, recognised from what the tracker answered (or did not), and the fix for each.

The error kind stays what classification said; only the hint changes, and only when the mistake is plain:

* **Plain HTTP answered an https:// request** (a bare `127.0.0.1:8080` becomes https://, or https was written for
  an http-only tracker): the TLS handshake reads an HTTP answer and OpenSSL says WRONG_VERSION_NUMBER (or
  "packet length too long", "record layer failure", "http request"). Fix: write http://.
* **The admin panel's path in KEITARO_URL** (`https://host/admin/` becomes `https://host/admin/admin_api/v1`):
  Keitaro answers its panel's HTML, a redirect or 404, which reads as "no such entity". Fix: the domain only.
* **A real key left in KEITARO_API_KEY with KEITARO_URL=sandbox**: the sandbox answers 401, because it opens only
  with its own demo key. Fix: unset the key (the sandbox supplies its own).
"""

from __future__ import annotations

import dataclasses
from urllib.parse import urlsplit

from keitaro_mcp.classify import Problem
from keitaro_mcp.settings import ADMIN_API_PATH
from keitaro_mcp.tracker import Tracker
from keitaro_mcp.transport import Failure

__all__ = ["explain"]

# What OpenSSL says when the other side of a TLS handshake speaks plain HTTP (versions differ in the words).
_PLAIN_HTTP_MARKERS = ("wrong_version_number", "wrong version number", "packet length too long",
                       "record layer failure", "http_request", "http request")  # fmt: skip
_PANEL_SEGMENTS = ("admin",)


def explain(problem: Problem, tracker: Tracker, failure: Failure | None = None) -> Problem:
    """The problem with a hint that names the mistake and its fix, when it is one of the usual ones."""
    hint = _hint(problem, tracker, failure)
    return dataclasses.replace(problem, hint=hint) if hint else problem


def _hint(problem: Problem, tracker: Tracker, failure: Failure | None) -> str | None:
    if tracker.sandbox:
        if problem.status == 401:
            return (
                "KEITARO_URL=sandbox opens only with its own demo key, and KEITARO_API_KEY is set: unset "
                "KEITARO_API_KEY (and KEITARO_POSTBACK_KEY) to use the sandbox, or point KEITARO_URL at your tracker."
            )
        return None
    parts = urlsplit(tracker.base_url)
    prefix = parts.path.removesuffix(ADMIN_API_PATH).rstrip("/")
    if failure is not None and parts.scheme == "https" and _speaks_plain_http(failure.exc):
        return f"This address speaks plain http, not https: write KEITARO_URL=http://{parts.netloc}{prefix}"
    segments = prefix.split("/")
    panel = next((i for i, segment in enumerate(segments) if segment.lower() in _PANEL_SEGMENTS), None)
    if panel is not None and (problem.status is not None or problem.kind == "not_json"):
        # Everything before the panel's segment stays: a tracker may live under a path of its own.
        domain = f"{parts.scheme}://{parts.netloc}{'/'.join(segments[:panel])}"
        return f"KEITARO_URL has the admin panel's path ({prefix}/): use the panel's domain only, KEITARO_URL={domain}"
    return None


def _speaks_plain_http(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        text = f"{type(current).__name__} {current}".lower()
        if any(marker in text for marker in _PLAIN_HTTP_MARKERS):
            return True
        current = current.__cause__ or current.__context__
    return False
