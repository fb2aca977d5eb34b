"""server.json: valid for the MCP Registry (schema 2025-12-11, offline) and consistent with the package.

The schema is the registry's own file, bundled byte for byte by the `skillsaw` dev dependency; nothing is
downloaded. The registry's PyPI ownership check wants `mcp-name: <server.json name>` in the package README.
"""

from __future__ import annotations

import copy
import json
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from keitaro_mcp import __version__
from keitaro_mcp.settings import ENV_VARS

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_URL = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"
# The registry reads the marker from the README and wants whitespace, a tag or `-->` right after the name.
MCP_NAME = re.compile(r"mcp-name:\s*([A-Za-z0-9.-]+/[A-Za-z0-9._-]+)(?=\s|<|-->|$)")


def load_schema() -> dict[str, Any]:
    path = resources.files("skillsaw") / "schemas" / "mcp_registry" / "v2025_12_11" / "server.schema.json"
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return load_schema()


@pytest.fixture(scope="module")
def server_json() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / "server.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def pyproject() -> dict[str, Any]:
    with (ROOT / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)


def errors(schema: dict[str, Any], document: dict[str, Any]) -> list[str]:
    validator = jsonschema.validators.validator_for(schema)(schema, format_checker=jsonschema.FormatChecker())
    found = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in found]


def package(server_json: dict[str, Any]) -> dict[str, Any]:
    pypi: list[dict[str, Any]] = [p for p in server_json["packages"] if p["registryType"] == "pypi"]
    assert len(pypi) == 1, "server.json lists exactly one PyPI package"
    return pypi[0]


def test_the_bundled_schema_is_the_registry_release(schema: dict[str, Any], server_json: dict[str, Any]) -> None:
    assert schema["$id"] == SCHEMA_URL
    assert server_json["$schema"] == SCHEMA_URL


def test_server_json_is_valid_for_the_registry(schema: dict[str, Any], server_json: dict[str, Any]) -> None:
    assert errors(schema, server_json) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.update(name="keitaro-mcp"), "does not match"),
        (lambda d: d.update(description="x" * 101), "is too long"),
        (lambda d: d["packages"][0].update(version="latest"), "should not be valid"),
        (lambda d: d["packages"][0].pop("transport"), "'transport' is a required property"),
    ],
    ids=["name-without-namespace", "description-over-100", "version-latest", "package-without-transport"],
)
def test_the_validation_catches_what_the_registry_rejects(
    schema: dict[str, Any], server_json: dict[str, Any], change: Any, expected: str
) -> None:
    broken = copy.deepcopy(server_json)
    change(broken)
    assert any(expected in e for e in errors(schema, broken)), errors(schema, broken)


def test_name_is_the_readme_mcp_name_marker(server_json: dict[str, Any], pyproject: dict[str, Any]) -> None:
    readme = (ROOT / pyproject["project"]["readme"]).read_text(encoding="utf-8")
    names = MCP_NAME.findall(readme)
    assert names == [server_json["name"]], f"README mcp-name markers {names} != server.json name"
    assert server_json["name"].startswith("io.github."), "GitHub-authenticated publishing needs io.github.<owner>/"


def test_version_and_identifier_come_from_the_package(server_json: dict[str, Any], pyproject: dict[str, Any]) -> None:
    project = pyproject["project"]
    assert "version" in project.get("dynamic", []), "the version lives only in keitaro_mcp/__init__.py"
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "keitaro_mcp.__version__"}
    pkg = package(server_json)
    assert server_json["version"] == pkg["version"] == __version__
    assert pkg["identifier"] == project["name"]
    assert pkg["runtimeHint"] == "uvx"
    assert pkg["transport"] == {"type": "stdio"}
    assert "keitaro-mcp" in project["scripts"], "uvx keitaro-mcp needs the console script"


def test_environment_variables_match_the_settings(server_json: dict[str, Any]) -> None:
    declared = package(server_json)["environmentVariables"]
    assert [v["name"] for v in declared] == list(ENV_VARS)
    for var in declared:
        description, required, secret = ENV_VARS[var["name"]]
        assert var["description"] == description, var["name"]
        assert var.get("isRequired", False) is required, var["name"]
        assert var.get("isSecret", False) is secret, var["name"]
    by_name = {v["name"]: v for v in declared}
    assert by_name["KEITARO_API_KEY"]["isSecret"] is True
    assert by_name["KEITARO_READ_ONLY"]["format"] == "boolean"


def test_description_fits_the_registry_limit(server_json: dict[str, Any]) -> None:
    assert 1 <= len(server_json["description"]) <= 100


def test_the_package_ships_its_type_marker() -> None:
    assert (ROOT / "keitaro_mcp" / "py.typed").is_file()
