"""The local gateway's WebSocket API: $connect with the REQUEST authorizer, route selection,
$disconnect, binary frames (1003), the @connections API (incl. 410), idle/max timeouts. Event
shapes and the size limits are held to AWS's facts in test_fidelity_websocket.py."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import boto3
import pytest
import requests
from babelcast_devstack.bench_mode import PostModel
from babelcast_devstack.websocket_api import Limits
from botocore.config import Config
from botocore.exceptions import ClientError
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.gateway.harness import WS_API_ID, Issuer, RunningGateway, build_config, running_gateway


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("records")


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory, records: Path) -> Iterator[RunningGateway]:
    issuer = Issuer()
    tmp = tmp_path_factory.mktemp("ws")
    try:
        with running_gateway(build_config(tmp, issuer.url, records), tmp) as running:
            yield running
    finally:
        issuer.close()


def open_socket(gateway: RunningGateway, query: str = "") -> ClientConnection:
    return connect(f"{gateway.endpoints.websocket_url}{'?' + query if query else ''}", open_timeout=15, max_size=2**21)


def receive_json(socket: ClientConnection) -> dict[str, Any]:
    message = socket.recv(timeout=15)
    payload: dict[str, Any] = json.loads(message)
    return payload


def wait_for(path_glob: str, directory: Path, timeout: float = 15) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = sorted(directory.glob(path_glob))
        if found:
            record: dict[str, Any] = json.loads(found[-1].read_text())
            return record
        time.sleep(0.05)
    raise AssertionError(f"no {path_glob} recorded")


def connection_id(socket: ClientConnection) -> str:
    socket.send(json.dumps({"action": "echo"}))
    cid: str = receive_json(socket)["event"]["requestContext"]["connectionId"]
    return cid


def disconnect_record(records: Path, cid: str) -> dict[str, Any]:
    return wait_for(f"disconnect-{cid.replace('/', '_')}.json", records)


def test_connect_event_and_authorizer_context(gateway: RunningGateway, records: Path) -> None:
    with open_socket(gateway, "sessionId=holy-grace-123&token=abc") as socket:
        cid = connection_id(socket)
    event = wait_for(f"connect-{cid.replace('/', '_')}.json", records)
    context = event["requestContext"]
    assert (context["routeKey"], context["eventType"], context["messageDirection"]) == ("$connect", "CONNECT", "IN")
    assert context["apiId"] == WS_API_ID
    assert context["stage"] == "test"
    assert event["queryStringParameters"] == {"sessionId": "holy-grace-123", "token": "abc"}
    assert event["multiValueQueryStringParameters"] == {"sessionId": ["holy-grace-123"], "token": ["abc"]}
    assert "Sec-WebSocket-Key" in event["headers"] and "Sec-WebSocket-Key" in event["multiValueHeaders"]
    for key in (
        "extendedRequestId",
        "requestTime",
        "connectedAt",
        "requestTimeEpoch",
        "identity",
        "requestId",
        "domainName",
        "connectionId",
    ):
        assert key in context, key
    assert context["authorizer"]["principalId"] == "user-1"
    assert context["authorizer"]["role"] == "speaker"
    assert context["authorizer"]["seenType"] == "REQUEST"


def test_message_event_routes_by_action_with_default_fallback(gateway: RunningGateway) -> None:
    with open_socket(gateway) as socket:
        socket.send(json.dumps({"action": "echo", "n": 1}))
        routed = receive_json(socket)["event"]
        socket.send(json.dumps({"action": "nonsense"}))
        fallback = receive_json(socket)
        socket.send("not json at all")
        unparsable = receive_json(socket)
    context = routed["requestContext"]
    assert (context["routeKey"], context["eventType"]) == ("echo", "MESSAGE")
    assert context["messageId"] and context["connectionId"]
    assert routed["body"] == '{"action": "echo", "n": 1}'
    assert routed["isBase64Encoded"] is False
    assert context["authorizer"]["role"] == "speaker", "authorizer context reaches message events"
    assert fallback["routeKey"] == "$default"
    assert unparsable["routeKey"] == "$default"


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("auth=deny", 403),
        ("auth=unauthorized", 401),
        ("auth=crash", 500),
        ("status=400", 400),
        ("status=404", 404),
        ("status=429", 429),
        ("status=403", 403),
    ],
)
def test_connect_rejections_are_http_statuses_on_the_upgrade(gateway: RunningGateway, query: str, status: int) -> None:
    with pytest.raises(InvalidStatus) as rejected:
        open_socket(gateway, query)
    assert rejected.value.response.status_code == status


def test_disconnect_runs_with_the_close_code(gateway: RunningGateway, records: Path) -> None:
    with open_socket(gateway) as socket:
        cid = connection_id(socket)
        socket.close(code=1000, reason="bye")
    event = disconnect_record(records, cid)
    context = event["requestContext"]
    assert (context["routeKey"], context["eventType"]) == ("$disconnect", "DISCONNECT")
    assert context["disconnectStatusCode"] == 1000
    assert context["disconnectReason"] == "bye"


def test_binary_frames_close_with_1003(gateway: RunningGateway, records: Path) -> None:
    with open_socket(gateway) as socket:
        cid = connection_id(socket)
        socket.send(b"\x00\x01")
        with pytest.raises(ConnectionClosed):
            socket.recv(timeout=10)
    assert socket.close_code == 1003
    assert disconnect_record(records, cid)["requestContext"]["disconnectStatusCode"] == 1003


def test_connections_api_post_get_gone_and_delete(gateway: RunningGateway, records: Path) -> None:
    with open_socket(gateway) as socket:
        cid = connection_id(socket)  # POST: the reply came through @connections
        socket.send(json.dumps({"action": "describe"}))
        assert receive_json(socket) == {"type": "described", "sourceIp": "127.0.0.1"}
        socket.send(json.dumps({"action": "gone"}))
        assert receive_json(socket) == {"type": "gone", "error": "GoneException"}
        socket.send(json.dumps({"action": "hangup"}))
        with pytest.raises(ConnectionClosed):
            socket.recv(timeout=10)
    assert disconnect_record(records, cid)["requestContext"]["routeKey"] == "$disconnect"


def management_api(gateway: RunningGateway, endpoint_url: str | None = None) -> Any:
    """botocore's own client for @connections, without retries: it reads the errors as AWS's."""
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=endpoint_url or gateway.endpoints.connections_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1}),
    )


@pytest.mark.parametrize("size", [128 * 1024 + 1, 200 * 1024, 1024 * 1024])
def test_posts_over_128_kb_are_payload_too_large_at_any_size(gateway: RunningGateway, size: int) -> None:
    with open_socket(gateway) as socket:
        with pytest.raises(ClientError) as refused:
            management_api(gateway).post_to_connection(ConnectionId=connection_id(socket), Data=b"x" * size)
        assert refused.value.response["Error"]["Code"] == "PayloadTooLargeException"
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413


def test_idle_and_maximum_connection_time(tmp_path: Path) -> None:
    issuer = Issuer()
    (tmp_path / "records").mkdir()
    config = build_config(tmp_path, issuer.url, tmp_path / "records")
    try:
        with running_gateway(config, tmp_path, Limits(idle_timeout_seconds=1.0, max_connection_seconds=3.0)) as gw:
            with open_socket(gw) as idle:
                started = time.monotonic()
                with pytest.raises(ConnectionClosed):
                    idle.recv(timeout=10)
            assert idle.close_code == 1001
            assert 0.8 < time.monotonic() - started < 5
            with open_socket(gw) as busy:
                started = time.monotonic()
                with pytest.raises(ConnectionClosed):
                    while True:  # a message every 0.3 s, answered or not: only the lifetime can end it
                        busy.send(json.dumps({"action": "echo"}))
                        time.sleep(0.3)
            assert busy.close_code == 1001
            assert 2.5 < time.monotonic() - started < 8
    finally:
        issuer.close()


def test_shutdown_closes_sockets_and_stops_every_worker(tmp_path: Path) -> None:
    import os

    issuer = Issuer()
    (tmp_path / "records").mkdir()
    config = build_config(tmp_path, issuer.url, tmp_path / "records")
    try:
        with running_gateway(config, tmp_path) as gw, open_socket(gw) as socket:
            connection_id(socket)
            pids = gw.worker_pids()
            assert pids
            gw.call(gw.gateway.stop())
            with pytest.raises(ConnectionClosed):
                socket.recv(timeout=10)
        assert socket.close_code == 1001
        for pid in pids:
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)
    finally:
        issuer.close()


def test_paths_outside_the_stage_are_forbidden_in_api_gateway_words(gateway: RunningGateway) -> None:
    """Another stage, @connections without the stage (a common client mistake), a path under a
    connection: API Gateway's 403, which botocore reads as ForbiddenException, never aiohttp's
    text/plain 404."""
    assert gateway.endpoints.connections_url is not None
    base = gateway.endpoints.connections_url.rstrip("/").rsplit("/", 1)[0]
    for method, path in [
        ("POST", "/@connections/abc"),
        ("GET", "/"),
        ("GET", "/other"),
        ("POST", "/other/@connections/abc"),
        ("DELETE", "/live/@connections/abc/extra"),
    ]:
        answer = requests.request(method, base + path, timeout=10)
        assert (answer.status_code, answer.json()) == (403, {"message": "Forbidden"}), (method, path)
        assert answer.headers["Content-Type"].startswith("application/json")
    without_stage = management_api(gateway, endpoint_url=base)  # the stage left out
    with pytest.raises(ClientError) as refused:
        without_stage.post_to_connection(ConnectionId="abc", Data=b"{}")
    assert refused.value.response["Error"]["Code"] == "ForbiddenException"


def test_no_answer_names_the_server_software(gateway: RunningGateway) -> None:
    """API Gateway sends no Server header; aiohttp would name itself and the Python version."""
    assert gateway.endpoints.connections_url is not None
    with open_socket(gateway) as socket:
        assert socket.response is not None and "Server" not in socket.response.headers
        cid = connection_id(socket)
        for method in ("GET", "POST"):
            answer = requests.request(
                method, f"{gateway.endpoints.connections_url}/@connections/{cid}", data=b"{}", timeout=10
            )
            assert answer.status_code == 200 and "Server" not in answer.headers
    gone = requests.post(f"{gateway.endpoints.connections_url}/@connections/{cid}", data=b"{}", timeout=10)
    assert gone.status_code == 410 and "Server" not in gone.headers
    assert "Server" not in requests.get(gateway.endpoints.connections_url, timeout=10).headers


def bench_url(gateway: RunningGateway, path: str) -> str:
    """``<base>/_bench/<path>`` for the connections URL ``<base>/<stage>``."""
    assert gateway.endpoints.connections_url is not None
    return f"{gateway.endpoints.connections_url.rstrip('/').rsplit('/', 1)[0]}/_bench/{path}"


def test_bench_mode_is_off_by_default(gateway: RunningGateway) -> None:
    """Without --bench-mode its paths are unknown paths: API Gateway's 403 like any other."""
    assert requests.post(bench_url(gateway, "connections"), json={"count": 1}, timeout=10).status_code == 403
    assert requests.get(bench_url(gateway, "model"), timeout=10).status_code == 403


