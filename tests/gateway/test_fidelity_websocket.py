"""The local WebSocket API against the facts in tests/events/facts/ (AWS's documentation and public
recorded events): $connect, message and $disconnect events and the REQUEST authorizer's input
field by field, the authorizer's output rules, and every limit (frame, message, idle, lifetime,
integration timeout, throttling), deep JSON included."""

from __future__ import annotations

import contextlib
import itertools
import json
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import requests
from babelcast_devstack.config import Throttle
from babelcast_devstack.websocket_api import Limits
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.frames import Frame, Opcode
from websockets.sync.client import ClientConnection, connect

from tests.gateway.harness import WS_API_ID, Issuer, RunningGateway, build_config, running_gateway
from tests.support.event_facts import load, mismatches

LIMITS = {name: fact["value"] for name, fact in load("limits")["limits"].items()}


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ws-records")


@pytest.fixture(scope="module")
def log_lines() -> list[str]:
    return []


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory, records: Path, log_lines: list[str]) -> Iterator[RunningGateway]:
    issuer = Issuer()
    tmp = tmp_path_factory.mktemp("fidelity-ws")
    try:
        with running_gateway(build_config(tmp, issuer.url, records), tmp, log=log_lines.append) as running:
            yield running
    finally:
        issuer.close()


def open_socket(gateway: RunningGateway, query: str = "", **options: Any) -> ClientConnection:
    target = f"{gateway.endpoints.websocket_url}{'?' + query if query else ''}"
    socket: ClientConnection = connect(target, open_timeout=15, max_size=2**21, compression=None, **options)
    return socket


def reply(socket: ClientConnection) -> dict[str, Any]:
    answer: dict[str, Any] = json.loads(socket.recv(timeout=15))
    return answer


def recorded(records: Path, kind: str, cid: str) -> dict[str, Any]:
    deadline = time.monotonic() + 15
    path = records / f"{kind}-{cid.replace('/', '_')}.json"
    while time.monotonic() < deadline:
        if path.exists():
            event: dict[str, Any] = json.loads(path.read_text())
            return event
        time.sleep(0.05)
    raise AssertionError(f"no {path.name}")


def echo(socket: ClientConnection) -> dict[str, Any]:
    socket.send(json.dumps({"action": "echo"}))
    event: dict[str, Any] = reply(socket)["event"]
    return event


def closed_with(socket: ClientConnection) -> int | None:
    with pytest.raises(ConnectionClosed):
        while True:
            socket.recv(timeout=10)
    return socket.close_code


def test_connect_message_and_disconnect_events_match_the_facts(gateway: RunningGateway, records: Path) -> None:
    headers = {
        "User-Agent": "fidelity/1.0",
        "Origin": "http://localhost:5173",
        "Cookie": "theme=dark",
        "X-Forwarded-For": "198.51.100.7",
    }
    with open_socket(
        gateway,
        "sessionId=holy-grace-123&lang=es&lang=fr&ctx=typed",
        additional_headers=headers,
        user_agent_header=None,
    ) as socket:
        message = echo(socket)
        cid = message["requestContext"]["connectionId"]
        socket.close(code=1000, reason="bye")
    authorizer_input = recorded(records, "authorizer", cid)
    connect_event = recorded(records, "connect", cid)
    disconnect_event = recorded(records, "disconnect", cid)

    identity = {"requestContext.identity.userAgent"}
    with_authorizer = {"requestContext.authorizer", *identity}
    assert mismatches(authorizer_input, "websocket_authorizer_request", identity) == []
    query = {"queryStringParameters", "multiValueQueryStringParameters"}
    assert mismatches(connect_event, "websocket_connect", {*with_authorizer, *query}) == []
    assert mismatches(message, "websocket_message", with_authorizer) == []
    assert mismatches(disconnect_event, "websocket_disconnect", with_authorizer) == []

    for event in (authorizer_input, connect_event, message, disconnect_event):
        context = event["requestContext"]
        assert (context["connectionId"], context["apiId"], context["stage"]) == (cid, WS_API_ID, "test")
        assert context["connectedAt"] == connect_event["requestContext"]["connectedAt"]
        assert context["identity"] == {"sourceIp": "127.0.0.1", "userAgent": "fidelity/1.0"}
    assert authorizer_input["methodArn"] == f"arn:aws:execute-api:us-east-1:123456789012:{WS_API_ID}/test/$connect"
    assert authorizer_input["queryStringParameters"]["lang"] == "fr", "the last value, as format 1.0 does"
    assert connect_event["multiValueQueryStringParameters"]["lang"] == ["es", "fr"]
    for event in (authorizer_input, connect_event):
        assert event["headers"]["Cookie"] == "theme=dark" and event["headers"]["Origin"] == "http://localhost:5173"
        assert event["headers"]["X-Forwarded-For"] == "198.51.100.7, 127.0.0.1"
    typed = {"s": "text", "n": "42", "f": "1.5", "b": "true", "z": None, "principalId": "user-1"}
    assert {
        k: v for k, v in connect_event["requestContext"]["authorizer"].items() if k != "integrationLatency"
    } == typed
    assert connect_event["requestContext"]["authorizer"]["integrationLatency"] >= 0
    assert message["requestContext"]["authorizer"] == disconnect_event["requestContext"]["authorizer"] == typed
    assert message["body"] == '{"action": "echo"}'
    assert message["requestContext"]["messageId"] != message["requestContext"]["requestId"]
    assert disconnect_event["requestContext"]["disconnectStatusCode"] == 1000
    assert disconnect_event["requestContext"]["disconnectReason"] == "bye"


