"""Injected AWS faults through the real handlers (moto in-process): DynamoDB throttling and 5xx,
Kinesis PutRecord failures, @connections timeouts and 410 Gone. Each gives a clean error (stable
code, correlation id, no AWS text or resource name), leaves nothing half-written (the tables are
inspected after), and a plain retry of the same request succeeds once the fault is gone."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import unquote

import boto3
import pytest
from babelcast.integration import aws as aws_clients
from babelcast.integration.connections_api import ConnectionsApi
from broadcast import handler as broadcast_handler
from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends

from tests.support.faults import INTERNAL_NAME, inject
from tests.support.http_harness import ENVIRONMENT, Api, Response
from tests.support.ws_harness import CACHED, ENV, SPEAKER, AwsCalls, RecordingApi, Ws, chunk, kinesis_records

THROTTLED = ("ProvisionedThroughputExceededException", 400, 503, "SERVICE_UNAVAILABLE")
RATE_EXCEEDED = ("ThrottlingException", 400, 503, "SERVICE_UNAVAILABLE")
SERVER_ERROR = ("InternalServerError", 500, 500, "INTERNAL_ERROR")
FAULTS = {"throttled": THROTTLED, "throttling": RATE_EXCEEDED, "5xx": SERVER_ERROR}
CHUNK_BYTES = len(base64.b64decode(chunk()))


def assert_clean(text: str) -> None:
    for leak in (
        INTERNAL_NAME,
        "babelcast-internal",
        "Traceback",
        "ProvisionedThroughput",
        "ThrottlingException",
        "InternalServerError",
        "botocore",
    ):
        assert leak not in text, leak


def table_items(name: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = boto3.client("dynamodb").scan(TableName=name)["Items"]
    return sorted(items, key=repr)


# --- the HTTP API --------------------------------------------------------------------------------


def _create(api: Api, session_id: str) -> Response:
    return api.create("fr")


def _patch(api: Api, session_id: str) -> Response:
    return api("PATCH /sessions/{sessionId}", f"/sessions/{session_id}", body={"status": "paused"})


def _delete(api: Api, session_id: str) -> Response:
    return api("DELETE /sessions/{sessionId}", f"/sessions/{session_id}")


def _get(api: Api, session_id: str) -> Response:
    return api("GET /sessions/{sessionId}", f"/sessions/{session_id}", sub=None)


def _list(api: Api, session_id: str) -> Response:
    return api("GET /sessions", "/sessions")


HTTP_CASES: dict[str, tuple[Callable[[Api, str], Response], str, int]] = {
    "POST /sessions, TransactWriteItems": (_create, "TransactWriteItems", 201),
    "PATCH, UpdateItem": (_patch, "UpdateItem", 200),
    "DELETE, UpdateItem": (_delete, "UpdateItem", 204),
    "GET one, GetItem": (_get, "GetItem", 200),
    "GET list, Query": (_list, "Query", 200),
}


@pytest.mark.parametrize("case", list(HTTP_CASES))
def test_http_dynamodb_faults_are_clean_leave_nothing_and_a_retry_succeeds(
    api: Api, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    call, operation, success = HTTP_CASES[case]
    for fault, (code, aws_status, status, error_code) in FAULTS.items():
        session_id = api.create().body["sessionId"]
        sessions_before = table_items(ENVIRONMENT["SESSIONS_TABLE_NAME"])
        capsys.readouterr()
        injected = inject(aws_clients.dynamodb_client(), operation, code=code, status=aws_status, times=2)

        for _ in range(2):  # the client sees the fault for as long as it lasts
            failed = call(api, session_id)
            assert failed.status == status, (fault, failed.body)
            assert failed.body["code"] == error_code
            assert failed.body["correlationId"] == failed.headers["X-Correlation-Id"]
            assert_clean(failed.raw["body"])
        assert injected.hits == 2
        logs = capsys.readouterr().out
        assert f'"aws_error_code": "{code}"' in logs, "operators see what failed"
        assert_clean(logs.replace(f'"aws_error_code": "{code}"', ""))
        assert table_items(ENVIRONMENT["SESSIONS_TABLE_NAME"]) == sessions_before, f"{fault}: nothing half-written"

        retried = call(api, session_id)
        assert retried.status == success, (fault, retried.body)
        after = {item["sessionId"]["S"]: item for item in table_items(ENVIRONMENT["SESSIONS_TABLE_NAME"])}
        if call is _create:
            assert len(after) == len(sessions_before) + 1 and retried.body["sessionId"] in after, "one session"
        if call in (_patch, _delete):
            assert after[session_id]["version"]["N"] == "2", "the retry applied the change exactly once"


def test_failed_creations_do_not_use_up_the_speakers_quota(api: Api) -> None:
    """10 sessions a minute means 10 created: attempts the service failed do not count."""
    injected = inject(aws_clients.dynamodb_client(), "TransactWriteItems", code=THROTTLED[0], times=5)
    assert [api.create().status for _ in range(5)] == [503] * 5
    assert injected.hits == 5
    assert [api.create().status for _ in range(10)] == [201] * 10
    assert api.create().status == 429


def test_an_unreachable_dynamodb_is_a_clean_503_then_a_retry_succeeds(api: Api) -> None:
    inject(aws_clients.dynamodb_client(), "TransactWriteItems", timeout=True)
    failed = api.create()
    assert (failed.status, failed.body["code"]) == (503, "SERVICE_UNAVAILABLE")
    assert_clean(failed.raw["body"])
    assert table_items(ENVIRONMENT["SESSIONS_TABLE_NAME"]) == []
    assert api.create().status == 201


# --- the WebSocket functions ----------------------------------------------------------------------


def listener_records(session_id: str) -> list[str]:
    return [
        item["connectionId"]["S"]
        for item in table_items("t-connections")
        if item.get("sessionId", {}).get("S") == session_id and item["role"]["S"] == "listener"
    ]


def test_connect_faults_leave_no_record_and_no_count(ws: Ws) -> None:
    """A listener's join (record + count in one transaction) and a speaker's connect (session read,
    record write) under each fault: refused with the fault's status, nothing stored, and the
    client's reconnect succeeds."""
    session_id = ws.session()
    joined: list[str] = []
    for fault, (code, aws_status, status, _) in FAULTS.items():
        inject(aws_clients.dynamodb_client(), "TransactWriteItems", code=code, status=aws_status)
        refused = ws.connect({"sessionId": session_id, "targetLanguage": "es"})
        assert refused.status == status, fault
        assert (ws.listener_count(session_id), sorted(listener_records(session_id))) == (len(joined), sorted(joined))
        retried = ws.connect({"sessionId": session_id, "targetLanguage": "es"})
        assert retried.status == 200
        joined.append(retried.id)
        assert (ws.listener_count(session_id), sorted(listener_records(session_id))) == (len(joined), sorted(joined))
    for operation, fault in (("GetItem", "throttled"), ("PutItem", "5xx")):
        code, aws_status, status, _ = FAULTS[fault]
        inject(aws_clients.dynamodb_client(), operation, code=code, status=aws_status)
        assert ws.connect({"sessionId": session_id, "token": "t"}, SPEAKER).status == status
        assert len(table_items("t-connections")) == len(joined), "no speaker record"
        assert ws.connect({"sessionId": session_id, "token": "t"}, SPEAKER).status == 200
        joined.append("speaker")
        assert len(table_items("t-connections")) == len(joined)


