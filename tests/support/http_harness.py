"""The HTTP function driven through its handler on API Gateway-shaped events, with the AWS calls it
makes counted; its environment and the error-shape assertion (fixtures: tests/unit/conftest.py)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
from babelcast.integration import aws as aws_clients
from babelcast.settings import forget_settings
from http_api import handler

from tests.support.http_events import LambdaContext, http_event
from tests.support.tables import RATE_LIMITS_TABLE, SESSIONS_TABLE

ENVIRONMENT = {
    "SESSIONS_TABLE_NAME": "babelcast-test-sessions",
    "RATE_LIMITS_TABLE_NAME": "babelcast-test-rate-limits",
    "ENVIRONMENT": "test",
    "SERVICE_VERSION": "9.9.9",
    "SUPPORTED_LANGUAGES": "en,es,fr,de,it,pt,ru,ja,ko,zh,ar,hi,nl,pl,tr,sv,da,no,fi",
    "SESSION_TTL_HOURS": "24",
    "CREATE_RATE_LIMIT_PER_MINUTE": "10",
    "METRICS_NAMESPACE": "Babelcast/Test",
    "LOG_LEVEL": "DEBUG",
    "CURSOR_SIGNING_KEYS": "unit-test-cursor-signing-key-0123456789abcdef",
}


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: Any
    raw: dict[str, Any]


@dataclass
class Api:
    """Calls the real handler with API Gateway-shaped events; counts the AWS calls it makes."""

    calls: Counter[str] = field(default_factory=Counter)

    def __call__(self, route_key: str, path: str, **kwargs: Any) -> Response:
        raw = handler.lambda_handler(http_event(route_key, path, **kwargs), LambdaContext())
        text = raw.get("body") or ""
        body = json.loads(text) if text else None
        return Response(raw["statusCode"], raw.get("headers", {}), body, raw)

    def create(self, language: str = "en", tier: str = "standard", **kwargs: Any) -> Response:
        return self("POST /sessions", "/sessions", body={"sourceLanguage": language, "qualityTier": tier}, **kwargs)

    def count_calls(self, action: Callable[[], Response]) -> tuple[Response, Counter[str]]:
        self.calls.clear()
        response = action()
        return response, Counter(self.calls)


def reset_function_state() -> None:
    forget_settings()
    handler.dependencies.cache_clear()
    aws_clients.reset_clients()


def tables_and_recorder(function_env: dict[str, str]) -> Api:
    client = boto3.client("dynamodb", region_name="us-east-1")
    client.create_table(TableName=function_env["SESSIONS_TABLE_NAME"], **SESSIONS_TABLE)
    client.create_table(TableName=function_env["RATE_LIMITS_TABLE_NAME"], **RATE_LIMITS_TABLE)
    reset_function_state()
    recorder = Api()
    shared = aws_clients.dynamodb_client()
    shared.meta.events.register("before-call.dynamodb.*", lambda model, **_: recorder.calls.update([model.name]))
    return recorder


ERROR_FIELDS = {"code", "message", "correlationId", "timestamp"}


def assert_error(response: Response, status: int, code: str) -> dict[str, Any]:
    assert response.status == status, response.body
    body: dict[str, Any] = response.body
    assert set(body) >= ERROR_FIELDS, body
    assert body["code"] == code
    assert body["correlationId"] == response.headers["X-Correlation-Id"]
    text = json.dumps(body)
    for secret in ("Traceback", ENVIRONMENT["SESSIONS_TABLE_NAME"], ENVIRONMENT["RATE_LIMITS_TABLE_NAME"], "eyJ"):
        assert secret not in text
    return body
