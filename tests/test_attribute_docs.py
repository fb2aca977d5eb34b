"""Attribute docstrings become field descriptions exactly as pydantic's `use_attribute_docstrings` would set them.

keitaro_mcp.attribute_docs replaces pydantic's per-class stack walk (a start-up cost) with one read per module;
these tests hold it to pydantic's own reader, on every params model and on synthetic edge cases.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from pydantic._internal._docs_extraction import extract_docstrings_from_cls  # the oracle: pydantic's own reader

from keitaro_mcp.attribute_docs import attribute_docstrings
from keitaro_mcp.operations import OPERATIONS
from keitaro_mcp.operations._common import Params
from keitaro_mcp.periods import PeriodArgs


def all_models() -> list[type[BaseModel]]:
    seen: dict[type[BaseModel], None] = {}
    stack: list[type[BaseModel]] = [Params, PeriodArgs, *(op.params for op in OPERATIONS)]
    while stack:
        cls = stack.pop()
        if cls not in seen:
            seen[cls] = None
            stack.extend(cls.__subclasses__())
    return list(seen)


def expected_descriptions(cls: type[BaseModel]) -> Iterator[tuple[str, str | None, str | None]]:
    """(field, description it has, description pydantic would give) for the class's own undescribed fields."""
    try:
        docs = extract_docstrings_from_cls(cls, use_inspect=True)
    except (OSError, TypeError):
        docs = {}  # no source (create_model): pydantic reads nothing either
    own = inspect.get_annotations(cls)
    for name, field in cls.model_fields.items():
        if name in own and "description" not in field._attributes_set:
            yield name, field.description, docs.get(name)


MODELS = all_models()


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: f"{c.__module__.rsplit('.', 1)[-1]}.{c.__qualname__}")
def test_descriptions_match_pydantic(cls: type[BaseModel]) -> None:
    for name, got, want in expected_descriptions(cls):
        assert got == want, f"{cls.__qualname__}.{name}"


EDGE_CASES = '''
from __future__ import annotations
from typing import ClassVar
from pydantic import BaseModel, ConfigDict, Field
BASE = __BASE__

class Plain(BASE):
    """Class docstring, not a field's."""
    a: int = 1
    """A's doc."""
    b: int = 2
    c: str = Field("x", description="explicit wins")
    """ignored: explicit description"""
    d: int = 3
    """Multi-line
        doc, indented."""
    e: int = 4
    x: ClassVar[int] = 5
    """not a field"""

class Child(Plain):
    f: int = 6
    """F's doc."""
    a: int = 7

class Dedented(BASE):
    g: str = """
starts in column 0
"""
    """G's doc."""

def factory():
    class Nested(BASE):
        h: int = 8
        """H's doc."""
    return Nested

Nested = factory()

class Twice(BASE):
    i: int = 1
    """first"""

class Twice(BASE):
    i: int = 1
    """second"""

class Outer(BASE):
    class Inner(BASE):
        j: int = 1
        """J's doc."""
    k: int = 2
    """K's doc."""
'''


def load(tmp_path: Path, name: str, base: str) -> Any:
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(EDGE_CASES).replace("__BASE__", base), encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(name, None)
    return module


def test_edge_cases_match_native_pydantic(tmp_path: Path) -> None:
    """The same classes, once on Params (our reader) and once on a BaseModel with use_attribute_docstrings."""
    ours = load(tmp_path, "kt_docs_ours", "__import__('keitaro_mcp.operations._common').operations._common.Params")
    native_base = (
        "type('NativeBase', (BaseModel,), {'model_config': ConfigDict(use_attribute_docstrings=True), "
        "'__module__': __name__})"
    )
    native = load(tmp_path, "kt_docs_native", native_base)
    for name in ("Plain", "Child", "Dedented", "Nested", "Twice", "Outer"):
        a, b = getattr(ours, name), getattr(native, name)
        got = {k: f.description for k, f in a.model_fields.items()}
        want = {k: f.description for k, f in b.model_fields.items()}
        assert got == want, name
    inner = {k: f.description for k, f in ours.Outer.Inner.model_fields.items()}
    assert inner == {k: f.description for k, f in native.Outer.Inner.model_fields.items()}
    assert ours.Plain.model_fields["a"].description == "A's doc."
    assert ours.Plain.model_fields["d"].description == "Multi-line\ndoc, indented."
    assert ours.Dedented.model_fields["g"].description == "G's doc."


def test_a_class_without_source_has_no_docs() -> None:
    from pydantic import create_model

    made = create_model("Made", __base__=Params, z=(int, 1))
    assert attribute_docstrings(made) == {}
    assert made.model_fields["z"].description is None
