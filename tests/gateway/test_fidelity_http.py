"""The local HTTP API against the facts in tests/events/facts/ (AWS's documentation and public
recorded events): the payload 2.0 event field by field, JWT claims and scopes, query strings,
cookies, repeated headers, bodies of every content type, paths decoded once, responses (inferred
format, cookies, status, base64), errors, and the body and header limits in API Gateway's words."""

from __future__ import annotations

import base64
import http.client
import json
import socket
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from tests.gateway.harness import HTTP_API_ID, Issuer, RunningGateway
from tests.support.event_facts import is_text_body, load, mismatches


def url(gateway: RunningGateway, path: str) -> str:
    return f"{gateway.endpoints.http_api_url}{path}"


def event_of(response: requests.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    event: dict[str, Any] = response.json()["event"]
    return event


def raw_request(
    gateway: RunningGateway, method: str, path: str, headers: list[tuple[str, str]], body: bytes = b""
) -> tuple[int, dict[str, str], bytes]:
    """One request with headers exactly as given (repeats included), path sent as is."""
    address = urlsplit(str(gateway.endpoints.http_api_url))
    connection = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=30)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        for name, value in headers:
            connection.putheader(name, value)
        if body:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body or None)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def raw_bytes(gateway: RunningGateway, data: bytes) -> tuple[int, dict[str, str], bytes]:
    """Bytes no HTTP client would send (http.client refuses bad header names and values)."""
    address = urlsplit(str(gateway.endpoints.http_api_url))
    with socket.create_connection((address.hostname or "127.0.0.1", address.port or 80), timeout=30) as raw:
        raw.sendall(data)
        response = http.client.HTTPResponse(raw)
        response.begin()
        return response.status, dict(response.getheaders()), response.read()


def test_jwt_route_event_matches_the_facts_field_by_field(gateway: RunningGateway, issuer: Issuer) -> None:
    token = issuer.token(scope="sessions/read sessions/write", token_use="access", aud=None, client_id="client-123")
    status, _, body = raw_request(
        gateway,
        "GET",
        "/private?x=1&x=2&y=a%20b&z=%26&empty=",
        [
            ("Authorization", f"Bearer {token}"),
            ("Cookie", "theme=dark; lang=en"),
            ("Cookie", "seen=1"),
            ("X-Repeated", "one"),
            ("X-Repeated", "two"),
            ("User-Agent", "fidelity/1.0"),
            ("X-Forwarded-For", "198.51.100.7"),
        ],
    )
    assert status == 200, body
    event = json.loads(body)["event"]
    present = {"cookies", "queryStringParameters", "requestContext.authorizer"}
    assert mismatches(event, "http_v2_request", present) == []
    assert event["routeKey"] == "GET /private"
    assert event["rawPath"] == "/private"
    assert event["rawQueryString"] == "x=1&x=2&y=a%20b&z=%26&empty=", "kept percent-encoded, as sent"
    assert event["queryStringParameters"] == {"x": "1,2", "y": "a b", "z": "&", "empty": ""}
    assert event["cookies"] == ["theme=dark", "lang=en", "seen=1"]
    assert event["headers"]["x-repeated"] == "one,two"
    assert event["headers"]["user-agent"] == event["requestContext"]["http"]["userAgent"] == "fidelity/1.0"
    assert event["headers"]["x-forwarded-for"] == "198.51.100.7, 127.0.0.1", "the client's address appended"
    assert event["headers"]["content-length"] == "0"
    context = event["requestContext"]
    assert (context["apiId"], context["stage"], context["http"]["method"]) == (HTTP_API_ID, "$default", "GET")
    assert context["accountId"] == "123456789012"
    assert context["http"]["sourceIp"] == "127.0.0.1"
    claims = context["authorizer"]["jwt"]["claims"]
    assert claims["client_id"] == "client-123" and claims["cognito:groups"] == "[speakers]"
    assert claims["email_verified"] == "true" and claims["exp"].isdigit()
    assert context["authorizer"]["jwt"]["scopes"] == ["sessions/read", "sessions/write"]


def test_id_tokens_have_null_scopes_and_public_routes_no_authorizer(gateway: RunningGateway, issuer: Issuer) -> None:
    private = event_of(requests.get(url(gateway, "/private"), headers={"Authorization": issuer.token()}, timeout=10))
    assert mismatches(private, "http_v2_request", {"requestContext.authorizer"}) == []
    assert private["requestContext"]["authorizer"]["jwt"]["scopes"] is None
    public = event_of(requests.get(url(gateway, "/echo/alice"), timeout=10))
    assert mismatches(public, "http_v2_request", {"pathParameters"}) == []
    assert public["pathParameters"] == {"name": "alice"}
    assert public["rawQueryString"] == ""


CONTENT_TYPES = [
    "text/plain",
    "text/html; charset=utf-8",
    "text/csv",
    "application/json",
    "application/json; charset=utf-8",
    "application/xml",
    "application/javascript",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/octet-stream",
    "application/vnd.api+json",
    "image/png",
    None,
]


