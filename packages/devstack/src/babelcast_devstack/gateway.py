"""The local API Gateway: serves the HTTP and WebSocket APIs of a GatewayConfig on 127.0.0.1,
running each function from its deployment zip in Lambda-like worker processes."""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from babelcast_devstack.config import Authorizer, FunctionConfig, GatewayConfig
from babelcast_devstack.emulator import emulator_client
from babelcast_devstack.http_api import PARSER_LIMITS, HttpApiServer
from babelcast_devstack.invocation import InvocationFailed, printable
from babelcast_devstack.jwt_authorizer import JwtAuthorizer, emulator_jwks_url
from babelcast_devstack.lambda_api import LambdaApi
from babelcast_devstack.lambda_runtime import FunctionSpec, InvocationError, LambdaFunction, LambdaRuntime
from babelcast_devstack.serving import listen
from babelcast_devstack.triggers import TriggerRunner, Triggers
from babelcast_devstack.websocket_api import Limits, WebSocketApiServer


@dataclass(frozen=True)
class Endpoints:
    http_api_url: str | None
    websocket_url: str | None
    connections_url: str | None
    lambda_url: str | None = None  # the Lambda Invoke API (lambda_api.py)


class FunctionInvoker:
    """Resolves function ARNs to warm worker pools."""

    def __init__(self, functions: Mapping[str, LambdaFunction]) -> None:
        self.functions = functions

    async def invoke(self, function_arn: str, event: Mapping[str, Any]) -> Any:
        function = self.functions.get(function_arn)
        if function is None:
            raise InvocationFailed("crashed", "ResourceNotFoundException", "function not deployed")
        try:
            return await function.invoke(event)
        except InvocationError as error:
            raise InvocationFailed(error.kind, error.error_type, error.error_message) from None


def localize_environment(
    environment: Mapping[str, str], config: GatewayConfig, emulator_endpoint: str | None, websocket_base: str | None
) -> dict[str, str]:
    """Point AWS hostnames that only exist on AWS at their local stand-ins, as DNS would:
    ``https://<api>.execute-api.<region>.amazonaws.com/<stage>`` (the @connections endpoint) to
    this gateway, and Cognito JWKS URLs to the emulator. Values that merely name things (issuers,
    tables) are left as Terraform set them."""
    localized: dict[str, str] = {}
    websocket = config.api("WEBSOCKET")
    for name, original in environment.items():
        value = original
        if websocket and websocket_base:
            value = re.sub(
                rf"^(https|wss)://{re.escape(websocket.id)}\.execute-api\.[a-z0-9-]+\.amazonaws\.com",
                websocket_base,
                value,
            )
        if emulator_endpoint and value.endswith("/.well-known/jwks.json"):
            value = emulator_jwks_url(value.removesuffix("/.well-known/jwks.json"), emulator_endpoint)
        localized[name] = value
    return localized


