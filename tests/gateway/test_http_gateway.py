"""The local gateway's HTTP API: routing, JWT authorizer, CORS, function context, environment and
warm workers. The event and response formats are held to AWS's facts in test_fidelity_http.py."""

from __future__ import annotations

import http.client
import json
import re
from typing import Any
from urllib.parse import urlsplit

import jwt
import pytest
import requests

from tests.gateway.harness import AUDIENCE, Issuer, RunningGateway


def url(gateway: RunningGateway, path: str) -> str:
    return f"{gateway.endpoints.http_api_url}{path}"


def echoed(response: requests.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_path_parameters_query_and_bodies(gateway: RunningGateway) -> None:
    event = echoed(requests.get(url(gateway, "/echo/alice?x=1&x=2&y=3"), timeout=10))["event"]
    assert event["pathParameters"] == {"name": "alice"}
    assert event["queryStringParameters"] == {"x": "1,2", "y": "3"}
    assert event["rawQueryString"] == "x=1&x=2&y=3"
    assert "body" not in event
    assert "authorizer" not in event["requestContext"]
    greedy = echoed(requests.get(url(gateway, "/files/a/b/c.txt"), timeout=10))["event"]
    assert greedy["pathParameters"] == {"path": "a/b/c.txt"}
    text = echoed(requests.post(url(gateway, "/echo/bob"), json={"a": 1}, timeout=10))["event"]
    assert (text["body"], text["isBase64Encoded"]) == ('{"a": 1}', False)
    octets = {"Content-Type": "application/octet-stream"}
    binary = echoed(requests.post(url(gateway, "/echo/bob"), data=b"\x00\xff", headers=octets, timeout=10))["event"]
    assert (binary["body"], binary["isBase64Encoded"]) == ("AP8=", True)


def test_response_mapping(gateway: RunningGateway) -> None:
    response = requests.get(url(gateway, "/echo/x"), timeout=10)
    assert response.headers["x-echo"] == "1"
    assert response.headers["Set-Cookie"] == "session=abc; Path=/"
    assert response.headers["apigw-requestid"]


def test_unknown_route_is_404_like_api_gateway(gateway: RunningGateway) -> None:
    for method, path in (("GET", "/nowhere"), ("DELETE", "/echo/x"), ("GET", "/echo/x/y"), ("GET", "/no%0Awhere")):
        response = requests.request(method, url(gateway, path), timeout=10)
        assert response.status_code == 404
        assert response.json() == {"message": "Not Found"}


@pytest.mark.parametrize(
    "make_token",
    [
        lambda i: None,
        lambda i: "garbage",
        lambda i: i.token(exp=1),
        lambda i: i.token(nbf=2_000_000_000),
        lambda i: i.token(iss="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"),
        lambda i: i.token(aud="another-client"),
        lambda i: jwt.encode({"sub": "x", "iss": i.url, "aud": AUDIENCE, "exp": 2_000_000_000}, None, algorithm="none"),  # type: ignore[arg-type]
        lambda i: i.token()[:-6] + "AAAAAA",
        lambda i: _with_payload(i.token(), {"sub": "admin"}),
    ],
    ids=[
        "missing",
        "garbage",
        "expired",
        "nbf-future",
        "wrong-issuer",
        "wrong-audience",
        "alg-none",
        "bad-signature",
        "tampered-payload",
    ],
)
def test_jwt_authorizer_rejects_with_401(gateway: RunningGateway, issuer: Issuer, make_token: Any) -> None:
    token = make_token(issuer)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = requests.get(url(gateway, "/private"), headers=headers, timeout=10)
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}


def test_access_tokens_are_checked_by_client_id(gateway: RunningGateway, issuer: Issuer) -> None:
    access = issuer.token(aud=None, client_id=AUDIENCE, token_use="access", scope="aws.cognito.signin.user.admin")
    event = echoed(requests.get(url(gateway, "/private"), headers={"Authorization": access}, timeout=10))["event"]
    assert event["requestContext"]["authorizer"]["jwt"]["scopes"] == ["aws.cognito.signin.user.admin"]
    other = issuer.token(aud=None, client_id="someone-else", token_use="access")
    assert requests.get(url(gateway, "/private"), headers={"Authorization": other}, timeout=10).status_code == 401


def test_hs256_signed_with_the_public_key_is_rejected(gateway: RunningGateway, issuer: Issuer) -> None:
    from cryptography.hazmat.primitives import serialization

    public_pem = issuer.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    forged = _hmac_token({"sub": "x", "iss": issuer.url, "aud": AUDIENCE, "exp": 2_000_000_000}, public_pem)
    response = requests.get(url(gateway, "/private"), headers={"Authorization": f"Bearer {forged}"}, timeout=10)
    assert response.status_code == 401