def test_a_failed_disconnect_changes_nothing_and_the_sweep_finishes_it(ws: Ws) -> None:
    session_id = ws.session()
    listener = ws.listener(session_id)
    inject(aws_clients.dynamodb_client(), "TransactWriteItems", code=THROTTLED[0])
    ws.disconnect(listener)  # $disconnect is best effort: it must not half-remove the listener
    assert (ws.listener_count(session_id), listener_records(session_id)) == (1, [listener.id])
    report = ws.sweep()
    assert report["stale_removed"] == 1
    assert (ws.listener_count(session_id), listener_records(session_id)) == (0, [])


def test_a_throttled_sweep_step_does_not_stop_the_sweep(ws: Ws) -> None:
    """One connection's removal is throttled: the others are still removed, expired sessions still
    ended, and the next run removes the one left."""
    session_id = ws.session()
    stale = [ws.listener(session_id) for _ in range(3)]
    for connection in stale:
        ws.api.live.discard(connection.id)
    expired = ws.session()
    ws.dynamodb.update_item(
        TableName="t-sessions",
        Key={"sessionId": {"S": expired}},
        UpdateExpression="SET expiresAt = :past",
        ExpressionAttributeValues={":past": {"N": "1"}},
    )
    ws.listener(expired)
    inject(aws_clients.dynamodb_client(), "TransactWriteItems", code=THROTTLED[0])
    report = ws.sweep("sweep-1")
    assert (report["stale_removed"], report["errors"], report["sessions_expired"]) == (2, 1, 1)
    assert ws.listener_count(session_id) == len(listener_records(session_id)) == 1
    report = ws.sweep("sweep-2")
    assert report["stale_removed"] == 1
    assert ws.listener_count(session_id) == len(listener_records(session_id)) == 0


