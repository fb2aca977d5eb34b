"""Local files of offers and landing pages: add, read, write, remove, the folder tree, a zip download.

Paths come in the query (``?path=css/style.css``); ``..`` segments are refused.
"""

from __future__ import annotations

import io
import zipfile

from keitaro_mcp.sandbox.resources._common import HttpError, JsonDict, Reply, Route, Tracker, invalid

__all__ = ["file_routes"]


def _file_path(query: dict[str, str]) -> str:
    path = (query.get("path") or "").strip().lstrip("/")
    if not path or ".." in path.split("/"):
        raise invalid("path", "Path is required")
    return path


def add_file(t: Tracker, table: str, eid: int, query: dict[str, str]) -> JsonDict:
    t.get_live(table, eid)
    path = _file_path(query)
    t.store.execute("INSERT OR IGNORE INTO files VALUES (?, ?, ?, '')", (table, eid, path))
    return {"path": path}


def get_file(t: Tracker, table: str, eid: int, query: dict[str, str]) -> JsonDict:
    t.get_live(table, eid)
    path = _file_path(query)
    row = t.store.one("SELECT data FROM files WHERE owner = ? AND owner_id = ? AND path = ?", (table, eid, path))
    if row is None:
        raise HttpError(404, f"File {path} not found", "text/plain")
    return {"data": row[0]}


def update_file(t: Tracker, table: str, eid: int, query: dict[str, str]) -> JsonDict:
    t.get_live(table, eid)
    path = _file_path(query)
    if "data" not in query:
        raise invalid("data", "Data is required")
    t.store.execute("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?)", (table, eid, path, query["data"]))
    return {"path": path}


def remove_file(t: Tracker, table: str, eid: int, query: dict[str, str]) -> JsonDict:
    t.get_live(table, eid)
    path = _file_path(query)
    t.store.execute("DELETE FROM files WHERE owner = ? AND owner_id = ? AND path = ?", (table, eid, path))
    return {"success": True}


def file_structure(t: Tracker, table: str, eid: int) -> JsonDict:
    t.get_live(table, eid)
    root: JsonDict = {"name": "", "type": "directory", "ext": "", "path": "/", "children": []}
    rows = t.store.query("SELECT path FROM files WHERE owner = ? AND owner_id = ? ORDER BY path", (table, eid))
    for (path,) in rows:
        node = root
        parts = str(path).split("/")
        for i, part in enumerate(parts):
            is_file = i == len(parts) - 1
            child = next((c for c in node["children"] if c["name"] == part), None)
            if child is None:
                child = {
                    "name": part,
                    "type": "file" if is_file else "directory",
                    "ext": part.rsplit(".", 1)[-1] if is_file and "." in part else "",
                    "path": "/".join(parts[: i + 1]),
                    "children": [],
                }
                node["children"].append(child)
            node = child
    return root


def download(t: Tracker, table: str, eid: int) -> bytes:
    t.get_live(table, eid)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, data in t.store.query("SELECT path, data FROM files WHERE owner = ? AND owner_id = ?", (table, eid)):
            zf.writestr(str(path), str(data))
    return buf.getvalue()


def file_routes(base: str, table: str) -> list[Route]:
    return [
        Route("POST", f"{base}/{{id}}/add_file", lambda t, c: add_file(t, table, c.id(), c.query)),
        Route("GET", f"{base}/{{id}}/get_file", lambda t, c: get_file(t, table, c.id(), c.query)),
        Route("PUT", f"{base}/{{id}}/update_file", lambda t, c: update_file(t, table, c.id(), c.query)),
        Route("DELETE", f"{base}/{{id}}/remove_file", lambda t, c: remove_file(t, table, c.id(), c.query)),
        Route("GET", f"{base}/{{id}}/get_structure", lambda t, c: file_structure(t, table, c.id())),
        Route(
            "GET",
            f"{base}/{{id}}/download",
            lambda t, c: Reply(download(t, table, c.id()), content_type="application/octet-stream"),
        ),
    ]
