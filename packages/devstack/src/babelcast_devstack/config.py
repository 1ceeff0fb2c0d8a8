"""What the local gateway serves, read from the applied Terraform state (`terraform show -json`).

Nothing about routes, authorizers or functions is written in the gateway: every API, route,
authorizer, stage and function comes from the resources Terraform created.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from babelcast_devstack.settings_check import ConfigError, check_settings
from babelcast_devstack.terraform_state import first_block, managed_resources

_FUNCTION_ARN = re.compile(r"arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class FunctionConfig:
    name: str
    arn: str
    handler: str
    runtime: str
    timeout_seconds: int
    memory_mb: int
    environment: Mapping[str, str]
    zip_path: Path | None  # deployed from a local zip ...
    s3_bucket: str | None = None  # ... or from an S3 object, as Lambda fetches it
    s3_key: str | None = None
    s3_version: str | None = None


@dataclass(frozen=True)
class Authorizer:
    id: str
    name: str
    type: Literal["JWT", "REQUEST"]
    identity_sources: tuple[str, ...]
    issuer: str | None = None
    audience: tuple[str, ...] = ()
    function_arn: str | None = None


# API Gateway's integration timeouts when Terraform leaves timeout_milliseconds unset (also the maxima)
HTTP_INTEGRATION_TIMEOUT_MS = 30_000
WEBSOCKET_INTEGRATION_TIMEOUT_MS = 29_000


@dataclass(frozen=True)
class Route:
    key: str
    function_arn: str | None
    authorization_type: str
    authorizer_id: str | None
    returns_response: bool = False
    payload_format_version: str = "2.0"
    timeout_ms: int = HTTP_INTEGRATION_TIMEOUT_MS  # the integration's timeout_milliseconds


@dataclass(frozen=True)
class Cors:
    allow_origins: tuple[str, ...]
    allow_methods: tuple[str, ...]
    allow_headers: tuple[str, ...]
    expose_headers: tuple[str, ...]
    max_age: int | None
    allow_credentials: bool


@dataclass(frozen=True)
class Throttle:
    burst_limit: int
    rate_limit: float


@dataclass(frozen=True)
class Api:
    id: str
    name: str
    protocol: Literal["HTTP", "WEBSOCKET"]
    endpoint: str
    stage: str
    route_selection_expression: str
    routes: Mapping[str, Route]
    authorizers: Mapping[str, Authorizer]
    cors: Cors | None = None
    throttle: Throttle | None = None
    stage_variables: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class GatewayConfig:
    region: str
    account_id: str
    apis: tuple[Api, ...]
    functions: Mapping[str, FunctionConfig] = field(default_factory=dict)  # by ARN
    # Terraform settings the gateway reads but does not apply (each names the setting), shown at start-up
    warnings: tuple[str, ...] = ()

    def api(self, protocol: str) -> Api | None:
        return next((api for api in self.apis if api.protocol == protocol), None)


def function_arn_in(uri: str | None) -> str | None:
    """Lambda ARN inside an integration/authorizer URI (an invoke ARN or a bare function ARN)."""
    match = _FUNCTION_ARN.search(uri or "")
    return match.group(0) if match else None


def from_terraform_state(state: Mapping[str, Any], base_dir: Path | None = None) -> GatewayConfig:
    root = (state.get("values") or {}).get("root_module")
    if not root:
        raise ConfigError("the Terraform state is empty: apply the root module first")
    by_type = managed_resources(root)

    functions: dict[str, FunctionConfig] = {}
    for values in by_type.get("aws_lambda_function", []):
        zip_path = Path(values["filename"]) if values.get("filename") else None
        if zip_path is not None and base_dir is not None and not zip_path.is_absolute():
            zip_path = (base_dir / zip_path).resolve()
        variables = (first_block(values.get("environment")) or {}).get("variables") or {}
        functions[values["arn"]] = FunctionConfig(
            name=values["function_name"],
            arn=values["arn"],
            handler=values["handler"],
            runtime=values["runtime"],
            timeout_seconds=int(values.get("timeout") or 3),
            memory_mb=int(values.get("memory_size") or 128),
            environment=dict(variables),
            zip_path=zip_path,
            s3_bucket=values.get("s3_bucket") or None,
            s3_key=values.get("s3_key") or None,
            s3_version=values.get("s3_object_version") or None,
        )

    warnings = check_settings(by_type)
    integrations = {v["id"]: v for v in by_type.get("aws_apigatewayv2_integration", [])}
    route_responses = {v["route_id"] for v in by_type.get("aws_apigatewayv2_route_response", [])}
    stages: dict[str, Mapping[str, Any]] = {}
    for values in by_type.get("aws_apigatewayv2_stage", []):
        stages.setdefault(values["api_id"], values)

    apis = []
    for values in by_type.get("aws_apigatewayv2_api", []):
        api_id = values["id"]
        websocket = values["protocol_type"] == "WEBSOCKET"
        default_timeout = WEBSOCKET_INTEGRATION_TIMEOUT_MS if websocket else HTTP_INTEGRATION_TIMEOUT_MS
        authorizers: dict[str, Authorizer] = {}
        for auth in by_type.get("aws_apigatewayv2_authorizer", []):
            if auth["api_id"] != api_id:
                continue
            jwt = first_block(auth.get("jwt_configuration")) or {}
            authorizers[auth["id"]] = Authorizer(
                id=auth["id"],
                name=auth.get("name") or auth["id"],
                type="JWT" if auth["authorizer_type"] == "JWT" else "REQUEST",
                identity_sources=tuple(auth.get("identity_sources") or ()),
                issuer=jwt.get("issuer"),
                audience=tuple(jwt.get("audience") or ()),
                function_arn=function_arn_in(auth.get("authorizer_uri")),
            )
        routes: dict[str, Route] = {}
        for route_values in by_type.get("aws_apigatewayv2_route", []):
            if route_values["api_id"] != api_id:
                continue
            target = str(route_values.get("target") or "")
            integration = integrations.get(target.removeprefix("integrations/")) if target else None
            routes[route_values["route_key"]] = Route(
                key=route_values["route_key"],
                function_arn=function_arn_in(integration.get("integration_uri")) if integration else None,
                authorization_type=route_values.get("authorization_type") or "NONE",
                authorizer_id=route_values.get("authorizer_id") or None,
                returns_response=route_values["id"] in route_responses,
                payload_format_version=(integration or {}).get("payload_format_version") or "1.0",
                timeout_ms=int((integration or {}).get("timeout_milliseconds") or default_timeout),
            )
        stage = stages.get(api_id) or {}
        settings = first_block(stage.get("default_route_settings")) or {}
        throttle = None
        if settings.get("throttling_burst_limit") or settings.get("throttling_rate_limit"):
            throttle = Throttle(
                int(settings.get("throttling_burst_limit") or 0), float(settings.get("throttling_rate_limit") or 0)
            )
        cors_values = first_block(values.get("cors_configuration"))
        cors = None
        if cors_values:
            cors = Cors(
                allow_origins=tuple(cors_values.get("allow_origins") or ()),
                allow_methods=tuple(m.upper() for m in cors_values.get("allow_methods") or ()),
                allow_headers=tuple(h.lower() for h in cors_values.get("allow_headers") or ()),
                expose_headers=tuple(h.lower() for h in cors_values.get("expose_headers") or ()),
                max_age=cors_values.get("max_age"),
                allow_credentials=bool(cors_values.get("allow_credentials")),
            )
        apis.append(
            Api(
                id=api_id,
                name=values["name"],
                protocol="WEBSOCKET" if websocket else "HTTP",
                endpoint=values.get("api_endpoint") or "",
                stage=stage.get("name") or "$default",
                route_selection_expression=values.get("route_selection_expression") or "",
                routes=routes,
                authorizers=authorizers,
                cors=cors,
                throttle=throttle,
                stage_variables=dict(stage.get("stage_variables") or {}),
            )
        )
    for api in apis:
        for route in api.routes.values():
            if route.function_arn and route.function_arn not in functions:
                raise ConfigError(f"route {route.key} of {api.name} targets a function not in the state")
    region = next(iter(functions.values())).arn.split(":")[3] if functions else "us-east-1"
    account = next(iter(functions.values())).arn.split(":")[4] if functions else "123456789012"
    return GatewayConfig(
        region=region, account_id=account, apis=tuple(apis), functions=functions, warnings=tuple(warnings)
    )
