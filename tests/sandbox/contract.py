"""Validate sandbox exchanges against the official OpenAPI document (2022-08 copy).

The document is read from ``$KEITARO_OPENAPI``, else from ``../shared/keitaro-admin-api/openapi.json`` beside the
checkout (as CI lays it out), and never copied into the repository. Without it, every test that needs it is skipped
with one reason (:data:`SKIP_REASON`) and the session-wide contract check stays off. Where the reference shows the
2022 document is out of date or wrong, the spec is patched in memory; every patch is listed in :func:`apply_deltas`
with the reason. Usage::

    from tests.sandbox.contract import validate_exchange
    errors = validate_exchange(exchange)   # [] when request and response conform

Requests answered with 4xx are deliberate bad input: only their responses are validated.
Paths outside the spec (postbacks, the /_sandbox control path, unknown paths) are skipped.
"""

from __future__ import annotations

import copy
import functools
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
from openapi_core import OpenAPI
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from openapi_core.testing import MockRequest, MockResponse

from keitaro_mcp.sandbox import recording
from keitaro_mcp.sandbox.recording import Exchange


def _spec_path() -> Path | None:
    """Keitaro's OpenAPI document: $KEITARO_OPENAPI, else ../shared beside the checkout; None when neither exists."""
    if os.environ.get("KEITARO_OPENAPI"):
        return Path(os.environ["KEITARO_OPENAPI"]).expanduser()  # named on purpose: a wrong path fails, not skips
    beside = Path(__file__).resolve().parents[3] / "shared" / "keitaro-admin-api" / "openapi.json"
    return beside if beside.is_file() else None


SPEC_PATH = _spec_path()
SKIP_REASON = (
    "API contract checks off: Keitaro's OpenAPI document not found; set KEITARO_OPENAPI=/path/to/openapi.json "
    "or put it at ../shared/keitaro-admin-api/openapi.json beside the checkout"
)

API_PREFIX = "/admin_api/v1"
HOST = "http://sandbox.test"

JSON = "application/json"
STR_ARRAY = {"type": "array", "items": {"type": "string"}}
FIELD_ERRORS = {"type": "object", "additionalProperties": STR_ARRAY}
ERROR = {"$ref": "#/components/schemas/Error"}
SUCCESS = {"$ref": "#/components/schemas/Success"}


def load_spec() -> dict[str, Any]:
    """The document as published; skips the calling test (one reason for all of them) when it is not there."""
    if SPEC_PATH is None:
        pytest.skip(SKIP_REASON)
    spec: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    return spec


def _content(schema: dict[str, Any], media: str = JSON) -> dict[str, Any]:
    return {media: {"schema": schema}}


def _set_response(op: dict[str, Any], status: str, schema: dict[str, Any] | None, media: str = JSON) -> None:
    op["responses"][status] = {
        "description": "sandbox delta",
        **({"content": _content(schema, media)} if schema else {}),
    }


