"""Export files: a plain name inside the export folder, written whole or not at all, capped in rows and bytes.

The `file` argument of an export tool comes from a model that may have read a hostile page, so it is a plain file
name (letters, digits, `._-`, at most 120 characters, no leading dot, no `..`): it cannot name another folder.
The folder is resolved once at start (settings.py); at each export it must still resolve to the same place (a
folder swapped for a symlink is refused), and an existing name, a symlink included, is never written through.

Rows go to a hidden temporary file in the same folder, created readable by the owner only (click logs hold IPs);
`ExportFile.commit` links it to its final name only when complete (no file is ever replaced), and anything else
(an error, a cancellation, a client gone) removes it. Messages name the folder by its own name, never the server's
absolute paths.

CSV cells that a spreadsheet would run as a formula (text starting with `=`, `+`, `-`, `@`, tab or carriage
return: visitors control sub_ids, keywords, referrers and user agents) get a leading `'`, the OWASP rule; numbers
stay numbers and JSON Lines are written as received.
"""

from __future__ import annotations

import csv
import io
import json
import operator
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from keitaro_mcp.compact import compact_rows, to_number

__all__ = [
    "FILE_NAME_HELP",
    "MAX_FILE_NAME",
    "ExportFile",
    "RowWriter",
    "check_file_name",
    "neutralise",
]

ExportFormat = Literal["csv", "jsonl"]
MAX_FILE_NAME = 120
FILE_NAME_HELP = f"a plain file name: letters, digits, . _ -, at most {MAX_FILE_NAME} characters, no leading dot"
_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
KEPT_SUFFIXES = (".csv", ".jsonl", ".json", ".txt")
PREVIEW_ROWS = 5
_FORMULA_START = frozenset("=+-@\t\r")
# A cell starts the text or follows a comma or a line break, perhaps inside quotes: one C-speed search per page
# finds whether any cell needs the cell-by-cell rewrite (negative numbers match too; they are left alone there).
_MAYBE_FORMULA = re.compile(r'[,\n]"?[=+\-@\t\r]')


def check_file_name(value: str) -> str:
    """The name as given; ValueError saying what a file name may be."""
    if len(value) > MAX_FILE_NAME:
        raise ValueError(f"{len(value)} characters; use {FILE_NAME_HELP}")
    if not _NAME.fullmatch(value) or ".." in value:
        raise ValueError(f"use {FILE_NAME_HELP} (no folders)")
    return value


def neutralise(cell: Any) -> Any:
    """A text cell a spreadsheet would run as a formula, with a leading `'`; anything else unchanged."""
    if type(cell) is str and cell and cell[0] in _FORMULA_START:
        return "'" + cell
    return cell


class ExportProblem(Exception):
    """The file cannot be made: `config` when the folder is the problem (KEITARO_EXPORT_DIR is the fix),
    `invalid_arguments` when the name is. The message names the folder only by its own name."""

    def __init__(self, kind: Literal["config", "invalid_arguments"], message: str) -> None:
        super().__init__(message)
        self.kind = kind


def _unwritable(folder: str, exc: OSError) -> ExportProblem:
    return ExportProblem(
        "config",
        f"the export folder {folder} cannot be written ({exc.strerror or type(exc).__name__}); set "
        "KEITARO_EXPORT_DIR to a folder the server can write",
    )


@dataclass
class ExportFile:
    """A temporary file in the export folder that becomes `name` only when complete."""

    root: Path
    name: str
    temp: Path
    explicit: bool

    @classmethod
    def create(cls, root: Path, file: str | None, stem: str, fmt: ExportFormat) -> ExportFile:
        """Check the folder and the name, and create the temporary file (0600). Raises ExportProblem."""
        folder = root.name or str(root)
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _unwritable(folder, exc) from None
        if os.path.realpath(root) != str(root) or not root.is_dir():
            raise ExportProblem(
                "config",
                f"the export folder {folder} is no longer the folder configured at start (replaced by a link?); "
                "restart the server or fix KEITARO_EXPORT_DIR",
            )
        if file:
            name = file if Path(file).suffix.lower() in KEPT_SUFFIXES else f"{file}.{fmt}"
            if os.path.lexists(root / name):
                raise ExportProblem(
                    "invalid_arguments", f"{name} already exists in {folder}; give a new name (exports never overwrite)"
                )
        else:
            # UTC, marked Z: the host's zone is neither the tracker's nor the export's, and never repeats an hour.
            name = f"{stem}-{datetime.now(UTC).strftime('%Y%m%d-%H%M%SZ')}.{fmt}"
        try:
            # mkstemp: O_EXCL, mode 0600, a random name no file argument can take (file names never start with a dot).
            fd, temp = tempfile.mkstemp(dir=root, prefix=f".{stem}-", suffix=".part")
        except OSError as exc:
            raise _unwritable(folder, exc) from None
        os.close(fd)
        return cls(root, name, Path(temp), explicit=bool(file))

    def commit(self) -> Path:
        """Give the complete file its name without replacing any file (a link fails on an existing name, a
        symlink included); a default name takes the next free `-N`. Raises ExportProblem."""
        name, n = self.name, 1
        while True:
            final = self.root / name
            try:
                _link_new(self.temp, final)
                break
            except FileExistsError:
                if self.explicit:
                    self.discard()
                    raise ExportProblem(
                        "invalid_arguments", f"{name} already exists in {self.root.name}; give a new name"
                    ) from None
                n += 1
                stem, dot, suffix = self.name.rpartition(".")
                name = f"{stem}-{n}{dot}{suffix}"
        self.discard()
        return final

    def discard(self) -> None:
        self.temp.unlink(missing_ok=True)


