"""Fault injection: make the simulated tracker misbehave the way real ones do.

Kinds (``kind=``):

- ``latency``: wait ``delay`` seconds, then answer normally;
- ``rate_limit``: 429 with ``Retry-After: <retry_after>`` and a JSON error;
- ``server_error``: ``status`` 500, 502 or 503 (default 500) with a JSON or proxy-style body;
- ``challenge``: Cloudflare's 403 "Just a moment..." HTML page with ``cf-ray``/``server: cloudflare``;
- ``malformed_json``: the request is processed, then the 200 JSON body is cut in half;
- ``drop``: the connection is closed without a response (the request is not processed).

A fault applies to one route (``"POST /campaigns"``, ``"GET /campaigns/{id}"``, a concrete path such as
``"GET /campaigns/3"``, or ``"*"`` / ``None`` for every route), ``times`` times (``None`` = until removed),
with ``probability`` drawn from a generator seeded by the sandbox seed so that runs repeat.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass
from typing import Any

KINDS = ("latency", "rate_limit", "server_error", "challenge", "malformed_json", "drop")


class FaultError(ValueError):
    """Bad fault specification (answered as 400 on the control path)."""


@dataclass
class Fault:
    id: int
    kind: str
    route: str | None
    times: int | None
    probability: float
    delay: float
    status: int
    retry_after: int
    hits: int = 0

    def matches(self, method: str, path: str, template: str | None) -> bool:
        if self.route in (None, "*", ""):
            return True
        assert self.route is not None
        want_method, _, want_path = self.route.partition(" ")
        if not want_path:  # only a path was given
            want_method, want_path = "*", want_method
        if want_method not in ("*", method):
            return False
        want_path = want_path.removeprefix("/admin_api/v1")
        return want_path in (path, template)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class Faults:
    """The fault table of one sandbox. Thread-safe."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._next_id = 1
        self._rng = random.Random(seed)

    def add(
        self,
        kind: str,
        route: str | None = None,
        times: int | None = None,
        probability: float = 1.0,
        delay: float = 0.0,
        status: int | None = None,
        retry_after: int = 1,
    ) -> Fault:
        if kind not in KINDS:
            raise FaultError(f"Unknown fault kind {kind!r}; valid: {', '.join(KINDS)}")
        if times is not None and times < 1:
            raise FaultError("times must be >= 1")
        if not 0.0 <= probability <= 1.0:
            raise FaultError("probability must be between 0 and 1")
        if delay < 0 or delay > 60:
            raise FaultError("delay must be between 0 and 60 seconds")
        if kind == "server_error":
            status = status or 500
            if status not in (500, 502, 503, 504):
                raise FaultError("server_error status must be 500, 502, 503 or 504")
        elif kind == "rate_limit":
            status = 429
        elif kind == "challenge":
            status = 403
        else:
            status = status or 200
        if kind == "latency" and delay == 0:
            delay = 1.0
        with self._lock:
            fault = Fault(self._next_id, kind, route, times, probability, delay, status, retry_after)
            self._next_id += 1
            self._faults.append(fault)
            return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def remove(self, fault_id: int) -> bool:
        with self._lock:
            before = len(self._faults)
            self._faults = [f for f in self._faults if f.id != fault_id]
            return len(self._faults) != before

    def active(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def pick(self, method: str, path: str, template: str | None) -> list[Fault]:
        """The faults firing for this request (consumes one use of each)."""
        fired: list[Fault] = []
        with self._lock:
            for fault in list(self._faults):
                if not fault.matches(method, path, template):
                    continue
                if fault.probability < 1.0 and self._rng.random() >= fault.probability:
                    continue
                fault.hits += 1
                fired.append(fault)
                if fault.times is not None and fault.hits >= fault.times:
                    self._faults.remove(fault)
        return fired


CHALLENGE_HTML = """<!DOCTYPE html>
<html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">
<meta name="robots" content="noindex,nofollow"></head>
<body><div class="main-wrapper" role="main"><div class="main-content">
<h1 class="zone-name-title h1">Checking if the site connection is secure</h1>
<noscript><div class="h2">Enable JavaScript and cookies to continue</div></noscript>
</div></div><script>window._cf_chl_opt={cType: 'managed'};</script></body></html>
"""

BAD_GATEWAY_HTML = """<html>
<head><title>502 Bad Gateway</title></head>
<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body>
</html>
"""
