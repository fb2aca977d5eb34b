"""Shared by the entity modules (flows, offers, landing pages, networks, sources): the operation factory, the
payload types they have in common, and the local-file editor that offers and landing pages both have."""

from __future__ import annotations

import base64
import hashlib
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, Field, create_model

from keitaro_mcp.effects import Effect
from keitaro_mcp.operations._common import Params
from keitaro_mcp.registry import (
    Builder,
    Handler,
    HttpMethod,
    Impactor,
    Operation,
    RequestParts,
    Shaped,
    Shaper,
    Variant,
)

if TYPE_CHECKING:
    from keitaro_mcp.tracker import Tracker

__all__ = [
    "INLINE_DOWNLOAD_LIMIT",
    "ActionPayload",
    "FilePath",
    "OperationFactory",
    "ZipBase64",
    "download_shape",
    "editor_operations",
    "operation_factory",
    "pause_resume",
    "write_body",
]

M = TypeVar("M", bound=Params)

ActionPayload = str | int | dict[str, Any]
"""Keitaro's `action_payload` is a string (URL, text, HTML), an object, or a campaign id (spec: oneOf)."""

INLINE_DOWNLOAD_LIMIT = 12 * 1024
"""Downloads up to this size come back as base64 too (about 16 KB of text, inside the 8,000-token result budget);
larger ones only as size and checksum: never megabytes in the model's context."""


class OperationFactory:
    """Makes a module's `Operation`s with its n8n resource and toolset as defaults (both overridable per entry).

    Every argument is a keyword: an entry reads as what it declares, and the handler, builder and shaper are
    checked against the params model (`Operation[M]`). A read says `read_only=True`; a write names its `effect`
    (keitaro_mcp.effects), from which its annotations follow.
    """

    def __init__(self, resource: str, toolset: str) -> None:
        self.resource = resource
        self.toolset = toolset

    def __call__(
        self,
        *,
        name: str,
        params: type[M],
        title: str,
        operation: str | None = None,
        method: HttpMethod | None = None,
        path: str | None = None,
        variants: tuple[Variant, ...] = (),
        toolset: str | None = None,
        resource: str | None = None,
        read_only: bool = False,
        effect: Effect | None = None,
        idempotent: bool = False,
        api: Literal["admin", "tracker"] = "admin",
        query: frozenset[str] = frozenset(),
        expect: Literal["json", "bytes"] = "json",
        build: Builder[M] | None = None,
        shape: Shaper[M] | None = None,
        handler: Handler[M] | None = None,
        impact: Impactor[M] | None = None,
    ) -> Operation[M]:
        """`variants` stand for operation, method and path: the entry's own are the first variant's."""
        if read_only == (effect is not None):
            raise ValueError(f"{name}: a read says read_only=True, a write names its effect")
        if variants:
            operation, method, path = variants[0].operation, variants[0].method, variants[0].path
        if operation is None or method is None or path is None:
            raise ValueError(f"{name}: give operation, method and path (or variants)")
        return Operation(
            name=name, resource=resource or self.resource, operation=operation, method=method, path=path,
            params=params, toolset=toolset or self.toolset, effect=effect or "read", idempotent=idempotent or read_only,
            title=title, api=api, query=query, expect=expect, build=build, shape=shape, handler=handler, impact=impact,
            variants=variants,
        )  # fmt: skip


def pause_resume(path: str) -> tuple[Variant, ...]:
    """`state=active` resumes (Keitaro's enable), `state=paused` pauses (disable): `path` is the entity's, e.g.
    /campaigns/{campaign_id}."""
    return (
        Variant("state", "active", "enable", "POST", f"{path}/enable"),
        Variant("state", "paused", "disable", "POST", f"{path}/disable"),
    )


def operation_factory(resource: str, toolset: str) -> OperationFactory:
    """An `Operation` maker for one module (see `OperationFactory`)."""
    return OperationFactory(resource, toolset)


def write_body(*path_fields: str, group_id_as_string: bool = True) -> Builder[Params]:
    """A `build` for creates and updates: every given field but the path ids.

    Campaigns and landing pages take `group_id` as a string on write (CampaignRequest, LandingRequest) and give
    it back as an integer; offers take an integer (OfferRequest): `group_id_as_string=False`.
    """

    def build(args: Params, tracker: Tracker) -> RequestParts:
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


def download_shape(reader: str) -> Shaper[Params]:
    """A downloaded zip as its size and sha256, and the bytes only when they are small."""

    def shape(content: Any, args: Params) -> Shaped:
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
) -> tuple[Operation[Any], ...]:
    """The six local-file tools of one entity kind: its file tree, read, add, update and remove a file, its zip.

    `noun` names the tools (landing_page → get_landing_page_file), `plural` is the path segment (/landing_pages)
    and `id_field`/`id_type` the entity's id argument. Each tool gets its own model named after it (the tool
    description is the model's docstring).
    """
    label = noun.replace("_", " ")

    def tool(
        *,
        name: str,
        operation: str,
        method: HttpMethod,
        action: str,
        title: str,
        doc: str,
        fields: dict[str, Any] | None = None,
        read_only: bool = False,
        effect: Effect | None = None,
        idempotent: bool = False,
        query: frozenset[str] = frozenset(),
        expect: Literal["json", "bytes"] = "json",
        shape: Shaper[Params] | None = None,
    ) -> Operation[Any]:
        definitions: dict[str, Any] = {id_field: (id_type, ...)}
        definitions.update({field: (kind, ...) for field, kind in (fields or {}).items()})
        params = create_model(
            "".join(part.capitalize() for part in name.split("_")),
            __base__=_EditorParams,
            __doc__=doc,
            __module__=__name__,
            **definitions,
        )
        return make(
            name=name, operation=operation, method=method, path=f"/{plural}/{{{id_field}}}/{action}", params=params,
            title=title, read_only=read_only, effect=effect, idempotent=idempotent, query=query, expect=expect,
            shape=shape,
        )  # fmt: skip

    return (
        tool(name=f"get_{noun}_structure", operation="getStructure", method="GET", action="get_structure",
             title=f"{label.capitalize()} file tree", doc=f"A local {label}'s file tree.", read_only=True),
        tool(name=f"get_{noun}_file", operation="getFile", method="GET", action="get_file",
             title=f"Read {label} file", doc=f"Read a file of a local {label}.", read_only=True,
             fields={"path": FilePath}),
        tool(name=f"add_{noun}_file", operation="addFile", method="POST", action="add_file",
             title=f"Add {label} file", doc=f"Create an empty file in a local {label}.", fields={"path": FilePath},
             effect="create", query=frozenset({"path"})),
        tool(name=f"update_{noun}_file", operation="updateFile", method="PUT", action="update_file",
             title=f"Write {label} file", doc="The content goes in the URL: big files get HTTP 414.",
             effect="update", idempotent=True, fields={"path": FilePath, "data": FileData}, query=frozenset({"path",
             "data"})),
        tool(name=f"remove_{noun}_file", operation="removeFile", method="DELETE", action="remove_file",
             title=f"Remove {label} file", doc=f"Delete a file of a local {label}.", effect="delete",
             idempotent=True, fields={"path": FilePath}),
        tool(name=f"download_{noun}", operation="download", method="GET", action="download",
             title=f"Download {label}",
             doc=f"A local {label}'s zip: size, sha256, base64 when at most {INLINE_DOWNLOAD_LIMIT // 1024} KB.",
             read_only=True, expect="bytes", shape=download_shape(f"get_{noun}_file")),
    )  # fmt: skip