def test_no_user_agent_no_query_no_authorizer_context_keys(gateway: RunningGateway, records: Path) -> None:
    with open_socket(gateway, user_agent_header=None) as socket:
        cid = echo(socket)["requestContext"]["connectionId"]
        socket.close()  # a close frame with no status: 1005
    connect_event = recorded(records, "connect", cid)
    disconnect_event = recorded(records, "disconnect", cid)
    assert mismatches(connect_event, "websocket_connect", {"requestContext.authorizer"}) == []
    assert "userAgent" not in connect_event["requestContext"]["identity"]
    assert mismatches(recorded(records, "authorizer", cid), "websocket_authorizer_request") == []
    context = disconnect_event["requestContext"]
    assert (context["disconnectStatusCode"], context["disconnectReason"]) == (
        1000,
        "",
    ) or (context["disconnectStatusCode"], context["disconnectReason"]) == (
        1005,
        "Client-side close frame status not set",
    )


def authorizer_query(rule: dict[str, Any]) -> str:
    if "raise" in rule:
        return f"auth={'unauthorized' if rule['raise'] == 'Unauthorized' else 'crash'}"
    if rule.get("effect") == "Deny":
        return "auth=deny"
    if "principal" in rule:
        return "ctx=noprincipal"
    context = rule["context"]
    return "ctx=" + (
        "typed" if "s" in context else "object" if "o" in context else "array" if "a" in context else "big"
    )


@pytest.mark.parametrize("rule", load("websocket_authorizer_result")["rules"], ids=lambda r: r["case"])
def test_authorizer_results_are_read_as_api_gateway_reads_them(
    gateway: RunningGateway, records: Path, rule: dict[str, Any]
) -> None:
    if rule["status"] == 101:
        with open_socket(gateway, authorizer_query(rule)) as socket:
            delivered = echo(socket)["requestContext"]["authorizer"]
        assert delivered == {**rule["delivered"], "principalId": "user-1"}
        return
    with pytest.raises(InvalidStatus) as refused:
        open_socket(gateway, authorizer_query(rule))
    assert refused.value.response.status_code == rule["status"]


def sized(action: str, size: int) -> str:
    """A JSON message of exactly ``size`` bytes for ``action``."""
    head = json.dumps({"action": action, "pad": ""})
    return head[:-2] + "x" * (size - len(head)) + head[-2:]


def test_a_frame_without_a_mask_closes_the_socket_with_1002(gateway: RunningGateway) -> None:
    """RFC 6455 5.1: a server must close on an unmasked client frame; aiohttp alone reads it."""
    with open_socket(gateway) as socket:
        echo(socket)
        socket.socket.sendall(Frame(Opcode.TEXT, b'{"action": "echo"}').serialize(mask=False, extensions=[]))
        assert closed_with(socket) == 1002


def test_frames_over_32_kb_close_the_socket_with_1009(gateway: RunningGateway, records: Path) -> None:
    limit = LIMITS["websocket_frame_bytes"]
    with open_socket(gateway) as socket:
        cid = echo(socket)["requestContext"]["connectionId"]
        socket.send(sized("size", limit - 8))  # 8 header bytes (masked, 16-bit length): exactly 32 KB
        assert reply(socket) == {"type": "size", "bytes": limit - 8}
        socket.send(sized("size", limit - 7))
        assert closed_with(socket) == 1009
    assert recorded(records, "disconnect", cid)["requestContext"]["disconnectStatusCode"] == 1009


def test_messages_up_to_128_kb_in_fragments_reach_the_route(gateway: RunningGateway, records: Path) -> None:
    limit = LIMITS["websocket_message_bytes"]
    fragment = LIMITS["websocket_frame_bytes"] - 14
    with open_socket(gateway) as socket:
        cid = echo(socket)["requestContext"]["connectionId"]
        whole = sized("size", limit)
        socket.send([whole[i : i + fragment] for i in range(0, len(whole), fragment)])
        assert reply(socket) == {"type": "size", "bytes": limit}
        over = sized("size", limit + 1)
        socket.send([over[i : i + fragment] for i in range(0, len(over), fragment)])
        assert closed_with(socket) == 1009
    assert recorded(records, "disconnect", cid)["requestContext"]["disconnectStatusCode"] == 1009


