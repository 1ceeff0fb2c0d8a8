"""Contract tests: docs/openapi.yaml and docs/asyncapi.yaml are valid and say what Terraform and
the code declare (routes, authorization, WebSocket actions, languages, error codes)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from babelcast import errors
from babelcast_client.errors import WEBSOCKET_CODE_STATUS
from openapi_spec_validator import validate

from tests.support.api_documents import asyncapi, openapi, operations, resolve, schema_errors
from tests.support.terraform_source import http_routes, local_value, parsed

# The official AsyncAPI 3.0.0 JSON Schema, from the npm package @asyncapi/specs 6.11.1
# (Apache-2.0), vendored so the test needs no network.
ASYNCAPI_SCHEMA = Path(__file__).parent / "schemas" / "asyncapi-3.0.0.json.gz"
WEBSOCKET_SYSTEM_ROUTES = {"$connect", "$disconnect", "$default"}


def _domain_errors() -> dict[str, int]:
    found: dict[str, int] = {}
    pending: list[type[errors.DomainError]] = [errors.DomainError]
    while pending:
        cls = pending.pop()
        found[cls.code] = cls.status
        pending += cls.__subclasses__()
    return found


def test_openapi_document_is_valid_openapi_3_1() -> None:
    assert openapi()["openapi"].startswith("3.1.")
    validate(openapi())  # raises with the offending location


def test_asyncapi_document_is_valid_asyncapi_3() -> None:
    schema = json.loads(gzip.decompress(ASYNCAPI_SCHEMA.read_bytes()))
    problems = [
        f"{list(e.absolute_path)}: {e.message}" for e in jsonschema.Draft7Validator(schema).iter_errors(asyncapi())
    ]
    assert problems == []


def test_openapi_operations_equal_the_terraform_http_routes() -> None:
    assert sorted(key for key, _ in operations()) == sorted(http_routes())


@pytest.mark.parametrize(("route_key", "spec"), sorted(http_routes().items()))
def test_openapi_security_matches_the_route_authorization(route_key: str, spec: dict[str, str]) -> None:
    documented = dict(operations())
    assert route_key in documented, f"{route_key} is not in docs/openapi.yaml"
    operation = documented[route_key]
    security = operation.get("security", openapi().get("security", []))
    requires_token = any(requirement for requirement in security)
    assert requires_token == (spec["authorization"] == "JWT"), f"{route_key}: security {security}"
    # a route behind the JWT authorizer can be refused with 401; a public one cannot
    assert ("401" in operation["responses"]) == requires_token


def test_every_operation_documents_its_server_errors_and_correlation_header() -> None:
    for route_key, operation in operations():
        assert {"500", "503"} <= set(operation["responses"]), route_key
        for status, response in operation["responses"].items():
            if status.startswith("2") or status == "400":
                assert "X-Correlation-Id" in resolve(response).get("headers", {}), f"{route_key} {status}"


def test_asyncapi_client_actions_equal_the_terraform_websocket_routes() -> None:
    document = asyncapi()
    actions = set()
    for operation in document["operations"].values():
        if operation["action"] != "receive":
            continue
        for reference in operation["messages"]:
            name = reference["$ref"].rsplit("/", 1)[-1]
            actions.add(document["components"]["messages"][name]["payload"]["properties"]["action"]["const"])
    declared = set(local_value("routes.tf", "websocket_routes")) - WEBSOCKET_SYSTEM_ROUTES
    assert actions == declared


def test_documented_languages_equal_the_terraform_default() -> None:
    default = next(
        v["supported_languages"]["default"] for v in parsed("variables.tf")["variable"] if "supported_languages" in v
    )
    assert openapi()["components"]["schemas"]["Language"]["enum"] == default
    assert asyncapi()["components"]["schemas"]["Language"]["enum"] == default


def test_documented_error_codes_exist_with_a_documented_status() -> None:
    codes = _domain_errors()
    documented = openapi()["components"]["schemas"]["ErrorCode"]["enum"]
    assert set(documented) <= set(codes), set(documented) - set(codes)
    statuses = {status for _, operation in operations() for status in operation["responses"]}
    assert {code: codes[code] for code in documented if str(codes[code]) not in statuses} == {}
    websocket = asyncapi()["components"]["messages"]["error"]["payload"]["properties"]["code"]["enum"]
    assert set(websocket) <= set(codes), set(websocket) - set(codes)


def test_the_python_client_maps_every_websocket_error_code_to_the_servers_status() -> None:
    """The SDK cannot import the server's errors (it installs alone), so its table is held to them."""
    server = _domain_errors()
    documented = asyncapi()["components"]["messages"]["error"]["payload"]["properties"]["code"]["enum"]
    assert set(documented) <= set(WEBSOCKET_CODE_STATUS), set(documented) - set(WEBSOCKET_CODE_STATUS)
    assert {code: server.get(code) for code in WEBSOCKET_CODE_STATUS} == WEBSOCKET_CODE_STATUS


def _examples(node: Any) -> list[tuple[dict[str, Any], Any]]:
    """(schema, example value) for every media-type example in the OpenAPI document."""
    found: list[tuple[dict[str, Any], Any]] = []
    if isinstance(node, dict):
        if "schema" in node and "examples" in node and isinstance(node["examples"], dict):
            for example in node["examples"].values():
                found.append((node["schema"], resolve(example)["value"]))
        for value in node.values():
            found += _examples(value)
    elif isinstance(node, list):
        for value in node:
            found += _examples(value)
    return found


def test_openapi_examples_conform_to_their_schemas() -> None:
    examples = _examples(openapi()["paths"]) + _examples(openapi()["components"]["responses"])
    assert len(examples) >= 15
    problems = [f"{example}: {problem}" for schema, example in examples for problem in schema_errors(schema, example)]
    assert problems == []


def test_response_validation_rejects_a_drifted_body() -> None:
    """The checker the integration tests rely on does catch drift."""
    session = resolve(openapi()["components"]["examples"]["ActiveSession"])["value"]
    schema = {"$ref": "#/components/schemas/Session"}
    assert schema_errors(schema, session) == []
    assert schema_errors(schema, {**session, "extra": 1}) != []
    assert schema_errors(schema, {**session, "createdAt": "yesterday"}) != []
    assert schema_errors(schema, {k: v for k, v in session.items() if k != "version"}) != []
