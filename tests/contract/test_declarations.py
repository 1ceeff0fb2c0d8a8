"""Contract tests: the code, the Terraform declarations and the test fixtures cannot drift.

* every route Terraform declares (HTTP and WebSocket) has a handler, and every handler route or
  action is declared;
* a route's authorization in Terraform matches whether its handler requires a caller;
* every function folder is declared in Terraform with an importable handler, and vice versa;
* the environment Terraform sets for a function equals what the function's settings read;
* no code reads the environment outside the settings module;
* the tables the unit tests create match the tables Terraform creates.
"""

from __future__ import annotations

import ast
import importlib
import sys
from pathlib import Path
from typing import Any

import pytest
from babelcast.http.app import HttpApp
from babelcast.websocket import MessageApp

from tests.support import tables
from tests.support.terraform_source import ROOT, functions, http_routes, module_block, websocket_routes

FUNCTION_DIRS = sorted(p.parent.name for p in (ROOT / "functions").glob("*/pyproject.toml"))
# API Gateway's lifecycle routes carry no action: each is served by the function named for it
WEBSOCKET_LIFECYCLE_ROUTES = {"$connect": "ws_connect", "$disconnect": "ws_disconnect"}


def handler_module(function: str) -> Any:
    handler_path = functions()[function]["handler"]
    module_name, _, attribute = handler_path.rpartition(".")
    module = importlib.import_module(module_name)
    assert callable(getattr(module, attribute)), f"{handler_path} is not callable"
    return module


def test_every_function_folder_is_declared_in_terraform_and_vice_versa() -> None:
    assert sorted(functions()) == FUNCTION_DIRS


@pytest.mark.parametrize("function", FUNCTION_DIRS)
def test_declared_handler_exists(function: str) -> None:
    handler_module(function)


def test_terraform_routes_equal_handler_routes() -> None:
    declared = http_routes()
    served: dict[str, tuple[str, bool]] = {}
    for function in FUNCTION_DIRS:
        app = getattr(handler_module(function), "app", None)
        if not isinstance(app, HttpApp):
            continue
        for key, route in app.routes.items():
            assert key not in served, f"{key} served by two functions"
            served[key] = (function, route.authenticated)
    assert served, "no function serves an HTTP route"
    assert set(declared) == set(served), "routes in Terraform and in handlers differ"
    for key, spec in declared.items():
        function, authenticated = served[key]
        assert spec["function"] == function, f"{key} is routed to {spec['function']} but served by {function}"
        assert (spec["authorization"] == "JWT") == authenticated, f"{key}: authorizer and handler disagree"


def test_terraform_websocket_routes_equal_the_actions_handlers_serve() -> None:
    """Every action a MessageApp handles is a route in Terraform (to that function), and every
    route is handled: the app also answers actions it does not know, so it is the $default route."""
    served = dict(WEBSOCKET_LIFECYCLE_ROUTES)
    for function in FUNCTION_DIRS:
        app = getattr(handler_module(function), "app", None)
        if not isinstance(app, MessageApp):
            continue
        for key in [*app.handlers, "$default"]:
            assert key not in served, f"{key} served by two functions"
            served[key] = function
    declared = {key: spec["function"] for key, spec in websocket_routes().items()}
    assert declared == served, "WebSocket routes in Terraform and in handlers differ"


@pytest.mark.parametrize("function", FUNCTION_DIRS)
def test_terraform_sets_exactly_the_environment_the_function_reads(function: str) -> None:
    settings_class = handler_module(function).SETTINGS
    assert set(functions()[function]["environment"]) == set(settings_class.environment_variables())


def _reads_environment(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        attribute = isinstance(node, ast.Attribute) and node.attr in {"environ", "getenv"}
        if attribute and isinstance(node.value, ast.Name) and node.value.id == "os":  # type: ignore[attr-defined]
            lines.append(node.lineno)  # type: ignore[attr-defined]
        if (
            isinstance(node, ast.ImportFrom)
            and node.module == "os"
            and {a.name for a in node.names} & {"environ", "getenv"}
        ):
            lines.append(node.lineno)
    return lines


def test_only_the_settings_module_reads_the_environment() -> None:
    # deployed code only (the local-stack tooling is not deployed)
    sources = [*(ROOT / "packages" / "common").rglob("*.py"), *(ROOT / "functions").rglob("*.py")]
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in sources
        if path.name != "settings.py"
        for line in _reads_environment(ast.parse(path.read_text()))
    ]
    assert offenders == []