def test_a_frame_split_across_reads_is_measured_whole(gateway: RunningGateway) -> None:
    with open_socket(gateway) as socket:
        echo(socket)
        frame = Frame(Opcode.TEXT, sized("size", LIMITS["websocket_frame_bytes"]).encode())
        data = frame.serialize(mask=True, extensions=[])
        cuts = [0, 1, 3, 6, 8, 1000, 20_000, len(data)]  # the header itself arrives in three reads
        with contextlib.suppress(OSError):  # the gateway may close before the last piece
            for start, end in itertools.pairwise(cuts):
                socket.socket.sendall(data[start:end])
                time.sleep(0.02)
        assert closed_with(socket) == 1009


def test_deeply_nested_json_reaches_default_and_the_socket_stays(gateway: RunningGateway) -> None:
    nested = "[" * 5000 + "]" * 5000
    with open_socket(gateway) as socket:
        socket.send(nested)
        answer = reply(socket)
        assert answer["routeKey"] == "$default" and answer["event"]["body"] == nested
        assert echo(socket)["requestContext"]["routeKey"] == "echo", "still open"


def test_the_integration_timeout_answers_the_client_and_keeps_the_socket(gateway: RunningGateway) -> None:
    with open_socket(gateway) as socket:
        cid = echo(socket)["requestContext"]["connectionId"]
        started = time.monotonic()
        socket.send(json.dumps({"action": "impatient"}))  # the function sleeps; the integration waits 300 ms
        answer = reply(socket)
        assert time.monotonic() - started < 0.9
        assert answer["message"] == "Endpoint request timed out"
        assert answer["connectionId"] == cid and answer["requestId"]
        assert echo(socket)["requestContext"]["connectionId"] == cid


def test_a_connect_route_past_its_integration_timeout_refuses_the_upgrade_with_504(gateway: RunningGateway) -> None:
    started = time.monotonic()
    with pytest.raises(InvalidStatus) as refused:
        open_socket(gateway, "sleep=5")  # the $connect integration waits 3 s (tests/gateway/harness.py)
    assert refused.value.response.status_code == 504
    assert 2.5 < time.monotonic() - started < 4.5


def test_close_reasons_cannot_forge_log_lines(gateway: RunningGateway, log_lines: list[str]) -> None:
    with open_socket(gateway) as socket:
        echo(socket)
        socket.close(code=4000, reason="bye\n[http] GET /forged -> 200")
    deadline = time.monotonic() + 10
    while not any("4000 bye" in line for line in log_lines) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert any("4000 bye\\x0a[http] GET /forged" in line for line in log_lines)
    assert all("\n" not in line for line in log_lines)


def test_default_limits_are_api_gateway_quotas() -> None:
    limits = Limits()
    assert limits.max_frame_bytes == LIMITS["websocket_frame_bytes"]
    assert limits.max_message_bytes == LIMITS["websocket_message_bytes"]
    assert limits.idle_timeout_seconds == LIMITS["websocket_idle_seconds"]
    assert limits.max_connection_seconds == LIMITS["websocket_connection_seconds"]


def test_stage_throttling_counts_requests_connects_and_messages(tmp_path: Path) -> None:
    """The stages' default_route_settings throttling (here a burst of 3, nearly no refill), on
    both APIs: HTTP answers 429, a WebSocket upgrade is refused with 429, a message gets an error."""
    issuer = Issuer()
    (tmp_path / "records").mkdir()
    config = build_config(tmp_path, issuer.url, tmp_path / "records")
    http, websocket = config.api("HTTP"), config.api("WEBSOCKET")
    assert http is not None and websocket is not None
    throttle = Throttle(burst_limit=3, rate_limit=0.01)
    config = replace(config, apis=(replace(http, throttle=throttle), replace(websocket, throttle=throttle)))
    try:
        with running_gateway(config, tmp_path) as gw:
            statuses = [requests.get(f"{gw.endpoints.http_api_url}/echo/x", timeout=10) for _ in range(4)]
            assert [r.status_code for r in statuses] == [200, 200, 200, 429]
            assert statuses[-1].json() == {"message": "Too Many Requests"}
            with open_socket(gw) as throttled:  # $connect took a token
                answers = []
                for _ in range(3):
                    throttled.send(json.dumps({"action": "echo"}))
                    answers.append(reply(throttled))
                assert [a.get("message") for a in answers] == [None, None, "Too Many Requests"]
            with pytest.raises(InvalidStatus) as refused:
                open_socket(gw)
            assert refused.value.response.status_code == 429
    finally:
        issuer.close()