def test_a_failed_kinesis_put_is_reported_and_the_chunk_can_be_resent(ws: Ws) -> None:
    session_id = ws.session()
    speaker = ws.speaker(session_id)
    sent: list[int] = []
    for sequence, (code, aws_status, error_code) in enumerate(
        [
            ("ProvisionedThroughputExceededException", 400, "SERVICE_UNAVAILABLE"),
            ("InternalFailure", 500, "INTERNAL_ERROR"),
        ],
        start=1,
    ):
        inject(aws_clients.kinesis_client(), "PutRecord", code=code, status=aws_status)
        [error] = ws.send(speaker, {"action": "sendAudio", "audioData": chunk(), "sequence": sequence})
        assert (error["type"], error["code"], error["action"]) == ("error", error_code, "sendAudio")
        assert error["requestId"]
        assert_clean(json.dumps(error))
        assert [r["sequence"] for r in kinesis_records()] == sent and table_items("t-audio-buffer") == []
        item = ws.session_item(session_id)
        assert "bufferDepth" not in item
        assert int(item.get("audioBytes", {"N": "0"})["N"]) == len(sent) * CHUNK_BYTES, "only sent audio counts"
        assert ws.send(speaker, {"action": "sendAudio", "audioData": chunk(), "sequence": sequence}) == []
        sent.append(sequence)
        assert [r["sequence"] for r in kinesis_records()] == sent
        assert int(ws.session_item(session_id)["audioBytes"]["N"]) == len(sent) * CHUNK_BYTES


def sequence_of(request: Mapping[str, Any]) -> int:
    """The audio sequence number in a serialized Kinesis PutRecord request."""
    sequence: int = json.loads(base64.b64decode(json.loads(request["body"])["Data"]))["sequence"]
    return sequence


def connection_of(request: Mapping[str, Any]) -> str:
    """The connection id in a serialized @connections request's path."""
    return unquote(str(request["url_path"])).rsplit("/@connections/", 1)[-1]


def test_a_kinesis_failure_during_a_flush_loses_nothing_and_a_retry_flushes(ws: Ws) -> None:
    """Resuming flushes the paused audio; when Kinesis fails part-way the chunks stay buffered, and
    retrying the resume sends them, in order, without waiting for the flush lease to lapse."""
    session_id = ws.session()
    speaker = ws.speaker(session_id)
    ws.send(speaker, {"action": "pauseBroadcast"})
    for sequence in range(1, 6):
        ws.send(speaker, {"action": "sendAudio", "audioData": chunk(), "sequence": sequence})
    inject(
        aws_clients.kinesis_client(),
        "PutRecord",
        code="InternalFailure",
        status=500,
        only=lambda request: sequence_of(request) == 3,
    )
    [error] = ws.send(speaker, {"action": "resumeBroadcast"})
    assert error["code"] == "INTERNAL_ERROR"
    sent = [r["sequence"] for r in kinesis_records()]
    assert sent == [1, 2]
    buffered = sorted(json.loads(item["record"]["B"])["sequence"] for item in table_items("t-audio-buffer"))
    assert buffered == [3, 4, 5], "what was not sent is still buffered; what was sent is not kept twice"
    item = ws.session_item(session_id)
    assert (item["bufferDepth"]["N"], item["audioBytes"]["N"]) == ("3", str(2 * CHUNK_BYTES))
    assert ws.send(speaker, {"action": "resumeBroadcast"}) == []
    assert [r["sequence"] for r in kinesis_records()] == [1, 2, 3, 4, 5]
    assert table_items("t-audio-buffer") == []
    ws.send(speaker, {"action": "sendAudio", "audioData": chunk(), "sequence": 6})
    assert [r["sequence"] for r in kinesis_records()] == [1, 2, 3, 4, 5, 6]
    assert ws.session_item(session_id)["audioBytes"]["N"] == str(6 * CHUNK_BYTES)


# --- @connections (the real ConnectionsApi on moto's management API) -------------------------------


@pytest.fixture
def real_api(ws_aws: AwsCalls, monkeypatch: pytest.MonkeyPatch) -> Iterator[Ws]:
    """Like ``ws`` but every function posts through the real ConnectionsApi (botocore client)."""
    for cached in CACHED:
        cached.cache_clear()
    yield Ws(RecordingApi(), ws_aws)
    for cached in CACHED:
        cached.cache_clear()


