"""Fixtures of the unit tests: the HTTP function (``api``) and the WebSocket functions (``ws``) on
an in-process moto, or on the local stack's emulator for tests that race threads (``*_racing``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from babelcast.auth import JwksCache
from babelcast.integration import aws as aws_clients
from babelcast.settings import forget_settings
from moto import mock_aws
from ws_authorizer import handler as authorizer_handler

from tests.support.http_harness import ENVIRONMENT, Api, reset_function_state, tables_and_recorder
from tests.support.ws_authorizer_harness import CLIENT, ISSUER, jwks
from tests.support.ws_harness import ENV, AwsCalls, Ws, provision, ws_harness


@pytest.fixture
def function_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    return dict(ENVIRONMENT)


@pytest.fixture
def api(function_env: dict[str, str]) -> Iterator[Api]:
    with mock_aws():
        yield tables_and_recorder(function_env)
        reset_function_state()


@pytest.fixture
def api_racing(function_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    """The local stack's emulator (requests applied atomically, as DynamoDB does): for tests that
    race threads, which moto in-process does not apply atomically."""
    from babelcast_devstack.emulator import DUMMY_CREDENTIALS, moto_server

    with moto_server() as endpoint:
        for name, value in {
            **DUMMY_CREDENTIALS,
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_DEFAULT_REGION": "us-east-1",
        }.items():
            monkeypatch.setenv(name, value)
        yield tables_and_recorder(function_env)
        reset_function_state()


@pytest.fixture
def ws_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsCalls]:
    """moto in-process: fast, single-threaded use."""
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield provision()
        forget_settings()
        aws_clients.reset_clients()


@pytest.fixture
def ws_emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsCalls]:
    """The local stack's emulator (moto server, requests applied atomically): for tests that
    race many threads, which moto in-process does not survive."""
    from babelcast_devstack.emulator import moto_server

    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    with moto_server() as endpoint:
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        yield provision()
        forget_settings()
        aws_clients.reset_clients()


@pytest.fixture
def ws(ws_aws: AwsCalls, monkeypatch: pytest.MonkeyPatch) -> Iterator[Ws]:
    yield from ws_harness(ws_aws, monkeypatch)


@pytest.fixture
def ws_racing(ws_emulator: AwsCalls, monkeypatch: pytest.MonkeyPatch) -> Iterator[Ws]:
    yield from ws_harness(ws_emulator, monkeypatch)


@pytest.fixture
def fetches(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    for name, value in {
        "ENVIRONMENT": "test",
        "SERVICE_VERSION": "1",
        "JWT_ISSUER": ISSUER,
        "JWT_AUDIENCE": CLIENT,
        "JWKS_URL": f"{ISSUER}/.well-known/jwks.json",
    }.items():
        monkeypatch.setenv(name, value)
    calls: list[str] = []

    def fetch(url: str) -> dict[str, Any]:  # the issuer's JWKS endpoint, without a network
        calls.append(url)
        return jwks()

    monkeypatch.setattr(authorizer_handler, "JwksCache", lambda url: JwksCache(url, fetch=fetch))
    forget_settings()
    authorizer_handler.dependencies.cache_clear()
    yield calls
    authorizer_handler.dependencies.cache_clear()
    forget_settings()