def apply_deltas(spec: dict[str, Any]) -> dict[str, Any]:
    """The 2022 document corrected by what the reference establishes (section numbers in comments)."""
    spec = copy.deepcopy(spec)
    schemas = spec["components"]["schemas"]
    paths = spec["paths"]

    # 1. Reports: the current dialect is dimensions/measures ([spec-new], §5.1); limit/offset/summary/columns
    #    are sent by real clients and the UI.
    schemas["ReportsRequest"]["properties"].update(
        dimensions=STR_ARRAY,
        measures=STR_ARRAY,
        columns=STR_ARRAY,
        limit={"type": "integer"},
        offset={"type": "integer"},
        summary={"type": "boolean"},
    )
    # 2. Report.rows are objects, not strings; meta is an object; summary exists (§5.5 real response).
    schemas["Report"]["properties"].update(
        rows={"type": "array", "items": {"type": "object"}},
        meta={"type": "object"},
        summary={"type": "object"},
    )
    # 2b. Filter expressions are arrays for IN_LIST, NOT_IN_LIST and BETWEEN (the operator list in the same
    #     document, §5.2), absent for IS_SET & co.
    schemas["FilterRequest"]["properties"]["expression"] = {"nullable": True}
    # 3. GET /campaigns takes offset and limit ([spec-new], §3.2).
    paths["/campaigns"]["get"]["parameters"] = [
        {"name": "offset", "in": "query", "schema": {"type": "integer"}},
        {"name": "limit", "in": "query", "schema": {"type": "integer"}},
    ]
    # 3b. Costs: the document's own samples send `cost` as a number (10.02), its schemas say string.
    schemas["CampaignCostRequest"]["properties"]["cost"] = {"oneOf": [{"type": "string"}, {"type": "number"}]}
    schemas["ClicksUpdateCostsPayload"]["properties"]["cost"] = {"oneOf": [{"type": "string"}, {"type": "number"}]}
    # 4. Groups also have type=domains (§3.2, live).
    for param in paths["/groups"]["get"].get("parameters", []):
        if param.get("name") == "type" and "enum" in param.get("schema", {}):
            param["schema"]["enum"] = [*param["schema"]["enum"], "domains"]
    schemas["GroupRequest"]["properties"]["type"]["enum"].append("domains")
    # 5. The 201-with-Domain defects: campaign delete/restore and domain delete answer 200 with the entity
    #    (S3's live-derived emulator answers DELETE /campaigns/{id} with [campaign]).
    campaign = {"$ref": "#/components/schemas/Campaign"}
    _set_response(paths["/campaigns/{id}"]["delete"], "200", {"type": "array", "items": campaign})
    _set_response(paths["/campaigns/{id}/restore"]["post"], "200", campaign)
    _set_response(paths["/domains/{id}"]["delete"], "200", {"$ref": "#/components/schemas/Domain"})
    # 6. 404 is plain text `Traffic\Model\X #id not found` (live, §2.3), on every operation with an {id}.
    # 7. Validation failures come as 406 or 422 keyed by field (§2.3); 401 is possible everywhere, and so is 403
    #    when the key's user lacks the right (§2.3, §13: per-user keys). 413 is the web server's answer to a body
    #    over its limit (nginx's client_max_body_size in front of Keitaro; the sandbox's MAX_BODY).
    for path, item in paths.items():
        for method, op in item.items():
            if method not in ("get", "post", "put", "delete"):
                continue
            if "{" in path or path in ("/report/labels", "/logs/{type}"):
                _set_response(op, "404", {"type": "string"}, "text/plain")
            _set_response(op, "406", FIELD_ERRORS)
            _set_response(op, "422", FIELD_ERRORS)
            _set_response(op, "401", ERROR)
            _set_response(op, "403", ERROR)
            _set_response(op, "400", ERROR)
            _set_response(op, "413", ERROR)
            # Bearer auth is accepted as well as Api-Key (docs S4).
            op.setdefault("security", [{"ApiKeyAuth": []}])
            op["security"] = [*op["security"], {"BearerAuth": []}]
    spec["components"]["securitySchemes"]["BearerAuth"] = {"type": "http", "scheme": "bearer"}
    # 8. Decimal strings (§2.5, S14): cost_value "0.0000"; bind_visitors "" (§10.1).
    schemas["Campaign"]["properties"]["cost_value"] = {"oneOf": [{"type": "string"}, {"type": "number"}]}
    schemas["Campaign"]["properties"]["bind_visitors"]["enum"].append("")
    # 9. Flow reads return filter payloads as sent (array, string or null for `bot`), comments null when
    #    empty (S6), and the newer offer_selection (§4.2).
    schemas["Filter"]["properties"]["payload"] = {"nullable": True}
    schemas["Stream"]["properties"]["comments"] = {"type": "string", "nullable": True}
    # 10. Operations the 2022 document declares without a body answer JSON: {"success": true}
    #     (update_costs, S6), or the archived source / deleted user acknowledgement.
    _set_response(paths["/campaigns/{id}/update_costs"]["post"], "200", SUCCESS)
    _set_response(paths["/botlist"]["delete"], "200", SUCCESS)
    _set_response(paths["/logs/{type}"]["delete"], "200", SUCCESS)
    _set_response(paths["/traffic_sources/{id}"]["delete"], "200", {"$ref": "#/components/schemas/Source"})
    _set_response(paths["/users/{id}"]["delete"], "201", SUCCESS)
    _set_response(paths["/integrations/facebook/{id}/campaign"]["post"], "200", SUCCESS)
    _set_response(paths["/integrations/facebook/{id}/campaign"]["delete"], "200", SUCCESS)
    # 11. /campaigns/clean_archive exists in the newer spec (§3.2); body and answer unknown.
    paths["/campaigns/clean_archive"] = {
        "post": {"responses": {"200": {"description": "sandbox delta", "content": _content(SUCCESS)}}}
    }
    # 12. Zip downloads are bytes; the document types them as a (text) string, which a validator cannot
    #     apply to binary content.
    for path in ("/offers/{id}/download", "/landing_pages/{id}/download"):
        _set_response(paths[path]["get"], "200", {}, "application/octet-stream")
    # Kept as the document says: POST /domains answers an array, GET /streams/{id}/events a Stream.
    return spec


@functools.cache
def openapi() -> OpenAPI:
    return OpenAPI.from_dict(apply_deltas(load_spec()))


def _mock_request(ex: Exchange) -> MockRequest:
    ctype = ex.request_headers.get("content-type", JSON).split(";")[0] or JSON
    return MockRequest(
        HOST,
        ex.method.lower(),
        ex.path,
        args=dict(parse_qsl(ex.query, keep_blank_values=True)),
        headers=ex.request_headers,
        data=ex.request_body or None,
        content_type=ctype,
    )


