"""The ASGI app: routing, auth, fault injection, recording, and Keitaro's error shapes.

One catch-all Starlette route dispatches through the table below so that every request goes
through the same pipeline: count → faults → auth → handler (in a worker thread; SQLite is
guarded by the store lock) → record. Nothing escapes as a traceback: Keitaro-style errors come
from :class:`HttpError`, anything unexpected becomes ``500 {"error": ...}``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import anyio
import anyio.to_thread
import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from keitaro_mcp.sandbox import entities as ent
from keitaro_mcp.sandbox import models, recording
from keitaro_mcp.sandbox.errors import HttpError, bad_request
from keitaro_mcp.sandbox.faults import BAD_GATEWAY_HTML, CHALLENGE_HTML, Fault, FaultError

if TYPE_CHECKING:
    from keitaro_mcp.sandbox import Sandbox

API_PREFIX = "/admin_api/v1"
CONTROL_PREFIX = "/_sandbox"

# What a real tracker answers for an unknown /admin_api/v1 path: the admin SPA, 200 HTML.
SPA_HTML = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Keitaro</title>
<link rel="stylesheet" href="/admin/assets/app.css"></head>
<body><div id="app"></div><script src="/admin/assets/app.js"></script></body></html>
"""


class DroppedConnection(httpx.RemoteProtocolError):
    """Raised through an in-process (ASGI transport) client to simulate a dropped connection:
    httpx re-raises app exceptions, so the client sees a transport error."""

    def __init__(self) -> None:
        super().__init__("Server disconnected without sending a response.")


@dataclass
class Call:
    params: dict[str, int | str]
    query: dict[str, str]
    body: Any

    def id(self) -> int:
        value = self.params["id"]
        assert isinstance(value, int)
        return value


@dataclass
class Reply:
    body: Any
    status: int = 200
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Call], Any]


class Router:
    def __init__(self) -> None:
        self.routes: list[tuple[str, str, re.Pattern[str], Handler]] = []

    def add(self, method: str, template: str, handler: Handler) -> None:
        pattern = re.sub(r"\{(\w+)\}", lambda m: rf"(?P<{m.group(1)}>[^/]+)", template)
        self.routes.append((method, template, re.compile(f"^{pattern}$"), handler))

    def match(self, method: str, path: str) -> tuple[str | None, Handler | None, dict[str, int | str]]:
        template_hit = None
        for m, template, pattern, handler in self.routes:
            found = pattern.match(path)
            if not found:
                continue
            params: dict[str, int | str] = {}
            numeric = True
            for key, value in found.groupdict().items():
                if key == "id":
                    if not value.isdigit():
                        numeric = False
                        break
                    params[key] = int(value)
                else:
                    params[key] = value
            if not numeric:
                continue
            if m == method:
                return template, handler, params
            template_hit = template
        return template_hit, None, {}


