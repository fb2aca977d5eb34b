"""Attribute docstrings as field descriptions, without pydantic's per-class stack walk.

pydantic's `use_attribute_docstrings` finds each class's source by walking the interpreter stack with
`inspect.getmodule` (Python < 3.13) and tokenizing the class body: for ~130 params models that was the largest
part of the server's start-up. Here each module's text is read once, the class block is cut out by indentation
and parsed alone; a class that cannot be found that way (nested, defined twice, odd layout) falls back to
parsing the whole module once. The result is what pydantic would set: tests/test_attribute_docs.py checks
every params model against pydantic's own reader.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import re
import sys
from functools import cache

from pydantic import BaseModel

__all__ = ["apply_attribute_docstrings", "attribute_docstrings"]

_CLASS = re.compile(r"^([ \t]*)class[ \t]+(\w+)\b", re.MULTILINE)


def _class_docs(body: list[ast.stmt]) -> dict[str, str]:
    """`name: type [= value]` immediately followed by a string statement: that string documents `name`."""
    docs: dict[str, str] = {}
    for stmt, following in itertools.pairwise(body):
        if (
            isinstance(stmt, ast.AnnAssign)
            and isinstance(stmt.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docs[stmt.target.id] = inspect.cleandoc(following.value.value)
    return docs


@cache
def _source(path: str) -> tuple[str, dict[str, list[int]]]:
    """The file's text and, per class name, the offsets of its `class` statements."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    starts: dict[str, list[int]] = {}
    for match in _CLASS.finditer(text):
        starts.setdefault(match.group(2), []).append(match.start())
    return text, starts


@cache
def _module_docs(path: str) -> dict[str, dict[str, str]]:
    """Fallback: {qualname: docs} for every class of the module, from one parse of the whole file."""
    tree = ast.parse(_source(path)[0], path)
    table: dict[str, dict[str, str]] = {}

    def walk(nodes: list[ast.stmt], prefix: str) -> None:
        for node in nodes:
            if isinstance(node, ast.ClassDef):
                table[prefix + node.name] = _class_docs(node.body)
                walk(node.body, f"{prefix}{node.name}.")
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                walk(node.body, f"{prefix}{node.name}.<locals>.")

    walk(tree.body, "")
    return table


def _block_docs(path: str, name: str) -> dict[str, str] | None:
    """The docs of the one top-level `class name`, parsed alone; None when that is not possible."""
    text, starts = _source(path)
    offsets = starts.get(name, [])
    if len(offsets) != 1 or text[offsets[0]] in " \t":
        return None
    start = offsets[0]
    # The block ends at the next line that starts in column 0 with code (not a blank line or a comment).
    end = re.compile(r"^[^\s#]", re.MULTILINE).search(text, text.find("\n", start) + 1)
    block = text[start : end.start() if end else len(text)]
    try:
        node = ast.parse(block).body[0]
    except SyntaxError:
        return None  # e.g. a string literal whose lines start in column 0
    if not isinstance(node, ast.ClassDef) or node.name != name:
        return None
    return _class_docs(node.body)


def attribute_docstrings(cls: type) -> dict[str, str]:
    """The class's own attribute docstrings; {} when it has no readable source (e.g. made by create_model)."""
    path = getattr(sys.modules.get(cls.__module__), "__file__", None)
    if not path or not path.endswith(".py"):
        return {}
    try:
        docs = _block_docs(path, cls.__qualname__) if "." not in cls.__qualname__ else None
        return docs if docs is not None else _module_docs(path).get(cls.__qualname__, {})
    except (OSError, SyntaxError, UnicodeDecodeError):
        return {}


def apply_attribute_docstrings(cls: type[BaseModel]) -> None:
    """Fill in the descriptions `use_attribute_docstrings` would: the class's own documented fields only."""
    docs = attribute_docstrings(cls)
    if not docs:
        return
    own = inspect.get_annotations(cls)
    for name, field in cls.__pydantic_fields__.items():
        if field.description is None and name in docs and name in own:
            field.description = docs[name]
