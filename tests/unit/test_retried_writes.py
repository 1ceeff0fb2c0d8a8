"""Every counter counts once per logical event when the SDK retries (issue 10, failure 4).

A slow DynamoDB answers after botocore's read timeout: the write was applied, botocore sends it
again. ``lose_responses`` reproduces exactly that inside the SDK's retry loop (moto applies the
request, then the response is replaced by a read timeout). Each test states the invariant a user
would notice: the creation limit counts the sessions that exist, ``version`` counts changes,
``audioBytes`` counts the audio that reached the stream, the buffer counters count what is
buffered, a listener is counted once, and a write that succeeded is reported as one.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from babelcast.integration import aws as aws_clients
from connection_sweeper import handler as sweeper_handler
from http_api import handler

from tests.support.faults import LostResponse, inject, lose_responses
from tests.support.http_events import SPEAKER
from tests.support.http_harness import ENVIRONMENT, Api
from tests.support.ws_harness import SPEAKER as WS_SPEAKER
from tests.support.ws_harness import Ws, chunk, kinesis_records

WRITES = ("PutItem", "UpdateItem", "TransactWriteItems", "BatchWriteItem", "DeleteItem")
CHUNK = chunk()
CHUNK_BYTES = len(base64.b64decode(CHUNK))


_ARMED: dict[tuple[int, str], LostResponse] = {}


def lose_every_write_once() -> None:
    """From now on, the next response of each kind of DynamoDB write is lost (the write itself
    applied). Calling it again re-arms the same hooks (an unused one does not add up)."""
    client = aws_clients.dynamodb_client()
    for operation in WRITES:
        hook = _ARMED.get((id(client), operation))
        if hook is None or hook.client is not client:
            _ARMED[(id(client), operation)] = lose_responses(client, operation)
        else:
            hook.remaining = 1


def my_sessions() -> int:
    items = boto3.client("dynamodb").scan(TableName=ENVIRONMENT["SESSIONS_TABLE_NAME"])["Items"]
    return sum(1 for item in items if item["speakerId"]["S"] == SPEAKER)


@pytest.fixture(autouse=True)
def one_minute(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The creation limit counts per clock minute: a test must not straddle two."""
    if "api" in request.fixturenames:
        request.getfixturevalue("api")  # the function's environment and tables first
        now = time.time_ns() // 1_000_000
        monkeypatch.setattr(handler.dependencies().sessions, "clock_ms", lambda: now)


def creatable_until_limited(api: Api) -> int:
    created = 0
    while (status := api.create().status) == 201:
        created += 1
        assert created <= 10
    assert status == 429
    return created


# --- the HTTP API ---------------------------------------------------------------------------------


def test_a_create_whose_writes_are_retried_counts_once(api: Api) -> None:
    """The issue saw the limit count 3 attempts for 2 sessions created: the limit (10 a minute)
    counts sessions that exist, however often the SDK resent the writes behind them."""
    lose_every_write_once()
    created = api.create()
    assert created.status == 201, created.body
    assert my_sessions() == 1
    stored = api("GET /sessions/{sessionId}", f"/sessions/{created.body['sessionId']}", sub=None)
    assert stored.body == created.body, "the answer describes the session that was stored"
    assert creatable_until_limited(api) == 9
    assert my_sessions() == 10


@pytest.mark.parametrize("applied", [1, 2], ids=["first write applied", "two writes applied"])
def test_a_create_that_fails_part_way_leaves_the_limit_counting_sessions_that_exist(api: Api, applied: int) -> None:
    """DynamoDB stalls in the middle of a create: the writes after the first ``applied`` ones time
    out unapplied (and so would a give-back). Whatever the create answered, the limit afterwards
    still counts exactly the sessions that exist."""
    writes: list[object] = []
    stalled = True

    def unapplied(params: object) -> bool:
        writes.append(params)
        return stalled and len(writes) > applied

    for operation in WRITES:
        inject(aws_clients.dynamodb_client(), operation, timeout=True, times=100, only=unapplied)
    answer = api.create()
    stalled = False
    assert answer.status in (201, 503), answer.body
    exists = my_sessions()
    assert exists == (1 if answer.status == 201 else 0)
    assert creatable_until_limited(api) == 10 - exists


def _patch(api: Api, session_id: str, body: dict[str, str]) -> tuple[int, dict[str, object]]:
    response = api("PATCH /sessions/{sessionId}", f"/sessions/{session_id}", body=body)
    return response.status, response.body


def test_a_patch_whose_write_is_retried_is_one_change_and_succeeds(api: Api) -> None:
    session_id = api.create().body["sessionId"]
    lose_every_write_once()
    status, body = _patch(api, session_id, {"status": "paused"})
    assert (status, body["status"], body["version"]) == (200, "paused", 2), "version counts changes, once"
    lose_every_write_once()
    status, body = _patch(api, session_id, {"status": "ended"})
    assert (status, body["status"], body["version"]) == (200, "ended", 3), "not 409: the end was this PATCH"
    lose_every_write_once()
    deleted = api("DELETE /sessions/{sessionId}", f"/sessions/{session_id}")
    assert deleted.status == 204
    stored = api("GET /sessions/{sessionId}", f"/sessions/{session_id}", sub=None).body
    assert stored["version"] == 3