def build_router(sb: Sandbox) -> Router:
    e = sb.entities
    r = Router()
    add = r.add

    def simple(table: str, fields: ent.Fields, factory: Callable[[int, str], dict[str, Any]], base: str) -> None:
        view = e.offer_view if table == "offers" else e.landing_view if table == "landings" else (lambda d: d)
        add("GET", base, lambda c: [view(d) for d in e.live(table)])
        add("POST", base, lambda c: view(e.create_simple(table, c.body, fields, factory)))
        add("GET", f"{base}/{{id}}", lambda c: view(e.get_live(table, c.id())))
        add("PUT", f"{base}/{{id}}", lambda c: view(e.update_simple(table, c.id(), c.body, fields)))

    # Campaigns
    add("GET", "/campaigns", lambda c: e.list_campaigns(c.query))
    add("POST", "/campaigns", lambda c: e.create_campaign(c.body))
    add("GET", "/campaigns/deleted", lambda c: [e.campaign_view(d) for d in e.deleted("campaigns")])
    add("POST", "/campaigns/clean_archive", lambda c: e.clean_archive())
    add("GET", "/campaigns/{id}", lambda c: e.get_campaign(c.id()))
    add("PUT", "/campaigns/{id}", lambda c: e.update_campaign(c.id(), c.body))
    add("DELETE", "/campaigns/{id}", lambda c: e.delete_campaign(c.id()))
    add("POST", "/campaigns/{id}/clone", lambda c: e.clone_campaign(c.id()))
    add("POST", "/campaigns/{id}/disable", lambda c: e.set_campaign_state(c.id(), "disabled"))
    add("POST", "/campaigns/{id}/enable", lambda c: e.set_campaign_state(c.id(), "active"))
    add("POST", "/campaigns/{id}/restore", lambda c: e.restore_campaign(c.id()))
    add("GET", "/campaigns/{id}/streams", lambda c: e.campaign_streams(c.id()))
    add("POST", "/campaigns/{id}/update_costs", lambda c: sb.update_costs(c.body, c.id()))
    # Flows
    add("POST", "/streams", lambda c: e.create_stream(c.body))
    add("GET", "/streams/deleted", lambda c: [e.stream_view(d) for d in e.deleted("streams")])
    add("GET", "/streams/search", lambda c: e.search_streams(c.query.get("query", "")))
    add("GET", "/streams/{id}", lambda c: e.get_stream(c.id()))
    add("PUT", "/streams/{id}", lambda c: e.update_stream(c.id(), c.body))
    add("DELETE", "/streams/{id}", lambda c: e.set_stream_state(c.id(), "deleted"))
    add("POST", "/streams/{id}/disable", lambda c: e.set_stream_state(c.id(), "disabled"))
    add("POST", "/streams/{id}/enable", lambda c: e.set_stream_state(c.id(), "active"))
    add("POST", "/streams/{id}/restore", lambda c: e.set_stream_state(c.id(), "active", allow_deleted=True))
    add("GET", "/streams/{id}/events", lambda c: e.get_stream(c.id()))
    add("GET", "/stream_types", lambda c: ent.STREAM_TYPES)
    add("GET", "/stream_schemas", lambda c: ent.STREAM_SCHEMAS)
    add("GET", "/streams_actions", lambda c: ent.STREAM_ACTIONS)
    add("GET", "/stream_filters", lambda c: ent.STREAM_FILTERS)
    # Offers and landing pages (with their local files)
    simple("offers", ent.OFFER_FIELDS, models.offer, "/offers")
    add("DELETE", "/offers/{id}/archive", lambda c: e.offer_view(e.archive("offers", c.id())))
    add("POST", "/offers/{id}/clone", lambda c: e.offer_view(e.clone("offers", c.id())))
    simple("landings", ent.LANDING_FIELDS, models.landing, "/landing_pages")
    add("DELETE", "/landing_pages/{id}", lambda c: e.landing_view(e.archive("landings", c.id())))
    add("PUT", "/landing_pages/{id}/clone", lambda c: e.landing_view(e.clone("landings", c.id())))

    def files(base: str, t: str) -> None:
        add("POST", f"{base}/{{id}}/add_file", lambda c: e.add_file(t, c.id(), c.query))
        add("GET", f"{base}/{{id}}/get_file", lambda c: e.get_file(t, c.id(), c.query))
        add("PUT", f"{base}/{{id}}/update_file", lambda c: e.update_file(t, c.id(), c.query))
        add("DELETE", f"{base}/{{id}}/remove_file", lambda c: e.remove_file(t, c.id(), c.query))
        add("GET", f"{base}/{{id}}/get_structure", lambda c: e.file_structure(t, c.id()))
        add(
            "GET",
            f"{base}/{{id}}/download",
            lambda c: Reply(e.download(t, c.id()), content_type="application/octet-stream"),
        )

    files("/offers", "offers")
    files("/landing_pages", "landings")
    # Networks, sources
    simple("affiliate_networks", ent.NETWORK_FIELDS, models.affiliate_network, "/affiliate_networks")
    add("DELETE", "/affiliate_networks/{id}", lambda c: e.archive("affiliate_networks", c.id()))
    add("POST", "/affiliate_networks/{id}/clone", lambda c: e.clone("affiliate_networks", c.id()))
    simple("traffic_sources", ent.SOURCE_FIELDS, models.traffic_source, "/traffic_sources")
    add("DELETE", "/traffic_sources/{id}", lambda c: e.archive("traffic_sources", c.id()))
    add("POST", "/traffic_sources/{id}/clone", lambda c: e.clone("traffic_sources", c.id()))
    # Domains
    add("GET", "/domains", lambda c: [e.domain_view(d) for d in e.live("domains")])
    add("POST", "/domains", lambda c: e.create_domain(c.body))
    add("GET", "/domains/deleted", lambda c: [e.domain_view(d) for d in e.deleted("domains")])
    add("GET", "/domains/{id}", lambda c: e.domain_view(e.get_live("domains", c.id())))
    add("PUT", "/domains/{id}", lambda c: e.domain_view(e.update_simple("domains", c.id(), c.body, ent.DOMAIN_FIELDS)))
    add("DELETE", "/domains/{id}", lambda c: e.domain_view(e.archive("domains", c.id())))
    add("POST", "/domains/{id}/check", lambda c: e.check_domain(c.id()))
    add("POST", "/domains/{id}/restore", lambda c: e.domain_view(e.restore("domains", c.id())))
    # Groups
    add("GET", "/groups", lambda c: e.list_groups(c.query.get("type")))
    add("POST", "/groups", lambda c: e.create_group(c.body))
    add("PUT", "/groups/{id}", lambda c: e.update_group(c.id(), c.body))
    add("DELETE", "/groups/{id}/delete", lambda c: e.delete_group(c.id()))
    # Users
    add("GET", "/users", lambda c: e.store.list_docs("users"))
    add("POST", "/users", lambda c: e.create_user(c.body))
    add("GET", "/users/{id}", lambda c: e.get_any("users", c.id()))
    add("PUT", "/users/{id}", lambda c: e.update_user(c.id(), c.body))
    add("DELETE", "/users/{id}", lambda c: Reply(e.delete_user(c.id()), status=201))
    add("PUT", "/users/{id}/access", lambda c: e.user_access(c.id(), c.body))
    # Bot list
    add("GET", "/botlist", lambda c: e.botlist_get())
    add("PUT", "/botlist", lambda c: e.botlist_replace(c.body, "replace"))
    add("DELETE", "/botlist", lambda c: e.botlist_clear())
    add("POST", "/botlist/add", lambda c: e.botlist_replace(c.body, "add"))
    add("POST", "/botlist/exclude", lambda c: e.botlist_replace(c.body, "exclude"))
    # Integrations (Facebook answers are enveloped in {"data": ...}, except create and delete)
    add("GET", "/integrations/avscan", lambda c: {"avscan_key": e.store.get_setting("avscan_key")})
    add("PUT", "/integrations/avscan", lambda c: e.setting_from_query("avscan_key", c.query))
    add("GET", "/integrations/imklo", lambda c: {"imklo_api_url": e.store.get_setting("imklo_api_url")})
    add("PUT", "/integrations/imklo", lambda c: e.setting_from_query("imklo_api_url", c.query))
    add("GET", "/integrations/facebook", lambda c: {"data": e.store.list_docs("facebook_integrations")})
    add("POST", "/integrations/facebook", lambda c: e.facebook_create(c.body))
    add("GET", "/integrations/facebook/{id}", lambda c: {"data": e.get_any("facebook_integrations", c.id())})
    add("PUT", "/integrations/facebook/{id}", lambda c: {"data": e.facebook_update(c.id(), c.body)})
    add("DELETE", "/integrations/facebook/{id}", lambda c: e.facebook_delete(c.id()))
    add("GET", "/integrations/facebook/{id}/campaign", lambda c: e.facebook_campaigns(c.id()))
    add("POST", "/integrations/facebook/{id}/campaign", lambda c: e.facebook_assign(c.id(), c.body, True))
    add("DELETE", "/integrations/facebook/{id}/campaign", lambda c: e.facebook_assign(c.id(), c.body, False))
    # Logs
    add("POST", "/logs/types", lambda c: ent.LOG_TYPES)
    add("GET", "/logs/{type}", lambda c: e.get_log(str(c.params["type"]), c.query))
    add("DELETE", "/logs/{type}", lambda c: e.clear_log(str(c.params["type"])))
    # Reports, logs of clicks and conversions, costs, clean
    add("POST", "/report/build", lambda c: sb.reports.build(c.body))
    add("GET", "/report/labels", lambda c: e.get_labels(c.query))
    add("POST", "/report/labels", lambda c: e.update_labels(c.body))
    add("POST", "/clicks/log", lambda c: sb.reports.log(c.body, conversions=False))
    add("POST", "/conversions/log", lambda c: sb.reports.log(c.body, conversions=True))
    add("POST", "/clicks/update_costs", lambda c: sb.update_costs(c.body, None))
    add("POST", "/clicks/clean", lambda c: sb.reports.clean(c.body))
    return r