def _link_new(temp: Path, final: Path) -> None:
    """`final` becomes the file `temp` is; FileExistsError when the name is taken (never replaced)."""
    try:
        os.link(temp, final, follow_symlinks=False)
    except FileExistsError:
        raise
    except OSError:
        # A file system without hard links: rename, after checking the name is still free.
        if os.path.lexists(final):
            raise FileExistsError(final) from None
        os.replace(temp, final)


class RowWriter:
    """Streams rows to CSV or JSON Lines as bytes, counting rows and bytes against the caps; keeps only the
    preview in memory."""

    def __init__(
        self,
        path: Path,
        fmt: ExportFormat,
        columns: list[str],
        numeric: set[str],
        *,
        max_rows: int,
        max_bytes: int,
    ) -> None:
        self.fmt = fmt
        self.columns = columns
        self.numeric = numeric
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self.rows = 0
        self.bytes = 0
        self.capped: Literal["rows", "bytes"] | None = None
        self.preview: list[list[Any]] = []
        self._get = operator.itemgetter(*columns)
        self._numeric_at = [i for i, c in enumerate(columns) if c in numeric]
        self.file = path.open("wb")
        if fmt == "csv":
            header = self._render([columns])
            self.file.write(header)
            self.bytes = len(header)

    def write(self, rows: list[dict[str, Any]]) -> bool:
        """Write a page; True when a cap stopped it (whole rows only: the file stays readable)."""
        values = self._values(rows)
        if len(values) >= self.max_rows - self.rows:
            if len(values) > self.max_rows - self.rows:
                self.capped = "rows"
            values = values[: self.max_rows - self.rows]
        data = self._render(values)
        if self.bytes + len(data) > self.max_bytes:
            self.capped = "bytes"
            pieces: list[bytes] = []
            size = self.bytes
            for row in values:
                piece = self._render([row])
                if size + len(piece) > self.max_bytes:
                    break
                pieces.append(piece)
                size += len(piece)
            values = values[: len(pieces)]
            data = b"".join(pieces)
        if len(self.preview) < PREVIEW_ROWS:
            self.preview.extend(list(v) for v in values[: PREVIEW_ROWS - len(self.preview)])
        self.file.write(data)
        self.bytes += len(data)
        self.rows += len(values)
        return self.capped is not None

    def full(self) -> bool:
        """The row cap is reached: a next page would not be written."""
        return self.rows >= self.max_rows

    def _render(self, values: list[Any]) -> bytes:
        if self.fmt == "jsonl":
            cols = self.columns
            dumps = json.dumps
            text = "".join(dumps(dict(zip(cols, v, strict=True)), ensure_ascii=False) + "\n" for v in values)
            return text.encode()
        buffer = io.StringIO()
        csv.writer(buffer).writerows(values)
        text = buffer.getvalue()
        if text[:2].lstrip('"')[:1] in _FORMULA_START or _MAYBE_FORMULA.search(text):
            buffer = io.StringIO()
            csv.writer(buffer).writerows([[neutralise(c) for c in v] for v in values])
            text = buffer.getvalue()
        return text.encode()

    def _values(self, rows: list[dict[str, Any]]) -> list[Any]:
        """Rows as tuples in column order (C-speed itemgetter); numeric columns converted only where a page has
        numbers as strings."""
        try:
            values: list[Any] = (
                [self._get(r) for r in rows] if len(self.columns) > 1 else [(r[self.columns[0]],) for r in rows]
            )
        except KeyError:
            return compact_rows(rows, self.columns, self.numeric)
        stringly = [i for i in self._numeric_at if any(type(v[i]) is str for v in values)]
        if stringly:
            values = [list(v) for v in values]
            for v in values:
                for i in stringly:
                    v[i] = to_number(v[i])
        return values

    def close(self) -> None:
        self.file.close()