@pytest.mark.parametrize("content_type", CONTENT_TYPES, ids=[str(c) for c in CONTENT_TYPES])
def test_bodies_are_text_or_base64_by_content_type(gateway: RunningGateway, content_type: str | None) -> None:
    sent = 'name=café&size=2 {"a": [1]}'.encode()
    headers = [("Content-Type", content_type)] if content_type else []
    status, _, body = raw_request(gateway, "POST", "/echo/bob", headers, sent)
    assert status == 200, body
    event = json.loads(body)["event"]
    assert mismatches(event, "http_v2_request", {"body", "pathParameters"}) == []
    text = is_text_body(content_type)  # the rule from the facts, not from the gateway's code
    assert event["isBase64Encoded"] is (not text)
    assert (event["body"].encode() if text else base64.b64decode(event["body"])) == sent
    assert event["headers"]["content-length"] == str(len(sent))


def test_paths_and_path_parameters_are_decoded_once(gateway: RunningGateway) -> None:
    twice = event_of(requests.get(url(gateway, "/items/a%252Fanalytics"), timeout=10))
    assert twice["routeKey"] == "GET /items/{id}", "%252F is a literal %2F, not a path separator"
    assert twice["pathParameters"] == {"id": "a%2Fanalytics"}
    assert twice["rawPath"] == twice["requestContext"]["http"]["path"] == "/items/a%2Fanalytics"
    percent = event_of(requests.get(url(gateway, "/items/100%25%20sure"), timeout=10))
    assert percent["pathParameters"] == {"id": "100% sure"}
    once = event_of(requests.get(url(gateway, "/items/a%2Fanalytics"), timeout=10))
    assert once["routeKey"] == "GET /items/{id}/analytics", "API Gateway decodes %2F before routing"
    greedy = event_of(requests.get(url(gateway, "/files/a/b%20c.txt"), timeout=10))
    assert greedy["pathParameters"] == {"path": "a/b c.txt"}


def responded(gateway: RunningGateway, result: Any) -> requests.Response:
    return requests.post(url(gateway, "/respond"), json=result, timeout=10)


@pytest.mark.parametrize("rule", load("http_v2_response")["results"], ids=lambda r: r["case"])
def test_responses_follow_format_2_0(gateway: RunningGateway, rule: dict[str, Any]) -> None:
    response = responded(gateway, rule["result"])
    assert response.status_code == rule["status"]
    if "content_type" in rule:
        assert response.headers["Content-Type"] == rule["content_type"]
    if "body" in rule:
        assert response.text == rule["body"]
    if "body_json" in rule:
        assert response.json() == rule["body_json"]
    if "body_base64" in rule:
        assert response.content == base64.b64decode(rule["body_base64"])
    for name, value in rule.get("headers", {}).items():
        assert response.headers[name] == value
    for name in rule.get("absent_headers", []):
        assert name not in response.headers
    if "set_cookie" in rule:
        assert response.raw.headers.getlist("Set-Cookie") == rule["set_cookie"]
    assert response.headers["apigw-requestid"]


def test_errors_are_answered_in_api_gateway_words(gateway: RunningGateway) -> None:
    answers = {e["status"]: e["body_json"] for e in load("http_v2_response")["errors"]}
    boom = requests.get(url(gateway, "/boom"), timeout=10)
    assert (boom.status_code, boom.json()) == (500, answers[500])
    own_timeout = requests.get(url(gateway, "/slow?seconds=5"), timeout=10)  # the function's 1 s timeout
    assert (own_timeout.status_code, own_timeout.json()) == (500, answers[500])
    impatient = requests.get(url(gateway, "/impatient?seconds=0.8"), timeout=10)  # integration: 300 ms
    assert (impatient.status_code, impatient.json()) == (503, answers[503])
    assert impatient.elapsed.total_seconds() < 0.8
    missing = requests.get(url(gateway, "/nowhere"), timeout=10)
    assert (missing.status_code, missing.json()) == (404, answers[404])
    refused = requests.get(url(gateway, "/private"), headers={"Authorization": "Bearer nope"}, timeout=10)
    assert (refused.status_code, refused.json()) == (401, answers[401])


def test_bodies_over_10_mb_get_413_and_events_over_6_mb_are_refused_by_lambda(gateway: RunningGateway) -> None:
    limit = load("limits")["limits"]["http_body_bytes"]["value"]
    text = {"Content-Type": "text/plain"}
    small = requests.post(url(gateway, "/echo/x"), data=b"1" * 3_000_000, headers=text, timeout=60)
    assert len(event_of(small)["body"]) == 3_000_000
    for size in (7_000_000, limit):  # through the gateway, but over Lambda's 6 MB invocation payload
        lambda_limit = requests.post(url(gateway, "/echo/x"), data=b"1" * size, headers=text, timeout=60)
        assert (lambda_limit.status_code, lambda_limit.json()) == (413, {"message": "Request Too Long"})
    for body in (b"1" * (limit + 1), iter([b"1" * limit, b"1"])):  # with a Content-Length, and chunked
        over = requests.post(url(gateway, "/echo/x"), data=body, headers=text, timeout=60)
        assert (over.status_code, over.json()) == (413, {"message": "Request Entity Too Large"})