def _json_bytes(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def _to_response(reply: Reply) -> Response:
    if isinstance(reply.body, bytes):
        content = reply.body
    elif reply.content_type == "application/json":
        content = _json_bytes(reply.body)
    else:
        content = str(reply.body).encode()
    media = reply.content_type
    if media.startswith("text/"):
        media += "; charset=utf-8"
    return Response(content, status_code=reply.status, media_type=media, headers=reply.headers)


def create_asgi_app(sb: Sandbox) -> Starlette:
    router = build_router(sb)

    async def endpoint(request: Request) -> Response:
        raw_body = await request.body()
        path = request.url.path
        response = await _dispatch(request, path, raw_body)
        if response is None:  # dropped connection under uvicorn
            return Response(b"", status_code=500)
        recording.emit(
            recording.Exchange(
                method=request.method,
                path=path,
                query=request.url.query,
                request_body=raw_body,
                status=response.status_code,
                response_headers={k.decode(): v.decode() for k, v in response.raw_headers},
                response_body=bytes(response.body),
                request_headers=dict(request.headers),
                route=getattr(request.state, "route", None),
            )
        )
        return response

    async def _dispatch(request: Request, path: str, raw_body: bytes) -> Response | None:
        method = request.method
        if path.startswith(CONTROL_PREFIX):
            return await _control(request, path.removeprefix(CONTROL_PREFIX), raw_body)
        postback = re.fullmatch(r"/([^/]+)/postback/?", path)
        if postback and postback.group(1) == sb.postback_key and method in ("GET", "POST"):
            request.state.route = f"{method} /{{postback_key}}/postback"
            sb.count(request.state.route)
            return await _postback(request, raw_body)
        if not (path == API_PREFIX or path.startswith(API_PREFIX + "/")):
            return _to_response(Reply("Not Found", status=404, content_type="text/plain"))
        rel = path.removeprefix(API_PREFIX) or "/"
        template, handler, params = router.match(method, rel)
        route = f"{method} {template or rel}"
        request.state.route = route
        sb.count(route)
        fired = sb.faults.pick(method, rel, template)
        response = await _faulty(request, fired)
        if response is not None or any(f.kind == "drop" for f in fired):
            return response
        truncate = any(f.kind == "malformed_json" for f in fired)
        return await _answer(request, handler, params, raw_body, truncate)

    async def _faulty(request: Request, fired: list[Fault]) -> Response | None:
        """The injected failure, if any fired. Injected answers carry ``x-sandbox-fault``."""
        for fault in fired:
            if fault.delay:
                await anyio.sleep(fault.delay)
            mark = {"x-sandbox-fault": fault.kind}
            if fault.kind == "rate_limit":
                return _to_response(
                    Reply({"error": "Too Many Requests"}, 429, headers={"Retry-After": str(fault.retry_after), **mark})
                )
            if fault.kind == "server_error":
                if fault.status == 502:
                    return _to_response(Reply(BAD_GATEWAY_HTML, 502, "text/html", {"server": "nginx", **mark}))
                return _to_response(Reply({"error": "Internal Server Error"}, fault.status, headers=mark))
            if fault.kind == "challenge":
                ray = f"{sb.faults_rng.getrandbits(64):016x}-AMS"
                return _to_response(
                    Reply(CHALLENGE_HTML, 403, "text/html",
                          {"server": "cloudflare", "cf-ray": ray, "cf-mitigated": "challenge", **mark})
                )  # fmt: skip
            if fault.kind == "drop":
                close = request.scope.get("extensions", {}).get("sandbox.close")
                if close is None:
                    raise DroppedConnection()
                close()
                return None
        return None

    async def _answer(
        request: Request, handler: Handler | None, params: dict[str, int | str], raw_body: bytes, truncate: bool
    ) -> Response:
        key = request.headers.get("api-key") or ""
        auth = request.headers.get("authorization") or ""
        if auth.lower().startswith("bearer "):
            key = key or auth[7:].strip()
        if key != sb.api_key:
            return _to_response(Reply({"error": "Unauthorized"}, 401))
        if handler is None:
            return _to_response(Reply(SPA_HTML, 200, "text/html"))
        try:
            body = json.loads(raw_body) if raw_body.strip() else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            return _to_response(Reply({"error": "Invalid JSON in request body"}, 400))
        call = Call(params, dict(request.query_params), body)
        reply = await anyio.to_thread.run_sync(_run, handler, call)
        response = _to_response(reply)
        if truncate and reply.content_type == "application/json":
            cut = response.body[: max(1, len(response.body) // 2)]
            headers = {"x-sandbox-fault": "malformed_json"}
            response = Response(bytes(cut), status_code=reply.status, media_type="application/json", headers=headers)
        return response

    def _run(handler: Handler, call: Call) -> Reply:
        try:
            sb.ensure_seeded()
            # One request at a time against the state: handlers read-modify-write documents.
            with sb.store.lock:
                result = handler(call)
        except HttpError as err:
            return Reply(err.body, err.status, err.content_type)
        except Exception as exc:  # a sandbox bug: report it as Keitaro would, without a traceback
            return Reply({"error": f"Internal error: {type(exc).__name__}: {exc}"}, 500)
        return result if isinstance(result, Reply) else Reply(result)

    async def _postback(request: Request, raw_body: bytes) -> Response:
        params = dict(request.query_params)
        ctype = request.headers.get("content-type", "")
        if raw_body:
            if "json" in ctype:
                try:
                    data = json.loads(raw_body)
                    if isinstance(data, dict):
                        params.update({str(k): str(v) for k, v in data.items()})
                except (UnicodeDecodeError, json.JSONDecodeError):
                    pass
            else:
                params.update(parse_qsl(raw_body.decode("utf-8", "replace"), keep_blank_values=True))
        url = str(request.url)

        def run() -> tuple[int, str]:
            sb.ensure_seeded()
            return sb.postbacks.handle(params, url)

        status, text = await anyio.to_thread.run_sync(run)
        return _to_response(Reply(text, status, "text/plain"))

    async def _control(request: Request, rel: str, raw_body: bytes) -> Response:
        key = request.headers.get("api-key") or request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if key != sb.api_key:
            return _to_response(Reply({"error": "Unauthorized"}, 401))
        method = request.method
        try:
            if rel == "/faults" and method == "GET":
                return _to_response(Reply([f.to_json() for f in sb.faults.active()]))
            if rel == "/faults" and method == "POST":
                spec = json.loads(raw_body or b"{}")
                if not isinstance(spec, dict):
                    raise bad_request("Fault must be an object")
                allowed = {"kind", "route", "times", "probability", "delay", "status", "retry_after"}
                unknown = set(spec) - allowed
                if unknown:
                    raise bad_request(f"Unknown fault fields: {', '.join(sorted(unknown))}")
                fault = sb.faults.add(**spec)
                return _to_response(Reply(fault.to_json()))
            if rel == "/faults" and method == "DELETE":
                sb.faults.clear()
                return _to_response(Reply({"success": True}))
            found = re.fullmatch(r"/faults/(\d+)", rel)
            if found and method == "DELETE":
                removed = sb.faults.remove(int(found.group(1)))
                return _to_response(Reply({"success": removed}, 200 if removed else 404))
            if rel == "/requests" and method == "GET":
                counts = sb.request_counts
                return _to_response(Reply({"counts": counts, "total": sum(counts.values())}))
            if rel == "/requests" and method == "DELETE":
                sb.reset_counts()
                return _to_response(Reply({"success": True}))
            if rel == "/info" and method == "GET":
                return _to_response(Reply(sb.info()))
        except (FaultError, TypeError, ValueError) as exc:
            return _to_response(Reply({"error": str(exc)}, 400))
        except HttpError as err:
            return _to_response(Reply(err.body, err.status, err.content_type))
        return _to_response(Reply({"error": f"Unknown control path {method} {rel}"}, 404))

    methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]
    return Starlette(routes=[Route("/{path:path}", endpoint, methods=methods)])