def _imports(tree: ast.AST, module: str) -> bool:
    return any(
        (isinstance(node, ast.Import) and any(a.name.split(".")[0] == module for a in node.names))
        or (isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == module)
        for node in ast.walk(tree)
    )


def test_the_jwt_rules_are_written_once() -> None:
    """babelcast.auth verifies tokens for the WebSocket authorizer and the local gateway's HTTP JWT
    authorizer alike: no other code of the packages or functions uses the JWT library."""
    sources = [*(ROOT / "packages").rglob("*.py"), *(ROOT / "functions").rglob("*.py")]
    users = sorted(str(p.relative_to(ROOT)) for p in sources if _imports(ast.parse(p.read_text()), "jwt"))
    assert users == ["packages/common/src/babelcast/auth.py"]
    gateway = ROOT / "packages" / "devstack" / "src" / "babelcast_devstack" / "jwt_authorizer.py"
    assert "from babelcast.auth import" in gateway.read_text()


def _terraform_table(name: str) -> dict[str, Any]:
    block = module_block("main.tf", name)
    return {
        "hash_key": block["hash_key"],
        "attributes": sorted((a["name"], a["type"]) for a in block["attributes"]),
        "indexes": sorted(
            (i["name"], i["hash_key"], i.get("range_key"), i.get("projection_type", "ALL"))
            for i in block.get("global_secondary_indexes", [])
        ),
    }


def _fixture_table(definition: dict[str, Any]) -> dict[str, Any]:
    def keys(schema: list[dict[str, str]]) -> tuple[str, str | None]:
        by_type = {k["KeyType"]: k["AttributeName"] for k in schema}
        return by_type["HASH"], by_type.get("RANGE")

    return {
        "hash_key": keys(definition["KeySchema"])[0],
        "attributes": sorted((a["AttributeName"], a["AttributeType"]) for a in definition["AttributeDefinitions"]),
        "indexes": sorted(
            (i["IndexName"], *keys(i["KeySchema"]), i["Projection"]["ProjectionType"])
            for i in definition.get("GlobalSecondaryIndexes", [])
        ),
    }


@pytest.mark.parametrize(
    ("module_name", "definition"),
    [
        ("sessions_table", tables.SESSIONS_TABLE),
        ("rate_limits_table", tables.RATE_LIMITS_TABLE),
        ("catch_up_table", tables.CATCH_UP_TABLE),
    ],
)
def test_unit_test_tables_match_terraform(module_name: str, definition: dict[str, Any]) -> None:
    assert _fixture_table(definition) == _terraform_table(module_name)


def test_speaker_index_name_in_code_matches_terraform() -> None:
    from babelcast.integration.sessions_table import SPEAKER_INDEX

    index_names = [i["name"] for i in module_block("main.tf", "sessions_table")["global_secondary_indexes"]]
    assert SPEAKER_INDEX in index_names


def test_every_environment_root_calls_the_module_as_itself() -> None:
    roots = {p.parent.name: p for p in (ROOT / "terraform" / "environments").glob("*/main.tf")}
    assert set(roots) == {"dev", "staging", "prod", "local"}
    for name, path in roots.items():
        text = path.read_text()
        assert 'source = "../.."' in text, name
        assert f'environment = "{name}"' in text, name  # names, metrics and ENVIRONMENT follow the root
        assert "allowed_account_ids" in text, name
        assert ('backend "s3" {}' in text) == (name != "local"), name  # local keeps its state on the machine


def test_no_machine_paths_are_committed() -> None:
    # this machine's paths, discovered now: the checkout, the home directory, the provider mirror
    sys.path.insert(0, str(ROOT / "scripts"))
    from terraform_cli_config import find_mirror  # type: ignore[import-not-found]

    mirror = find_mirror()
    suspicious = tuple(str(p) for p in (ROOT, Path.home(), mirror) if p is not None and str(p) != "/")
    tracked = [
        p
        for p in ROOT.rglob("*")
        if p.is_file()
        and not set(p.relative_to(ROOT).parts)
        & {
            ".venv",
            ".tools",
            ".cache",
            ".local",
            ".git",
            "dist",
            ".terraform",
            "__pycache__",
            ".mypy_cache",
            ".ruff_cache",
            ".pytest_cache",
            "node_modules",
        }
    ]
    offenders = [
        str(p.relative_to(ROOT))
        for p in tracked
        if p.suffix in {".py", ".tf", ".tfvars", ".md", ".toml", ".json", ".yml", ".yaml", ""}
        and p != Path(__file__)
        and any(s in p.read_text(errors="ignore") for s in suspicious)
    ]
    assert offenders == []