def test_oversized_headers_are_refused_without_quoting_them(gateway: RunningGateway) -> None:
    limit = load("limits")["limits"]["http_request_head_bytes"]["value"]
    fits = requests.get(url(gateway, "/echo/x"), headers={"X-Big": "a" * (limit - 1000)}, timeout=10)
    assert fits.status_code == 200
    # past the quota, and past aiohttp's own parser limit (64 KB), which used to answer in its words
    for size in (limit, 20_000, 60_000, 100_000):
        secret = "s3cr3t" + "b" * size
        status, headers, body = raw_request(gateway, "GET", "/echo/x", [("X-Big", secret)])
        assert (status, json.loads(body)) == (431, {"message": "Request Header Fields Too Large"})
        assert b"s3cr3t" not in body and headers["Content-Type"].startswith("application/json")
    # the quota counts bytes on the wire: 4 000 euro signs are 12 000 bytes
    euros = "GET /echo/x HTTP/1.1\r\nHost: x\r\nX-Big: " + "\u20ac" * 4000 + "\r\n\r\n"
    status, _, body = raw_bytes(gateway, euros.encode())
    assert (status, json.loads(body)) == (431, {"message": "Request Header Fields Too Large"})


@pytest.mark.parametrize(
    "head",
    [
        b"GET /echo/x HTTP/1.1\r\nHost: x\r\nX Bad: s3cr3t\r\n\r\n",  # a space in a header name
        b"GET /echo/x HTTP/1.1\r\nHost: x\r\nX-Bad: s3cr3t\x01\r\n\r\n",  # a control character
        b"GET /echo/\x1bs3cr3t HTTP/1.1\r\nHost: x\r\n\r\n",  # a raw escape in the path
        b"GET /echo/" + b"s3cr3t" * 12_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",  # a 72 KB request line
        b"GET /echo/x HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: s3cr3t\r\n" % i for i in range(1100)) + b"\r\n",
    ],
    ids=["header name", "control character", "escape in path", "long request line", "1 100 headers"],
)
def test_requests_the_parser_refuses_are_answered_in_api_gateway_words(
    gateway: RunningGateway, head: bytes, log_lines: list[str]
) -> None:
    status, headers, body = raw_bytes(gateway, head)
    assert status in (400, 431) and json.loads(body) == {"message": HTTPStatus(status).phrase}
    assert headers["Content-Type"].startswith("application/json") and b"s3cr3t" not in body
    assert "server" not in {name.lower() for name in headers}
    assert not any("s3cr3t" in line for line in log_lines)


@pytest.mark.parametrize(
    "head",
    [b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", b"CONNECT 127.0.0.1:4566 HTTP/1.1\r\nHost: x\r\n\r\n"],
    ids=["asterisk form", "authority form"],
)
def test_targets_no_route_can_match_are_answered_in_api_gateway_words(gateway: RunningGateway, head: bytes) -> None:
    """No route matches a request target that is not a path: API Gateway's JSON 404, not
    aiohttp's text/plain "404: Not Found"."""
    status, headers, body = raw_bytes(gateway, head)
    assert (status, json.loads(body)) == (404, {"message": "Not Found"})
    assert headers["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(("method", "path"), [("GET", "/echo/x"), ("GET", "/nowhere"), ("POST", "/private")])
def test_no_answer_names_the_server_software(gateway: RunningGateway, method: str, path: str) -> None:
    """API Gateway sends no Server header; aiohttp would name itself and the Python version on a
    route's answer, a 404 and a 401 alike."""
    status, headers, _ = raw_request(gateway, method, path, [])
    assert status in (200, 401, 404) and "server" not in {name.lower() for name in headers}


def test_control_characters_in_paths_cannot_forge_log_lines(gateway: RunningGateway, log_lines: list[str]) -> None:
    forged = "/sessions/%0A[babelcast-local-http-api] FORGED level=error"
    status, _, _ = raw_request(gateway, "GET", forged.replace(" ", "%20"), [])
    assert status == 404
    assert not any(line.lstrip().startswith("[babelcast-local-http-api]") for line in log_lines)
    assert all("\n" not in line and "\r" not in line for line in log_lines)
    assert any("%0A[babelcast-local-http-api]" in line for line in log_lines), "logged, as sent"


def test_a_very_long_path_is_logged_cut(gateway: RunningGateway, log_lines: list[str]) -> None:
    status, _, _ = raw_request(gateway, "GET", "/sessions/" + "z" * 9_000, [])
    assert status in (400, 404, 414, 431)
    [line] = [line for line in log_lines if "zzzz" in line]
    assert len(line) < 500 and "(9010 characters)" in line


def test_the_example_event_of_the_unit_tests_matches_the_facts() -> None:
    example = json.loads((Path(__file__).parents[1] / "events" / "http_api_v2_post_sessions.json").read_text())
    assert mismatches(example, "http_v2_request", {"cookies", "body", "requestContext.authorizer"}) == []
