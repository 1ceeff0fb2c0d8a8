"""`make dev` as a browser app meets it: its origin admitted through BABELCAST_CORS_ORIGINS (and
a refusal logged with the way to allow it), its configuration discovered at /config.json, one
readable log line per request, and Cognito ids that follow from the checkout's identity file."""

from __future__ import annotations

import json
import time
import uuid

import pytest
import requests
from babelcast_devstack.identity import IDENTITY_FILE, app_client_id, user_pool_id

from tests.support.stack import EXTRA_ORIGIN, Stack


def _preflight(stack: Stack, origin: str) -> requests.Response:
    return requests.options(
        f"{stack.http}/sessions",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
        timeout=30,
    )


def _log_line(stack: Stack, needle: str, timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    while True:
        found = [line for line in stack.log_path.read_text(errors="replace").splitlines() if needle in line]
        if found or time.monotonic() > deadline:
            assert found, f"no log line with {needle!r}"
            return found[-1]
        time.sleep(0.2)


def test_the_environment_origin_and_dev_servers_are_admitted_others_refused_and_logged(stack: Stack) -> None:
    for origin in (EXTRA_ORIGIN, "http://127.0.0.1:3000", "http://localhost:4200"):
        admitted = _preflight(stack, origin)
        assert admitted.status_code == 204 and admitted.headers["Access-Control-Allow-Origin"] == origin
        assert "authorization" in admitted.headers["Access-Control-Allow-Headers"]
    refused_origin = f"http://localhost:{5000 + uuid.uuid4().int % 900}"
    refused = _preflight(stack, refused_origin)
    assert refused.status_code == 204 and "Access-Control-Allow-Origin" not in refused.headers
    line = _log_line(stack, f"origin {refused_origin} is not allowed")
    assert line == (
        f"[http] CORS preflight refused: origin {refused_origin} is not allowed: "
        "add it to BABELCAST_CORS_ORIGINS (comma-separated) and restart `make dev`"
    )
    assert stack.document["corsOrigins"][-1] == EXTRA_ORIGIN


def test_the_browser_config_is_served_without_secrets(stack: Stack) -> None:
    response = requests.get(stack.document["configUrl"], headers={"Origin": "http://localhost:7777"}, timeout=30)
    assert response.status_code == 200 and response.headers["Access-Control-Allow-Origin"] == "*"
    config = response.json()
    document = stack.document
    assert config == {
        "httpApiUrl": document["httpApiUrl"],
        "websocketUrl": document["websocketUrl"],
        "region": document["region"],
        "userPoolId": document["userPoolId"],
        "userPoolClientId": document["userPoolClientId"],
        "docsUrl": document["docsUrl"],
        "cognitoEndpoint": document["awsEndpointUrl"],
    }
    assert document["speaker"]["password"] not in response.text and "password" not in response.text.lower()
    assert json.loads((stack.log_path.parent / "endpoints.json").read_text())["configUrl"] == document["configUrl"]


def test_one_readable_line_per_request_with_the_correlation_id(stack: Stack) -> None:
    correlation = f"browser-{uuid.uuid4().hex[:12]}"
    assert requests.get(f"{stack.http}/health", headers={"X-Correlation-Id": correlation}, timeout=30).ok
    line = _log_line(stack, correlation)
    method, path, status, elapsed, logged = line.removeprefix("[http] ").split(" ")
    assert (method, path, status, logged) == ("GET", "/health", "200", correlation)
    assert elapsed.endswith("ms") and elapsed[:-2].isdigit()


def test_the_cognito_ids_follow_from_the_checkouts_identity(stack: Stack) -> None:
    """The same identity.json gives the same ids on the next start (tests/devstack/test_identity.py
    restarts the emulator; scripts/measure_dev_start.py restarts `make dev` itself)."""
    if not stack.embedded_emulator:
        pytest.skip("an external emulator makes its own ids")
    identity = json.loads((stack.log_path.parent / IDENTITY_FILE).read_text())
    cognito = stack.client("cognito-idp")
    pool = cognito.describe_user_pool(UserPoolId=stack.document["userPoolId"])["UserPool"]
    assert pool["Id"] == user_pool_id(identity["seed"], stack.region, pool["Name"])
    client = cognito.describe_user_pool_client(UserPoolId=pool["Id"], ClientId=stack.document["userPoolClientId"])
    assert client["UserPoolClient"]["ClientId"] == app_client_id(
        identity["seed"], pool["Id"], client["UserPoolClient"]["ClientName"]
    )
    assert stack.document["speaker"]["password"] == identity["speakerPassword"]