class LocalGateway:
    def __init__(
        self,
        config: GatewayConfig,
        runtime: LambdaRuntime,
        *,
        functions_dir: Path,
        emulator_endpoint: str | None,
        host: str = "127.0.0.1",
        http_port: int = 0,
        websocket_port: int = 0,
        limits: Limits | None = None,
        extra_environment: Mapping[str, str] | None = None,
        log: Callable[[str], None] = print,
        triggers: Triggers | None = None,
        schedule_interval_override: float | None = None,
        cors_hint: str | None = None,
    ) -> None:
        self.config = config
        self.runtime = runtime
        self.functions_dir = functions_dir
        self.emulator_endpoint = emulator_endpoint
        self.host = host
        self.http_port = http_port
        self.websocket_port = websocket_port
        self.limits = limits
        self.extra_environment = dict(extra_environment or {})
        # one line per call, whatever a client put in a path or a close reason (no forged lines)
        self.log: Callable[[str], None] = lambda line: log(printable(line))
        self._runners: list[web.AppRunner] = []
        self.endpoints = Endpoints(None, None, None)
        self.websocket_server: WebSocketApiServer | None = None
        self.functions: dict[str, LambdaFunction] = {}
        self.triggers = triggers
        self.schedule_interval_override = schedule_interval_override
        self.trigger_runner: TriggerRunner | None = None
        self.cors_hint = cors_hint  # how a refused browser origin is allowed (make dev: an env var)
        self.lambda_api = LambdaApi(lambda: self.functions, log=lambda line: self.log(f"[lambda] {line}"))

    def runtime_functions(self) -> list[LambdaFunction]:
        return list(self.functions.values())

    def _unpack(self, function: FunctionConfig) -> Path:
        target = self.functions_dir / function.name
        marker = self.functions_dir / f"{function.name}.sha256"  # the zip the directory was unpacked from
        digest = hashlib.sha256(function.zip_path.read_bytes()).hexdigest() if function.zip_path else None
        if digest is not None and target.is_dir() and marker.is_file() and marker.read_text() == digest:
            return target  # a restart with the same zip: seconds saved
        marker.unlink(missing_ok=True)
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        if function.zip_path is not None:
            source: Path | io.BytesIO = function.zip_path
        elif function.s3_bucket and function.s3_key:
            # the code Terraform uploaded, fetched from the emulator's S3 as Lambda would
            s3 = emulator_client(self.emulator_endpoint, self.config.region, "s3")
            extra = {"VersionId": function.s3_version} if function.s3_version else {}
            source = io.BytesIO(s3.get_object(Bucket=function.s3_bucket, Key=function.s3_key, **extra)["Body"].read())
        else:
            raise RuntimeError(f"{function.name}: no deployment package in the Terraform state")
        with zipfile.ZipFile(source) as archive:
            archive.extractall(target)
        if digest is not None:
            marker.write_text(digest)
        return target

    async def _listen(self, app: web.Application, port: int) -> int:
        # a deep accept queue: a burst of hundreds of connections must queue, not have SYNs dropped
        runner, bound = await listen(app, self.host, port, backlog=1024, **PARSER_LIMITS)
        self._runners.append(runner)
        return bound

    async def start(self) -> Endpoints:
        for warning in self.config.warnings:
            self.log(f"[gateway] not applied: {warning}")
        websocket_api = self.config.api("WEBSOCKET")
        http_api = self.config.api("HTTP")
        # Bind the WebSocket port first: functions need its URL in their environment.
        websocket_base = None
        if websocket_api is not None:
            self.websocket_server = WebSocketApiServer(
                websocket_api,
                FunctionInvoker({}),
                region=self.config.region,
                account_id=self.config.account_id,
                limits=self.limits,
                log=lambda line: self.log(f"[websocket] {line}"),
            )
            self.websocket_port = await self._listen(self.websocket_server.application(), self.websocket_port)
            websocket_base = f"http://{self.host}:{self.websocket_port}"
        # Functions invoke functions (the broadcast its shards) through the Lambda API served here.
        lambda_url = f"http://{self.host}:{await self._listen(self.lambda_api.application(), 0)}"
        functions: dict[str, LambdaFunction] = {}
        for arn, function in self.config.functions.items():
            environment = localize_environment(
                {**function.environment, **self.extra_environment}, self.config, self.emulator_endpoint, websocket_base
            )
            environment["AWS_ENDPOINT_URL_LAMBDA"] = lambda_url
            functions[arn] = self.runtime.register(
                FunctionSpec(
                    name=function.name,
                    handler=function.handler,
                    code_dir=self._unpack(function),
                    timeout_seconds=float(function.timeout_seconds),
                    memory_mb=function.memory_mb,
                    environment=environment,
                    arn=function.arn,
                )
            )
        self.functions = functions
        invoker = FunctionInvoker(functions)
        if self.triggers is not None:
            # Before either API can invoke a function: LATEST shard iterators must predate its writes.
            self.trigger_runner = TriggerRunner(
                *self.triggers,
                invoker,
                self.emulator_endpoint,
                self.config.region,
                schedule_interval_override=self.schedule_interval_override,
                log=lambda line: self.log(f"[triggers] {line}"),
            )
            await self.trigger_runner.start()
        if self.websocket_server is not None:
            self.websocket_server.invoker = invoker
        http_url = None
        if http_api is not None:
            server = HttpApiServer(
                http_api,
                invoker,
                self._jwt_authorizer,
                log=lambda line: self.log(f"[http] {line}"),
                account_id=self.config.account_id,
                cors_hint=self.cors_hint,
            )
            self.http_port = await self._listen(server.application(), self.http_port)
            stage = "" if http_api.stage == "$default" else f"/{http_api.stage}"
            http_url = f"http://{self.host}:{self.http_port}{stage}"
        websocket_url = connections_url = None
        if websocket_api is not None:
            websocket_url = f"ws://{self.host}:{self.websocket_port}/{websocket_api.stage}"
            connections_url = f"http://{self.host}:{self.websocket_port}/{websocket_api.stage}"
        self.endpoints = Endpoints(http_url, websocket_url, connections_url, lambda_url)
        return self.endpoints

    def _jwt_authorizer(self, authorizer: Authorizer) -> JwtAuthorizer:
        issuer = authorizer.issuer or ""
        return JwtAuthorizer(issuer, authorizer.audience, emulator_jwks_url(issuer, self.emulator_endpoint))

    async def stop(self) -> None:
        if self.trigger_runner is not None:
            await self.trigger_runner.stop()
            self.trigger_runner = None
        for runner in reversed(self._runners):
            await runner.cleanup()
        self._runners.clear()
        await self.runtime.close()
        await self.lambda_api.stop()