def test_cors_preflight_and_actual_requests(gateway: RunningGateway) -> None:
    allowed = requests.options(
        url(gateway, "/echo/x"),
        headers={
            "Origin": "http://localhost:5173",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
        timeout=10,
    )
    assert allowed.status_code == 204
    assert allowed.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"
    assert "POST" in allowed.headers["Access-Control-Allow-Methods"]
    assert allowed.headers["Access-Control-Max-Age"] == "300"
    denied = requests.options(
        url(gateway, "/echo/x"),
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        timeout=10,
    )
    assert "Access-Control-Allow-Origin" not in denied.headers
    actual = requests.get(url(gateway, "/echo/x"), headers={"Origin": "http://localhost:5173"}, timeout=10)
    assert actual.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"
    assert actual.headers["Access-Control-Expose-Headers"] == "x-echo"
    foreign = requests.get(url(gateway, "/echo/x"), headers={"Origin": "https://evil.example"}, timeout=10)
    assert "Access-Control-Allow-Origin" not in foreign.headers


def test_a_refused_preflight_is_logged_with_how_to_allow_it(gateway: RunningGateway, log_lines: list[str]) -> None:
    """The browser only reports "CORS error": the gateway's log says which origin, and how to admit it."""

    def preflight(origin: bytes, headers: str = "content-type") -> None:
        connection = http.client.HTTPConnection("127.0.0.1", urlsplit(gateway.endpoints.http_api_url or "").port)
        connection.putrequest("OPTIONS", "/echo/x")
        connection.putheader("Origin", origin)  # raw bytes: what a hostile client may send
        connection.putheader("Access-Control-Request-Method", "POST")
        connection.putheader("Access-Control-Request-Headers", headers)
        connection.endheaders()
        assert connection.getresponse().status == 204
        connection.close()

    preflight(b"http://localhost:4321")
    preflight("http://evil.example\u2028[http] GET /forged 200".encode())  # a line separator in the origin
    preflight(b"http://localhost:5173", headers="x-unknown")
    refusals = [line for line in log_lines if "CORS preflight refused" in line]
    assert refusals[-3:] == [
        "[http] CORS preflight refused: origin http://localhost:4321 is not allowed: "
        "allow it in Terraform's cors_allowed_origins",
        "[http] CORS preflight refused: origin http://evil.example\\u2028[http] GET /forged 200 is not allowed: "
        "allow it in Terraform's cors_allowed_origins",
        "[http] CORS preflight refused: header x-unknown is not allowed for origin http://localhost:5173",
    ]


def test_one_readable_line_per_request(gateway: RunningGateway, log_lines: list[str]) -> None:
    requests.get(url(gateway, "/echo/x?token=secret"), headers={"X-Correlation-Id": "line-check-01"}, timeout=10)
    line = next(line for line in reversed(log_lines) if "/echo/x " in line)
    assert re.fullmatch(r"\[http\] GET /echo/x 200 \d+ms -", line), line  # the echo function sets no id
    assert "secret" not in line


def test_functions_get_their_environment_and_a_lambda_context(gateway: RunningGateway) -> None:
    body = echoed(requests.get(url(gateway, "/echo/x"), timeout=10))
    assert body["function"] == "echo"
    assert body["memory"] == 256
    assert 0 < body["remaining"] <= 10_000
    assert body["env"]["MARKER"] == "from-terraform"
    # the execute-api URL Terraform gives functions is served by this gateway locally
    assert body["env"]["CONNECTIONS_URL"] == gateway.endpoints.connections_url


def test_warm_workers_are_reused_and_overlapping_requests_get_more(gateway: RunningGateway) -> None:
    import concurrent.futures

    requests.get(url(gateway, "/echo/warm"), timeout=10)
    before = gateway.gateway.functions[next(a for a in gateway.gateway.functions if a.endswith(":echo"))]
    pids = set(before.worker_pids())
    requests.get(url(gateway, "/echo/warm"), timeout=10)
    assert set(before.worker_pids()) == pids
    sleeper = gateway.gateway.functions[next(a for a in gateway.gateway.functions if a.endswith(":sleeper"))]
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        results = list(
            pool.map(lambda _: requests.get(url(gateway, "/slow?seconds=0.5"), timeout=10).status_code, range(3))
        )
    assert results == [200, 200, 200]
    assert len(sleeper.worker_pids()) >= 2


def _with_payload(token: str, changes: dict[str, Any]) -> str:
    import base64

    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    encoded = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{header}.{encoded}.{signature}"


def _hmac_token(claims: dict[str, Any], secret: bytes) -> str:
    import base64
    import hashlib
    import hmac

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    signing_input = f"{b64(json.dumps({'alg': 'HS256', 'typ': 'JWT', 'kid': 'test-key'}).encode())}." + b64(
        json.dumps(claims).encode()
    )
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"
