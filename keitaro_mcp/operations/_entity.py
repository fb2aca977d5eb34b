"""Shared by the entity modules (flows, offers, landing pages, networks, sources): the operation factory, the
payload types they have in common, and the local-file editor that offers and landing pages both have."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, Field, create_model

from keitaro_mcp.operations._common import Params
from keitaro_mcp.registry import HttpMethod, Operation, RequestParts, Shaped, Shaper

__all__ = [
    "INLINE_DOWNLOAD_LIMIT",
    "ActionPayload",
    "FilePath",
    "OperationFactory",
    "ZipBase64",
    "download_shape",
    "editor_operations",
    "operation_factory",
    "write_body",
]

OperationFactory = Callable[..., Operation]

ActionPayload = str | int | dict[str, Any]
"""Keitaro's `action_payload` is a string (URL, text, HTML), an object, or a campaign id (spec: oneOf)."""

INLINE_DOWNLOAD_LIMIT = 12 * 1024
"""Downloads up to this size come back as base64 too (about 16 KB of text, inside the 8,000-token result budget);
larger ones only as size and checksum: never megabytes in the model's context."""


def operation_factory(resource: str, toolset: str) -> OperationFactory:
    """An `Operation` maker with the module's n8n resource and toolset as defaults (both overridable per entry)."""

    def make(
        name: str,
        operation: str,
        method: HttpMethod,
        path: str,
        params: type[Params],
        title: str,
        *,
        toolset: str = toolset,
        resource: str = resource,
        read_only: bool = False,
        destructive: bool = False,
        idempotent: bool = False,
        **extra: Any,
    ) -> Operation:
        return Operation(
            name=name, resource=resource, operation=operation, method=method, path=path, params=params,
            toolset=toolset, read_only=read_only, destructive=destructive, idempotent=idempotent or read_only,
            title=title, **extra,
        )  # fmt: skip

    return make


def write_body(*path_fields: str, group_id_as_string: bool = True) -> Callable[[Any], RequestParts]:
    """A `build` for creates and updates: every given field but the path ids.

    Campaigns and landing pages take `group_id` as a string on write (CampaignRequest, LandingRequest) and give
    it back as an integer; offers take an integer (OfferRequest): `group_id_as_string=False`.
    """

    def build(args: Any) -> RequestParts:
        body: dict[str, Any] = args.model_dump(mode="json", by_alias=True, exclude_none=True, exclude=set(path_fields))
        if group_id_as_string and "group_id" in body:
            body["group_id"] = str(body["group_id"])
        return RequestParts(body=body)

    return build


def _relative_path(value: str) -> str:
    parts = value.replace("\\", "/").split("/")
    if value.startswith(("/", "\\")) or ".." in parts:
        raise ValueError("must be relative to the entity's folder, without '..'")
    return value


FilePath = Annotated[
    str,
    Field(min_length=1, description="Relative, e.g. css/a.css."),
    AfterValidator(_relative_path),
]


def _zip_base64(value: str) -> str:
    try:
        content = base64.b64decode(value, validate=True)
    except ValueError:
        raise ValueError("must be the zip file's bytes in base64") from None
    if content[:2] != b"PK":
        raise ValueError("must be a zip file (base64 of bytes starting with PK)")
    return value


ZipBase64 = Annotated[str, AfterValidator(_zip_base64)]
"""A local offer's or landing's files, uploaded whole as `archive` on create."""

FileData = Annotated[str, Field(max_length=50_000)]


class _EditorParams(Params):
    # Built with create_model: there is no source to read attribute docstrings from (descriptions are in Field).
    model_config = Params.model_config | {"use_attribute_docstrings": False}


def download_shape(reader: str) -> Shaper:
    """A downloaded zip as its size and sha256, and the bytes only when they are small."""

    def shape(content: Any, args: Any) -> Shaped:
        data: dict[str, Any] = {"size": len(content), "sha256": hashlib.sha256(content).hexdigest()}
        if content[:2] == b"PK":
            data["content_type"] = "application/zip"
        if len(content) <= INLINE_DOWNLOAD_LIMIT:
            data["content_base64"] = base64.b64encode(content).decode("ascii")
        else:
            data["note"] = f"Over {INLINE_DOWNLOAD_LIMIT // 1024} KB, not inlined: read single files with {reader}."
        return Shaped(data)

    return shape


def editor_operations(
    make: OperationFactory, *, noun: str, plural: str, id_field: str, id_type: Any
) -> tuple[Operation, ...]:
    """The six local-file tools of one entity kind: its file tree, read, add, update and remove a file, its zip.

    `noun` names the tools (landing_page → get_landing_page_file), `plural` is the path segment (/landing_pages)
    and `id_field`/`id_type` the entity's id argument. Each tool gets its own model named after it (the tool
    description is the model's docstring).
    """
    label = noun.replace("_", " ")

    def tool(
        name: str,
        operation: str,
        method: HttpMethod,
        action: str,
        title: str,
        doc: str,
        fields: dict[str, Any] | None = None,
        **options: Any,
    ) -> Operation:
        definitions: dict[str, Any] = {id_field: (id_type, ...)}
        definitions.update({field: (kind, ...) for field, kind in (fields or {}).items()})
        params = create_model(
            "".join(part.capitalize() for part in name.split("_")),
            __base__=_EditorParams,
            __doc__=doc,
            __module__=__name__,
            **definitions,
        )
        return make(name, operation, method, f"/{plural}/{{{id_field}}}/{action}", params, title, **options)

    return (
        tool(f"get_{noun}_structure", "getStructure", "GET", "get_structure", f"{label.capitalize()} file tree",
             f"A local {label}'s file tree.", read_only=True),
        tool(f"get_{noun}_file", "getFile", "GET", "get_file", f"Read {label} file",
             f"Read a file of a local {label}.", read_only=True, fields={"path": FilePath}),
        tool(f"add_{noun}_file", "addFile", "POST", "add_file", f"Add {label} file",
             f"Create an empty file in a local {label}.", fields={"path": FilePath}, query=frozenset({"path"})),
        tool(f"update_{noun}_file", "updateFile", "PUT", "update_file", f"Write {label} file",
             "The content goes in the URL: big files get HTTP 414.",
             idempotent=True, fields={"path": FilePath, "data": FileData}, query=frozenset({"path", "data"})),
        tool(f"remove_{noun}_file", "removeFile", "DELETE", "remove_file", f"Remove {label} file",
             f"Delete a file of a local {label}.", destructive=True, idempotent=True, fields={"path": FilePath}),
        tool(f"download_{noun}", "download", "GET", "download", f"Download {label}",
             f"A local {label}'s zip: size, sha256, base64 when at most {INLINE_DOWNLOAD_LIMIT // 1024} KB.",
             read_only=True, expect="bytes", shape=download_shape(f"get_{noun}_file")),
    )  # fmt: skip
