"""Read the declarations of the module (terraform/*.tf: routes, functions, tables) for contract tests."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import hcl2

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM = ROOT / "terraform"
# Terraform state of the integration run against an external emulator (`make localstack-test`),
# kept between runs because the emulator keeps what it created
EXTERNAL_STACK_DIR = ROOT / ".local" / "integration-external"


def _unquote(value: Any) -> Any:
    """python-hcl2 keeps HCL string quotes; strip them so values compare as plain strings."""
    if isinstance(value, str):
        return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value
    if isinstance(value, dict):
        return {_unquote(k): _unquote(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unquote(v) for v in value]
    return value


@cache
def parsed(file_name: str) -> dict[str, Any]:
    with (TERRAFORM / file_name).open() as handle:
        result: dict[str, Any] = _unquote(hcl2.load(handle))
    return result


def local_value(file_name: str, name: str) -> Any:
    for block in parsed(file_name).get("locals", []):
        if name in block:
            return block[name]
    raise KeyError(f"local.{name} not found in {file_name}")


def http_routes() -> dict[str, dict[str, str]]:
    routes: dict[str, dict[str, str]] = local_value("routes.tf", "http_routes")
    return routes


def websocket_routes() -> dict[str, dict[str, str]]:
    routes: dict[str, dict[str, str]] = local_value("routes.tf", "websocket_routes")
    return routes


def functions() -> dict[str, dict[str, Any]]:
    declared: dict[str, dict[str, Any]] = local_value("functions.tf", "functions")
    return declared


def module_block(file_name: str, name: str) -> dict[str, Any]:
    for block in parsed(file_name).get("module", []):
        if name in block:
            module: dict[str, Any] = block[name]
            return module
    raise KeyError(f"module.{name} not found in {file_name}")