def _resend(api: Api, session_id: str, body: dict[str, Any], correlation_id: str | None) -> tuple[int, Any]:
    """The PATCH a client sends again after a timeout or a 5xx: a new request, same call id."""
    headers = {"X-Correlation-Id": correlation_id} if correlation_id else None
    response = api("PATCH /sessions/{sessionId}", f"/sessions/{session_id}", body=body, headers=headers)
    return response.status, response.body


def test_a_patch_the_client_sends_again_with_its_correlation_id_is_applied_once(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Our clients keep one X-Correlation-Id across the retries of a call: the first attempt
    landed but its answer was lost, so the retry must not count again nor call the end a 409 --
    even when the retry comes in the next clock minute."""
    session_id = api.create().body["sessionId"]
    for _ in range(3):
        status, body = _resend(api, session_id, {"status": "paused"}, "call-pause-0001")
        assert (status, body["status"], body["version"]) == (200, "paused", 2)
    sessions = handler.dependencies().sessions
    later = sessions.clock_ms() + 60_000  # the retry lands in the next minute
    monkeypatch.setattr(sessions, "clock_ms", lambda: later)
    status, body = _resend(api, session_id, {"status": "paused"}, "call-pause-0001")
    assert (status, body["version"]) == (200, 2)
    status, body = _resend(api, session_id, {"status": "ended"}, "call-end-00001")
    assert (status, body["status"], body["version"]) == (200, "ended", 3)
    status, body = _resend(api, session_id, {"status": "ended"}, "call-end-00001")
    assert (status, body["status"], body["version"]) == (200, "ended", 3), "not 409: the end was this call"


def test_a_creation_the_client_sends_again_answers_the_session_it_made(api: Api) -> None:
    """POST /sessions has no id to write to twice: the first attempt's call is recorded with the
    session, so the retry answers that session instead of making (and counting) a second one.
    Another correlation id, or another body under the same id, is another creation."""
    headers = {"X-Correlation-Id": "create-call-0001"}
    first = api.create(headers=headers)
    again = [api.create(headers=headers) for _ in range(2)]
    assert first.status == 201 and [r.status for r in again] == [201, 201]
    assert {r.body["sessionId"] for r in again} == {first.body["sessionId"]} and my_sessions() == 1
    assert again[0].body == first.body and again[0].headers["Location"] == first.headers["Location"]
    assert api.create(headers={"X-Correlation-Id": "create-call-0002"}).body["sessionId"] != first.body["sessionId"]
    assert api.create("fr", headers=headers).body["sessionId"] != first.body["sessionId"]
    assert creatable_until_limited(api) == 7, "3 sessions exist: the resends were not counted"


def test_distinct_calls_are_distinct_writes(api: Api) -> None:
    """Another correlation id, another change under the same id, or no id at all: each applies."""
    session_id = api.create().body["sessionId"]
    versions = [
        _resend(api, session_id, {"status": "paused"}, "call-one-00001")[1]["version"],
        _resend(api, session_id, {"status": "paused"}, "call-two-00001")[1]["version"],
        _resend(api, session_id, {"status": "active"}, "call-two-00001")[1]["version"],
        _resend(api, session_id, {"status": "active"}, None)[1]["version"],
        _resend(api, session_id, {"status": "active"}, None)[1]["version"],
    ]
    assert versions == [2, 3, 4, 5, 6]
    assert _resend(api, session_id, {"status": "ended"}, "call-two-00001")[0] == 200
    assert _resend(api, session_id, {"status": "paused"}, "call-three-001")[0] == 409, "a new change after the end"


# --- the WebSocket functions ----------------------------------------------------------------------


@pytest.fixture
def speaking(ws: Ws) -> Iterator[tuple[Ws, str]]:
    session_id = ws.session()
    yield ws, session_id


def _audio(ws: Ws, session_id: str) -> dict[str, int]:
    item = ws.session_item(session_id)
    return {name: int(item.get(name, {"N": "0"})["N"]) for name in ("audioBytes", "bufferDepth", "bufferBytes")}


def test_audio_whose_write_is_retried_is_counted_and_forwarded_once(speaking: tuple[Ws, str]) -> None:
    """The issue measured 14 400 audio bytes for 12 800 sent."""
    sockets, session_id = speaking
    speaker = sockets.speaker(session_id)
    for sequence in range(1, 5):
        lose_every_write_once()
        replies = sockets.send(speaker, {"action": "sendAudio", "audioData": CHUNK, "sequence": sequence})
        assert {r["type"] for r in replies} <= {"audioAck"}, "no error"
    assert [r["sequence"] for r in kinesis_records()] == [1, 2, 3, 4]
    assert _audio(sockets, session_id) == {"audioBytes": 4 * CHUNK_BYTES, "bufferDepth": 0, "bufferBytes": 0}


def test_paused_audio_whose_writes_are_retried_is_buffered_and_flushed_once(speaking: tuple[Ws, str]) -> None:
    sockets, session_id = speaking
    speaker = sockets.speaker(session_id)
    sockets.send(speaker, {"action": "pauseBroadcast"})
    for sequence in range(1, 4):
        lose_every_write_once()
        replies = sockets.send(speaker, {"action": "sendAudio", "audioData": CHUNK, "sequence": sequence})
        assert {r["type"] for r in replies} <= {"audioAck"}, "no error"
    assert _audio(sockets, session_id) == {"audioBytes": 0, "bufferDepth": 3, "bufferBytes": 3 * CHUNK_BYTES}
    lose_every_write_once()  # the resume, the flush lease, the drained counters, the lease's release
    assert sockets.send(speaker, {"action": "resumeBroadcast"}) == []
    assert [r["sequence"] for r in kinesis_records()] == [1, 2, 3]
    assert _audio(sockets, session_id) == {"audioBytes": 3 * CHUNK_BYTES, "bufferDepth": 0, "bufferBytes": 0}
    replies = sockets.send(speaker, {"action": "sendAudio", "audioData": CHUNK, "sequence": 4})
    assert {r["type"] for r in replies} <= {"audioAck"}, "no error"
    assert [r["sequence"] for r in kinesis_records()] == [1, 2, 3, 4], "straight to the stream again"


def test_a_listener_whose_join_and_leave_are_retried_is_counted_once(speaking: tuple[Ws, str]) -> None:
    sockets, session_id = speaking
    lose_every_write_once()
    listener = sockets.listener(session_id)
    assert sockets.listener_count(session_id) == 1
    lose_every_write_once()
    sockets.disconnect(listener)
    assert sockets.listener_count(session_id) == 0
    assert sockets.live_listener_records(session_id) == 0


@pytest.mark.parametrize("role", ["listener", "speaker"])
def test_a_connect_whose_answers_are_all_lost_is_refused_whole(speaking: tuple[Ws, str], role: str) -> None:
    """The write lands but every answer is lost until the SDK gives up: the client is refused with
    503, so the connect is undone (no orphan record, no inflated count) and its reconnect counts once."""
    sockets, session_id = speaking
    query = {"sessionId": session_id, "targetLanguage": "es"} if role == "listener" else {"sessionId": session_id}
    user = WS_SPEAKER if role == "speaker" else None
    write = "TransactWriteItems" if role == "listener" else "PutItem"
    lost = lose_responses(aws_clients.dynamodb_client(), write, times=4)  # every attempt the client makes
    refused = sockets.connect(query, user)
    assert (refused.status, lost.hits) == (503, 4)
    assert connection_items() == [], "the refused connect left a record"
    assert sockets.listener_count(session_id) == 0
    assert sockets.connect(query, user).status == 200
    assert len(connection_items()) == 1
    assert sockets.listener_count(session_id) == (1 if role == "listener" else 0)


def connection_items() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = boto3.client("dynamodb").scan(TableName="t-connections")["Items"]
    return items


def test_an_expiry_whose_write_is_retried_is_reported_once(speaking: tuple[Ws, str]) -> None:
    sockets, session_id = speaking
    sockets.listener(session_id)  # the sweep looks at the sessions of the connections it finds
    sockets.dynamodb.update_item(
        TableName="t-sessions",
        Key={"sessionId": {"S": session_id}},
        UpdateExpression="SET expiresAt = :past",
        ExpressionAttributeValues={":past": {"N": "1"}},
    )
    lose_every_write_once()
    report = sweeper_handler.lambda_handler({"id": "sweep"}, None)
    assert report["sessions_expired"] == 1
    assert sockets.session_item(session_id)["version"]["N"] == "2"


def test_a_legacy_creation_whose_writes_are_retried_is_one_session(speaking: tuple[Ws, str]) -> None:
    sockets, _ = speaking
    legacy = sockets.connect({"token": "t"}, "legacy-speaker")
    lose_every_write_once()
    [created] = sockets.send(legacy, {"action": "createSession", "sourceLanguage": "fr"})
    [again] = sockets.send(legacy, {"action": "createSession", "sourceLanguage": "fr"})  # its reply was lost
    assert created["type"] == again["type"] == "sessionCreated"
    assert created["sessionId"] == again["sessionId"]
    items = sockets.dynamodb.scan(TableName="t-sessions")["Items"]
    assert [i["sessionId"]["S"] for i in items if i["speakerId"]["S"] == "legacy-speaker"] == [created["sessionId"]]