def test_bench_mode_models_round_trip_throttle_and_bulk_connections(tmp_path: Path) -> None:
    """Every @connections call waits the modelled round trip and takes a token of the account-wide
    bucket (429 LimitExceededException when empty); bulk-registered connections accept posts and
    record their arrival per message."""

    issuer = Issuer()
    (tmp_path / "records").mkdir()
    config = build_config(tmp_path, issuer.url, tmp_path / "records")
    model = PostModel(round_trip_ms=300, posts_per_second=0.001, burst=5)
    try:
        with running_gateway(config, tmp_path, Limits(bench=model)) as gw, open_socket(gw) as socket:
            connections = gw.endpoints.connections_url
            assert connections is not None
            api = management_api(gw)
            started = time.monotonic()
            api.post_to_connection(ConnectionId=connection_id(socket), Data=b'{"type": "late"}')
            assert time.monotonic() - started >= 0.3
            assert receive_json(socket) == {"type": "late"}
            registered = requests.post(bench_url(gw, "connections"), json={"count": 2, "key": "text"}, timeout=10)
            ids = registered.json()["connectionIds"]
            assert len(set(ids)) == 2 and all(len(i) == 16 and i.endswith("=") for i in ids)
            before = time.time() * 1000
            for cid in ids:
                api.post_to_connection(ConnectionId=cid, Data=b'{"text": "hola"}')
            hola = requests.get(bench_url(gw, "arrivals"), params={"message": "hola"}, timeout=10).json()
            assert hola["counts"] == {"hola": 2} and all(at >= before for at in hola["arrivals"]["hola"])
            # five tokens taken (connection_id costs one), the burst is five, the bucket refills at 0.001/s
            api.get_connection(ConnectionId=ids[0])
            with pytest.raises(api.exceptions.LimitExceededException):
                api.post_to_connection(ConnectionId=ids[0], Data=b'{"text": "adios"}')
            throttled = requests.post(f"{connections}/@connections/{quote(ids[0], safe='')}", data=b"{}", timeout=10)
            assert throttled.status_code == 429
            assert throttled.headers["x-amzn-ErrorType"] == "LimitExceededException:"
            # as measured: no round trip, no throttle
            loopback = {"roundTripMs": 0, "postsPerSecond": None, "burst": 1}
            assert requests.put(bench_url(gw, "model"), json=loopback, timeout=10).json() == loopback
            started = time.monotonic()
            api.post_to_connection(ConnectionId=ids[1], Data=b'{"text": "adios"}')
            assert time.monotonic() - started < 0.3
            assert requests.get(bench_url(gw, "arrivals"), timeout=10).json()["counts"] == {"hola": 2, "adios": 1}
            with pytest.raises(api.exceptions.GoneException):
                api.post_to_connection(ConnectionId="bm90LWEtY29ubmVjdGlvbg==", Data=b"{}")
            too_many = requests.post(bench_url(gw, "connections"), json={"count": 20_000}, timeout=10)
            assert too_many.status_code == 400
            assert requests.put(bench_url(gw, "model"), json={"roundTripMs": -1}, timeout=10).status_code == 400
            assert requests.delete(bench_url(gw, "connections"), timeout=10).status_code == 204
            with pytest.raises(api.exceptions.GoneException):
                api.post_to_connection(ConnectionId=ids[0], Data=b"{}")
    finally:
        issuer.close()
