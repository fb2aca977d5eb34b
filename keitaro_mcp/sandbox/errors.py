"""Errors answered the way Keitaro answers them."""

from __future__ import annotations

from typing import Any

from keitaro_mcp.sandbox.models import MODEL_NAMES


class HttpError(Exception):
    def __init__(self, status: int, body: Any, content_type: str = "application/json") -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body
        self.content_type = content_type


def not_found(table: str, entity_id: Any) -> HttpError:
    # Live trackers answer 404 as text/plain naming the model class (the spec promises JSON).
    model = MODEL_NAMES.get(table, "Traffic\\Model\\Entity")
    return HttpError(404, f"{model} #{entity_id} not found", "text/plain")


def invalid(field: str, message: str, status: int = 406) -> HttpError:
    """Validation failure keyed by field, e.g. ``{"alias": ["Alias is required"]}``."""
    return HttpError(status, {field: [message]})


def bad_request(message: str) -> HttpError:
    return HttpError(400, {"error": message})
