"""The API documents (docs/openapi.yaml, docs/asyncapi.yaml) for tests: loading, and validating
live responses against the OpenAPI response declarations with the 3.1 dialect (JSON Schema
2020-12)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

import jsonschema
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.support.terraform_source import ROOT

OPENAPI_PATH = ROOT / "docs" / "openapi.yaml"
ASYNCAPI_PATH = ROOT / "docs" / "asyncapi.yaml"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_BASE = "urn:babelcast:openapi"


@cache
def openapi() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(OPENAPI_PATH.read_text())
    return document


@cache
def asyncapi() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(ASYNCAPI_PATH.read_text())
    return document


def operations() -> Iterator[tuple[str, dict[str, Any]]]:
    """("GET /sessions/{sessionId}", operation) for every operation, in API Gateway route-key form."""
    for path, item in openapi()["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield f"{method.upper()} {path}", item[method]


def resolve(node: Mapping[str, Any]) -> dict[str, Any]:
    """Follow local $refs (#/components/...) until a node without one."""
    while "$ref" in node:
        target: Any = openapi()
        for part in str(node["$ref"]).removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return dict(node)


@cache
def _registry() -> Registry[Any]:
    registry: Registry[Any] = Registry().with_resource(
        _BASE, Resource.from_contents(openapi(), default_specification=DRAFT202012)
    )
    return registry


def schema_errors(schema: Mapping[str, Any], instance: Any) -> list[str]:
    """Validate ``instance`` against ``schema`` (which may $ref into the OpenAPI document)."""
    rooted = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": f"{_BASE}/check", **schema}
    rooted = _rebase_refs(rooted)
    validator = jsonschema.Draft202012Validator(rooted, registry=_registry())
    return [f"{'/'.join(map(str, e.absolute_path)) or '<body>'}: {e.message}" for e in validator.iter_errors(instance)]


def _rebase_refs(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: (f"{_BASE}{v}" if k == "$ref" and str(v).startswith("#") else _rebase_refs(v)) for k, v in node.items()
        }
    if isinstance(node, list):
        return [_rebase_refs(v) for v in node]
    return node


def response_problems(
    route_key: str, status: int, headers: Mapping[str, str], body: bytes, content_type: str | None
) -> list[str]:
    """What is wrong with this response according to the OpenAPI document (empty: it conforms)."""
    method, _, path = route_key.partition(" ")
    operation = openapi()["paths"][path][method.lower()]
    declared = operation["responses"].get(str(status))
    if declared is None:
        return [f"{route_key}: status {status} is not documented"]
    response = resolve(declared)
    problems = []
    lowered = {k.lower(): v for k, v in headers.items()}
    for name, declared_header in (response.get("headers") or {}).items():
        header = resolve(declared_header)
        value = lowered.get(name.lower())
        if value is None:
            if header.get("required"):
                problems.append(f"{route_key} {status}: header {name} missing")
            continue
        schema = dict(header.get("schema") or {})
        typed: Any = int(value) if resolve(schema).get("type") == "integer" and value.isdigit() else value
        problems += [f"{route_key} {status}: header {name}: {e}" for e in schema_errors(schema, typed)]
    content = response.get("content")
    if not content:
        if body:
            problems.append(f"{route_key} {status}: a body where none is documented")
        return problems
    if not (content_type or "").startswith("application/json"):
        return [*problems, f"{route_key} {status}: content type {content_type!r}, documented {sorted(content)}"]
    problems += [
        f"{route_key} {status}: {e}" for e in schema_errors(content["application/json"]["schema"], json.loads(body))
    ]
    return problems
