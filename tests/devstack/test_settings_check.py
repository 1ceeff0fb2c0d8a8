"""Terraform settings the local gateway cannot apply are refused at start-up, naming the setting;
those without local effect are named in a warning; the ones it applies reach its configuration."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from babelcast_devstack.config import from_terraform_state
from babelcast_devstack.settings_check import ConfigError

FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:fn"
LAMBDA_AUTHORIZER = {"id": "a1", "api_id": "api1", "name": "lambda", "authorizer_type": "REQUEST"}


def state(**overrides: dict[str, Any]) -> dict[str, Any]:
    """A minimal applied state: one HTTP API, one route, its Lambda integration and stage."""
    values: dict[str, dict[str, Any]] = {
        "aws_lambda_function": {
            "arn": FUNCTION,
            "function_name": "fn",
            "handler": "h.handle",
            "runtime": "python3.12",
            "filename": "fn.zip",
        },
        "aws_apigatewayv2_api": {"id": "api1", "name": "http", "protocol_type": "HTTP"},
        "aws_apigatewayv2_integration": {
            "id": "int1",
            "api_id": "api1",
            "integration_type": "AWS_PROXY",
            "integration_uri": FUNCTION,
            "payload_format_version": "2.0",
            "timeout_milliseconds": 1234,
        },
        "aws_apigatewayv2_route": {
            "id": "r1",
            "api_id": "api1",
            "route_key": "GET /x",
            "target": "integrations/int1",
            "authorization_type": "NONE",
        },
        "aws_apigatewayv2_stage": {"api_id": "api1", "name": "$default", "stage_variables": {"color": "blue"}},
    }
    for kind, changes in overrides.items():
        values[kind] = {**copy.deepcopy(values.get(kind, {})), **changes}
    resources = [{"mode": "managed", "type": kind, "values": v} for kind, v in values.items()]
    return {"values": {"root_module": {"resources": resources}}}


def test_applied_settings_reach_the_configuration() -> None:
    config = from_terraform_state(state())
    api = config.apis[0]
    assert api.routes["GET /x"].timeout_ms == 1234, "the integration's timeout_milliseconds"
    assert api.stage_variables == {"color": "blue"}
    assert config.warnings == ()


@pytest.mark.parametrize(
    ("kind", "change", "named"),
    [
        ("aws_apigatewayv2_integration", {"payload_format_version": "1.0"}, "payload_format_version"),
        ("aws_apigatewayv2_integration", {"integration_type": "HTTP_PROXY"}, "integration_type"),
        ("aws_apigatewayv2_integration", {"request_parameters": {"overwrite:path": "/y"}}, "request_parameters"),
        ("aws_apigatewayv2_route", {"authorization_type": "AWS_IAM"}, "authorization_type"),
        ("aws_apigatewayv2_route", {"authorization_scopes": ["admin"]}, "authorization_scopes"),
        ("aws_apigatewayv2_route", {"api_key_required": True}, "api_key_required"),
        ("aws_apigatewayv2_stage", {"route_settings": [{"route_key": "GET /x"}]}, "route_settings"),
        ("aws_apigatewayv2_authorizer", LAMBDA_AUTHORIZER, "REQUEST authorizers"),
        ("aws_lambda_function", {"layers": ["arn:aws:lambda:us-east-1:123456789012:layer:x:1"]}, "layers"),
    ],
)
def test_settings_not_emulated_are_refused_by_name(kind: str, change: dict[str, Any], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        from_terraform_state(state(**{kind: change}))


def test_settings_without_local_effect_are_named_in_warnings() -> None:
    config = from_terraform_state(
        state(
            aws_apigatewayv2_stage={
                "access_log_settings": [{"destination_arn": "arn", "format": "{}"}],
                "default_route_settings": [
                    {"logging_level": "INFO", "throttling_burst_limit": 10, "throttling_rate_limit": 5}
                ],
            },
            aws_lambda_function={"reserved_concurrent_executions": 5, "tracing_config": [{"mode": "Active"}]},
        )
    )
    for setting in ("access_log_settings", "logging_level", "reserved_concurrent_executions", "tracing_config"):
        assert any(setting in warning for warning in config.warnings), setting
    assert config.apis[0].throttle is not None, "throttling is applied, not warned about"