_RESULTS: dict[int, tuple[Exchange, list[str]]] = {}


def validate_exchange(ex: Exchange) -> list[str]:
    """Problems with one exchange; [] when it conforms (or is outside the documented API).
    Results are remembered per exchange object: a test and the session-wide check share the work."""
    known = _RESULTS.get(id(ex))
    if known is not None and known[0] is ex:
        return known[1]
    result = _validate(ex)
    _RESULTS[id(ex)] = (ex, result)
    return result


def _validate(ex: Exchange) -> list[str]:
    if not ex.path.startswith(API_PREFIX + "/") or "x-sandbox-fault" in ex.response_headers:
        return []  # not an Admin API call, or a failure injected on purpose
    if ex.status == 200 and ex.response_headers.get("content-type", "").startswith("text/html"):
        return []  # an unknown path: a real tracker answers its admin SPA (§2.3)
    if ex.status >= 400:
        # Every operation shares the same error shapes after the deltas (Error, field map, text 404):
        # checked directly, which keeps a bad-input sweep of hundreds of requests cheap.
        return _check_error(ex)
    api = openapi()
    request = _mock_request(ex)
    problems = []
    if ex.status < 400:
        try:
            api.validate_request(request)
        except (PathNotFound, OperationNotFound):
            return []
        except Exception as exc:
            problems.append(f"request {ex.method} {ex.path}?{ex.query}: {_describe(exc)}")
    media = ex.response_headers.get("content-type", JSON).split(";")[0]
    response = MockResponse(ex.response_body, status_code=ex.status, headers=ex.response_headers, content_type=media)
    try:
        api.validate_response(request, response)
    except (PathNotFound, OperationNotFound):
        return []
    except Exception as exc:
        problems.append(f"response {ex.status} to {ex.method} {ex.path}: {_describe(exc)}")
    return problems


def _check_error(ex: Exchange) -> list[str]:
    media = ex.response_headers.get("content-type", "").split(";")[0]
    where = f"response {ex.status} to {ex.method} {ex.path}"
    if ex.status == 404 and media == "text/plain":
        return [] if ex.response_body.strip() else [f"{where}: empty 404 text"]
    if media != JSON:
        return [f"{where}: {media or 'no content type'} instead of JSON"]
    try:
        body = json.loads(ex.response_body)
    except ValueError:
        return [f"{where}: invalid JSON"]
    if ex.status in (406, 422):
        ok = (
            isinstance(body, dict)
            and body
            and all(isinstance(v, list) and all(isinstance(m, str) for m in v) for v in body.values())
        )
        return [] if ok else [f"{where}: not a field -> [messages] map: {body!r:.200}"]
    if ex.status in (400, 401, 403, 413, 500) or ex.status == 404:
        ok = isinstance(body, dict) and isinstance(body.get("error"), str)
        return [] if ok else [f"{where}: not an Error object: {body!r:.200}"]
    return [f"{where}: status {ex.status} is not declared"]


def _describe(exc: BaseException) -> str:
    parts = [str(exc)]
    cause = exc.__cause__
    while cause is not None and len(parts) < 4:
        parts.append(str(cause)[:400])
        cause = cause.__cause__
    for attr in ("schema_errors",):
        errors = getattr(exc, attr, None) or getattr(exc.__cause__, attr, None)
        if errors:
            parts.append("; ".join(f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors)[:800])
    return " | ".join(parts)


class ContractRecorder:
    """Session-wide recorder: every exchange any sandbox app handles, validated at the end.

    Wire it in ``tests/conftest.py``::

        from tests.sandbox.contract import ContractRecorder

        @pytest.fixture(scope="session", autouse=True)
        def sandbox_contract() -> Iterator[None]:
            with ContractRecorder() as recorder:
                yield
            recorder.assert_valid()
    """

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []

    def __enter__(self) -> ContractRecorder:
        recording.add_listener(self.exchanges.append)
        return self

    def __exit__(self, *exc_info: object) -> None:
        recording.remove_listener(self.exchanges.append)

    def problems(self) -> list[str]:
        # Identical exchanges validate identically; a bad-input sweep repeats the same error answers.
        seen: set[tuple[Any, ...]] = set()
        found = []
        for ex in self.exchanges:
            key = (ex.method, ex.path, ex.query, ex.request_body if ex.status < 400 else b"", ex.status,
                   ex.response_body)  # fmt: skip
            if key in seen:
                continue
            seen.add(key)
            found += validate_exchange(ex)
        return found

    def assert_valid(self, show: int = 30) -> None:
        problems = self.problems()
        if problems:
            raise AssertionError(
                f"{len(problems)} sandbox exchange(s) break the API contract:\n" + "\n".join(problems[:show])
            )