def delivered(connection_id: str) -> list[str]:
    """The message types moto's management API received for one connection, in order."""
    connections = apigatewaymanagementapi_backends["123456789012"]["us-east-1"].connections
    data = "".join(c.data.decode() for key, c in list(connections.items()) if unquote(key) == connection_id)
    types, decoder, index = [], json.JSONDecoder(), 0
    while index < len(data):
        message, index = decoder.raw_decode(data, index)
        types.append(message["type"])
    return types


def management() -> Any:
    return aws_clients.management_client(ENV["CONNECTIONS_ENDPOINT"])


def test_fanout_survives_a_timeout_and_a_gone_connection(real_api: Ws) -> None:
    """Pausing notifies three listeners: one times out, one is gone (410), one receives it. The gone
    one is forgotten (record and count together); the timed-out one is kept and gets the next
    notification once the fault is over."""
    sockets = real_api
    session_id = sockets.session()
    slow, gone, fine = (sockets.listener(session_id) for _ in range(3))
    before = sockets.session_item(session_id)
    sockets.dynamodb.update_item(
        TableName="t-sessions",
        Key={"sessionId": {"S": session_id}},
        UpdateExpression="SET #s = :p",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":p": {"S": "paused"}},
    )
    client = management()
    inject(client, "PostToConnection", timeout=True, only=lambda request: connection_of(request) == slow.id)
    inject(
        client,
        "PostToConnection",
        code="GoneException",
        status=410,
        only=lambda request: connection_of(request) == gone.id,
    )
    assert sockets.stream_change(session_id, before) == {"batchItemFailures": []}
    assert delivered(fine.id) == ["sessionPaused", "broadcastPaused"]  # with its legacy twin
    assert delivered(slow.id) == ["broadcastPaused"]  # the fault took one post: the twin after it got through
    assert sorted(listener_records(session_id)) == sorted([slow.id, fine.id])
    assert sockets.listener_count(session_id) == 2

    before = sockets.session_item(session_id)
    sockets.dynamodb.update_item(
        TableName="t-sessions",
        Key={"sessionId": {"S": session_id}},
        UpdateExpression="SET #s = :a",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":a": {"S": "active"}},
    )
    sockets.stream_change(session_id, before)
    assert delivered(slow.id) == ["broadcastPaused", "sessionResumed", "broadcastResumed"]
    assert delivered(fine.id) == ["sessionPaused", "broadcastPaused", "sessionResumed", "broadcastResumed"]


def test_a_reply_that_times_out_does_not_break_the_socket(real_api: Ws, capsys: pytest.CaptureFixture[str]) -> None:
    sockets = real_api
    session_id = sockets.session()
    speaker = sockets.speaker(session_id)
    inject(management(), "PostToConnection", timeout=True)
    sockets.send(speaker, {"action": "heartbeat"})
    assert delivered(speaker.id) == []
    logs = capsys.readouterr().out
    assert '"event": "reply_failed"' in logs
    assert_clean(logs)
    sockets.send(speaker, {"action": "heartbeat"})
    assert delivered(speaker.id) == ["heartbeatAck"]


def test_broadcast_to_a_gone_listener_forgets_it_and_a_timeout_is_retried(real_api: Ws) -> None:
    sockets = real_api
    session_id = sockets.session()
    slow, gone = sockets.listener(session_id), sockets.listener(session_id)
    # botocore's client, where faults are injected (the broadcast's own signed posts map the same
    # answers the same way: test_signed_posts.py)
    broadcast_handler.dependencies().broadcaster.api = ConnectionsApi(ENV["CONNECTIONS_ENDPOINT"])
    client = management()
    inject(client, "PostToConnection", timeout=True, only=lambda request: connection_of(request) == slow.id)
    inject(
        client,
        "PostToConnection",
        code="GoneException",
        status=410,
        only=lambda request: connection_of(request) == gone.id,
    )
    segment = {"sessionId": session_id, "targetLanguage": "es", "payload": {"type": "translatedText", "text": "hola"}}
    data = base64.b64encode(json.dumps(segment).encode()).decode()
    event = {"Records": [{"kinesis": {"data": data, "sequenceNumber": "1"}, "eventID": "e1"}]}
    assert broadcast_handler.lambda_handler(event, None) == {"batchItemFailures": []}
    assert (sockets.listener_count(session_id), listener_records(session_id)) == (1, [slow.id])
    assert delivered(slow.id) == []
    broadcast_handler.lambda_handler(event, None)  # the next segment reaches it
    assert delivered(slow.id) == ["translatedText"]
