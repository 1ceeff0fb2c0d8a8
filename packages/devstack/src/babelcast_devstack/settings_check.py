"""Which API Gateway settings in the Terraform state the local gateway applies, and the loud
answer for the rest: a setting that changes what a client or a function sees is refused at
start-up (ConfigError naming it); one that only concerns AWS-side observability is named in a
warning. Nothing is ignored silently (docs/local-stack-fidelity.md lists what is emulated)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class ConfigError(ValueError):
    """The Terraform state describes something the gateway cannot serve as AWS would."""


Resources = Mapping[str, Sequence[Mapping[str, Any]]]

# integration settings that reshape requests or responses: none is emulated
_INTEGRATION_MAPPINGS = (
    "request_parameters",
    "request_templates",
    "response_parameters",
    "template_selection_expression",
    "content_handling_strategy",
    "integration_subtype",
)
_ROUTE_EXTRAS = ("authorization_scopes", "request_models", "request_parameter", "model_selection_expression")
_AUTHORIZATION = {"HTTP": ("NONE", "JWT"), "WEBSOCKET": ("NONE", "CUSTOM")}


def check_settings(resources: Resources) -> list[str]:
    """Raise ConfigError for any setting that would make the local gateway behave unlike AWS;
    return warnings for settings that are read but have no local effect."""
    protocols = {api["id"]: api.get("protocol_type") or "HTTP" for api in resources.get("aws_apigatewayv2_api", [])}
    names = {api["id"]: api.get("name") or api["id"] for api in resources.get("aws_apigatewayv2_api", [])}
    warnings: list[str] = []
    for api in resources.get("aws_apigatewayv2_api", []):
        if api.get("disable_execute_api_endpoint"):
            warnings.append(f"{api.get('name')}: disable_execute_api_endpoint is not emulated (served locally anyway)")
    for integration in resources.get("aws_apigatewayv2_integration", []):
        _check_integration(integration, protocols.get(integration["api_id"], "HTTP"), names)
    for route in resources.get("aws_apigatewayv2_route", []):
        _check_route(route, protocols.get(route["api_id"], "HTTP"), names)
    for authorizer in resources.get("aws_apigatewayv2_authorizer", []):
        _check_authorizer(authorizer, protocols.get(authorizer["api_id"], "HTTP"), names)
    for stage in resources.get("aws_apigatewayv2_stage", []):
        warnings += _check_stage(stage, names)
    for kind in ("aws_apigatewayv2_domain_name", "aws_apigatewayv2_api_mapping", "aws_apigatewayv2_vpc_link"):
        if resources.get(kind):
            warnings.append(f"{kind} is not emulated: clients use the local URLs")
    return warnings + _check_functions(resources.get("aws_lambda_function", []))


def _check_functions(functions: Sequence[Mapping[str, Any]]) -> list[str]:
    """Lambda settings the local runtime does not apply (docs/local-stack-fidelity.md, Lambda)."""
    warnings = []
    for function in functions:
        name = function.get("function_name")
        if function.get("layers"):
            raise ConfigError(f"function {name}: layers are not emulated (the deployment zip must hold all its code)")
        reserved = function.get("reserved_concurrent_executions")
        if isinstance(reserved, int) and reserved >= 0:
            warnings.append(
                f"function {name}: reserved_concurrent_executions {reserved} is not emulated "
                "(up to 10 workers per function locally)"
            )
        for setting in ("vpc_config", "dead_letter_config", "file_system_config"):
            if function.get(setting):
                warnings.append(f"function {name}: {setting} has no local effect")
    traced = [f.get("function_name") for f in functions if (f.get("tracing_config") or [{}])[0].get("mode") == "Active"]
    if traced:
        warnings.append(f"tracing_config Active ({len(traced)} functions): X-Ray tracing is not emulated")
    return warnings


def _where(values: Mapping[str, Any], names: Mapping[str, str]) -> str:
    return str(names.get(values.get("api_id", ""), values.get("api_id", "?")))


def _check_integration(integration: Mapping[str, Any], protocol: str, names: Mapping[str, str]) -> None:
    where = f"{_where(integration, names)}: integration {integration.get('description') or integration['id']}"
    kind = integration.get("integration_type")
    if kind != "AWS_PROXY":
        raise ConfigError(f"{where}: integration_type {kind} is not emulated (only AWS_PROXY Lambda integrations)")
    version = integration.get("payload_format_version") or ""
    if protocol == "HTTP" and version != "2.0":
        raise ConfigError(
            f'{where}: payload_format_version "{version}" is not emulated; the local gateway builds '
            'payload format 2.0 events only (set payload_format_version = "2.0")'
        )
    if protocol == "WEBSOCKET" and version not in ("", "1.0"):
        raise ConfigError(f'{where}: payload_format_version "{version}": WebSocket APIs have format 1.0 only')
    for setting in _INTEGRATION_MAPPINGS:
        if integration.get(setting):
            raise ConfigError(f"{where}: {setting} is not emulated (the local gateway passes requests through as is)")


def _check_route(route: Mapping[str, Any], protocol: str, names: Mapping[str, str]) -> None:
    where = f"{_where(route, names)}: route {route.get('route_key')}"
    authorization = route.get("authorization_type") or "NONE"
    if authorization not in _AUTHORIZATION[protocol]:
        raise ConfigError(
            f"{where}: authorization_type {authorization} is not emulated on {protocol} APIs "
            f"(emulated: {', '.join(_AUTHORIZATION[protocol])})"
        )
    if protocol == "WEBSOCKET" and authorization == "CUSTOM" and route.get("route_key") != "$connect":
        raise ConfigError(f"{where}: a WebSocket authorizer runs on $connect only")
    if route.get("api_key_required"):
        raise ConfigError(f"{where}: api_key_required is not emulated (no API keys or usage plans locally)")
    for setting in _ROUTE_EXTRAS:
        if route.get(setting):
            raise ConfigError(f"{where}: {setting} is not emulated")


def _check_authorizer(authorizer: Mapping[str, Any], protocol: str, names: Mapping[str, str]) -> None:
    where = f"{_where(authorizer, names)}: authorizer {authorizer.get('name')}"
    kind = authorizer.get("authorizer_type")
    if protocol == "HTTP" and kind != "JWT":
        raise ConfigError(f"{where}: {kind} authorizers are not emulated on HTTP APIs (JWT only)")
    sources = authorizer.get("identity_sources") or []
    if protocol == "HTTP" and len(sources) > 1:
        raise ConfigError(f"{where}: more than one identity source is not emulated")
    if authorizer.get("authorizer_result_ttl_in_seconds"):
        raise ConfigError(f"{where}: authorizer_result_ttl_in_seconds (result caching) is not emulated")


def _check_stage(stage: Mapping[str, Any], names: Mapping[str, str]) -> list[str]:
    where = f"{_where(stage, names)}: stage {stage.get('name')}"
    if stage.get("route_settings"):
        raise ConfigError(
            f"{where}: route_settings (per-route throttling) is not emulated; default_route_settings throttling is"
        )
    warnings = []
    if stage.get("access_log_settings"):
        warnings.append(f"{where}: access_log_settings is not written (the gateway prints one line per request)")
    settings = (stage.get("default_route_settings") or [{}])[0] or {}
    for setting in ("logging_level", "data_trace_enabled", "detailed_metrics_enabled"):
        if settings.get(setting):
            warnings.append(f"{where}: default_route_settings.{setting} is not emulated (no execution logs or metrics)")
    if stage.get("client_certificate_id"):
        warnings.append(f"{where}: client_certificate_id is not emulated")
    return warnings
