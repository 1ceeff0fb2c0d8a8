"""Runs a LocalGateway in a background event loop for blocking tests, from a hand-made config of
fixture functions (tests/gateway/functions), plus a JWKS issuer with keys the tests control."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import zipfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
from babelcast_devstack.config import Api, Authorizer, Cors, FunctionConfig, GatewayConfig, Route
from babelcast_devstack.gateway import Endpoints, LocalGateway
from babelcast_devstack.lambda_runtime import LambdaRuntime
from babelcast_devstack.websocket_api import Limits
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

FUNCTIONS = Path(__file__).parent / "functions"
REGION, ACCOUNT = "us-east-1", "123456789012"
HTTP_API_ID, WS_API_ID = "httpapi001", "wsapi00001"
AUDIENCE = "client-123"


def arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


class Issuer:
    """A token issuer serving its JWKS over HTTP on 127.0.0.1."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        public.update({"kid": "test-key", "alg": "RS256", "use": "sig"})
        jwks = json.dumps({"keys": [public]}).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200 if self.path.endswith("/.well-known/jwks.json") else 404)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(jwks)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/us-east-1_TestPool"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def token(self, **overrides: Any) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": "user-1",
            "iss": self.url,
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + 600,
            "token_use": "id",
            "cognito:groups": ["speakers"],
            "email_verified": True,
        }
        claims.update(overrides)
        for key in [k for k, v in claims.items() if v is None]:
            del claims[key]
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": "test-key"})

    def close(self) -> None:
        self.server.shutdown()


def _zip(name: str, destination: Path) -> Path:
    archive = destination / f"{name}.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in (FUNCTIONS / name).rglob("*.py"):
            zipped.write(path, path.relative_to(FUNCTIONS / name))
    return archive


def build_config(tmp: Path, issuer_url: str, record_dir: Path) -> GatewayConfig:
    environment = {
        "MARKER": "from-terraform",
        "RECORD_DIR": str(record_dir),
        "CONNECTIONS_URL": f"https://{WS_API_ID}.execute-api.{REGION}.amazonaws.com/test",
    }
    functions = {
        arn(name): FunctionConfig(
            name=name,
            arn=arn(name),
            handler="handler.handle",
            runtime="python3.12",
            timeout_seconds=1 if name == "sleeper" else 10,
            memory_mb=256,
            environment=environment,
            zip_path=_zip(name, tmp),
        )
        for name in ("echo", "sleeper", "authorizer", "connect", "disconnect", "ws_echo", "responder")
    }
    http = Api(
        id=HTTP_API_ID,
        name="test-http",
        protocol="HTTP",
        endpoint="",
        stage="$default",
        route_selection_expression="$request.method $request.path",
        routes={
            "GET /echo/{name}": Route("GET /echo/{name}", arn("echo"), "NONE", None),
            "POST /echo/{name}": Route("POST /echo/{name}", arn("echo"), "NONE", None),
            "GET /files/{path+}": Route("GET /files/{path+}", arn("echo"), "NONE", None),
            "GET /boom": Route("GET /boom", arn("echo"), "NONE", None),
            "GET /private": Route("GET /private", arn("echo"), "JWT", "jwt1"),
            "GET /slow": Route("GET /slow", arn("sleeper"), "NONE", None),
            "GET /items/{id}": Route("GET /items/{id}", arn("echo"), "NONE", None),
            "GET /items/{id}/analytics": Route("GET /items/{id}/analytics", arn("echo"), "NONE", None),
            "POST /respond": Route("POST /respond", arn("responder"), "NONE", None),
            # the function may take 1 s; the integration gives up after 300 ms
            "GET /impatient": Route("GET /impatient", arn("sleeper"), "NONE", None, timeout_ms=300),
        },
        authorizers={
            "jwt1": Authorizer(
                "jwt1", "cognito", "JWT", ("$request.header.Authorization",), issuer=issuer_url, audience=(AUDIENCE,)
            )
        },
        cors=Cors(
            allow_origins=("http://localhost:5173",),
            allow_methods=("GET", "POST"),
            allow_headers=("authorization", "content-type"),
            expose_headers=("x-echo",),
            max_age=300,
            allow_credentials=False,
        ),
    )
    websocket = Api(
        id=WS_API_ID,
        name="test-ws",
        protocol="WEBSOCKET",
        endpoint="",
        stage="test",
        route_selection_expression="$request.body.action",
        routes={
            "$connect": Route("$connect", arn("connect"), "CUSTOM", "req1", timeout_ms=3000),
            "$disconnect": Route("$disconnect", arn("disconnect"), "NONE", None),
            "$default": Route("$default", arn("ws_echo"), "NONE", None),
            "echo": Route("echo", arn("ws_echo"), "NONE", None),
            "describe": Route("describe", arn("ws_echo"), "NONE", None),
            "gone": Route("gone", arn("ws_echo"), "NONE", None),
            "hangup": Route("hangup", arn("ws_echo"), "NONE", None),
            "size": Route("size", arn("ws_echo"), "NONE", None),
            "impatient": Route("impatient", arn("sleeper"), "NONE", None, timeout_ms=300),
        },
        authorizers={"req1": Authorizer("req1", "request", "REQUEST", (), function_arn=arn("authorizer"))},
    )
    return GatewayConfig(region=REGION, account_id=ACCOUNT, apis=(http, websocket), functions=functions)


class RunningGateway:
    def __init__(self, gateway: LocalGateway, loop: asyncio.AbstractEventLoop, endpoints: Endpoints) -> None:
        self.gateway, self.loop, self.endpoints = gateway, loop, endpoints

    def call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=60)

    def worker_pids(self) -> list[int]:
        return [pid for function in self.gateway.runtime_functions() for pid in function.worker_pids()]


@contextmanager
def running_gateway(
    config: GatewayConfig,
    tmp: Path,
    limits: Limits | None = None,
    extra: Mapping[str, str] | None = None,
    log: Callable[[str], None] = lambda line: None,
) -> Iterator[RunningGateway]:
    import sys

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    runtime = LambdaRuntime(sys.executable, log_sink=lambda name, line: None)
    gateway = LocalGateway(
        config,
        runtime,
        functions_dir=tmp / "functions",
        emulator_endpoint=None,
        limits=limits,
        extra_environment={
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            **(extra or {}),
        },
        log=log,
    )
    endpoints = asyncio.run_coroutine_threadsafe(gateway.start(), loop).result(timeout=60)
    running = RunningGateway(gateway, loop, endpoints)
    try:
        yield running
    finally:
        asyncio.run_coroutine_threadsafe(gateway.stop(), loop).result(timeout=60)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
