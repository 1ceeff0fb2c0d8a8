"""The WebSocket functions through their handlers on recorded-shape events, with an in-process
DynamoDB and Kinesis (moto) and a recording @connections API."""

from __future__ import annotations

import base64
import json
import threading
from typing import Any

import pytest
from broadcast import handler as broadcast_handler
from ws_connect import handler as connect_handler

from tests.support.report import record
from tests.support.ws_harness import (
    INTRUDER,
    SPEAKER,
    Connection,
    Ws,
    chunk,
    kinesis_records,
)

# --- $connect -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "user", "status"),
    [
        ({}, None, 400),
        ({"sessionId": "Not A Session"}, None, 400),
        ({"sessionId": "holy-light-123"}, None, 400),  # listener without targetLanguage
        ({"sessionId": "holy-light-123", "targetLanguage": "xx"}, None, 400),
        ({"sessionId": "holy-light-123", "targetLanguage": "es"}, None, 404),
        ({"sessionId": "holy-light-123", "token": "t"}, SPEAKER, 404),
    ],
)
def test_connect_rejections(ws: Ws, query: dict[str, str], user: str | None, status: int) -> None:
    assert ws.connect(query, user).status == status


def test_connect_rules_for_owner_ended_and_full(ws: Ws, monkeypatch: pytest.MonkeyPatch) -> None:
    session_id = ws.session()
    assert ws.connect({"sessionId": session_id, "token": "t"}, INTRUDER).status == 403
    assert ws.connect({"sessionId": session_id, "token": "t"}, SPEAKER).status == 200
    monkeypatch.setenv("MAX_LISTENERS_PER_SESSION", "2")
    from babelcast.settings import forget_settings

    forget_settings()
    connect_handler.dependencies.cache_clear()
    ws.listener(session_id)
    ws.listener(session_id, "fr")
    assert ws.connect({"sessionId": session_id, "targetLanguage": "de"}).status == 429
    assert ws.listener_count(session_id) == 2
    ws.dynamodb.update_item(
        TableName="t-sessions",
        Key={"sessionId": {"S": session_id}},
        UpdateExpression="SET #s = :e",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":e": {"S": "ended"}},
    )
    assert ws.connect({"sessionId": session_id, "targetLanguage": "es"}).status == 403
    assert ws.connect({"sessionId": session_id, "token": "t"}, SPEAKER).status == 403


def test_speaker_reconnects_and_disconnects_without_ending(ws: Ws) -> None:
    session_id = ws.session()
    first = ws.speaker(session_id)
    ws.disconnect(first)
    second = ws.speaker(session_id)
    assert second.status == 200
    assert ws.session_item(session_id)["status"]["S"] == "active"


def test_disconnect_is_idempotent_and_count_never_negative(ws: Ws) -> None:
    session_id = ws.session()
    listener = ws.listener(session_id)
    assert ws.listener_count(session_id) == 1
    ws.disconnect(listener)
    ws.disconnect(listener)
    assert ws.listener_count(session_id) == 0


def test_concurrent_connects_and_disconnects_keep_the_count_exact(ws_racing: Ws) -> None:
    ws = ws_racing
    session_id = ws.session()
    connections: list[Connection] = []
    lock = threading.Lock()

    def join(index: int) -> None:
        connection = ws.connect({"sessionId": session_id, "targetLanguage": ["es", "fr", "de"][index % 3]})
        with lock:
            connections.append(connection)

    threads = [threading.Thread(target=join, args=(i,)) for i in range(200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # on a loaded machine a join can time out (503): refused whole, it must leave nothing behind
    assert {c.status for c in connections} <= {200, 503}
    joined = [c for c in connections if c.status == 200]
    assert joined
    record("concurrent joins", "refused with 503 (of 200)", len(connections) - len(joined))
    leaving = joined[::2]
    threads = [threading.Thread(target=ws.disconnect, args=(c,)) for c in leaving + leaving[:20]]  # some twice
    threads += [  # while the others change language (per-language counters move in the same transactions)
        threading.Thread(target=ws.send, args=(c, {"action": "changeLanguage", "targetLanguage": "it"}))
        for c in joined[1::2][:40]
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert ws.live_listener_records(session_id) == ws.listener_count(session_id) == len(joined) - len(leaving)
    languages = ws.live_listener_languages(session_id)
    assert ws.language_counts(session_id) == languages and languages.get("it") == 40  # per language too
    from babelcast.integration.sessions_table import SessionsTable

    found = SessionsTable("t-sessions").get(session_id)  # what GET /sessions/{id} answers
    assert found is not None and found.listeners_by_language == languages


def test_legacy_creation_over_the_socket(ws: Ws, monkeypatch: pytest.MonkeyPatch) -> None:
    speaker = ws.connect({"token": "t"}, SPEAKER)
    assert speaker.status == 200
    [created] = ws.send(speaker, {"action": "createSession", "sourceLanguage": "fr", "qualityTier": "premium"})
    assert created["type"] == "sessionCreated"
    session = created["session"]
    assert (session["speakerId"], session["sourceLanguage"], session["status"]) == (SPEAKER, "fr", "active")
    assert ws.send(speaker, {"action": "getSessionStatus"})[0]["session"]["sessionId"] == created["sessionId"]
    [again] = ws.send(speaker, {"action": "createSession", "sourceLanguage": "fr"})  # a retry after a lost reply
    assert (again["type"], again["sessionId"]) == ("sessionCreated", created["sessionId"])
    sessions = [i for i in ws.dynamodb.scan(TableName="t-sessions")["Items"] if i["speakerId"]["S"] == SPEAKER]
    assert len(sessions) == 1, "one connection, one session"
    monkeypatch.setenv("LEGACY_CREATION_ENABLED", "false")
    from babelcast.settings import forget_settings

    forget_settings()
    connect_handler.dependencies.cache_clear()
    assert ws.connect({"token": "t"}, SPEAKER).status == 403


def test_a_rate_limited_legacy_creation_says_when_to_retry(ws: Ws) -> None:
    """RATE_LIMITED over the socket carries retryAfter (seconds), as HTTP's Retry-After does."""
    replies: list[dict[str, Any]] = []
    # 10 a minute per speaker, in fixed windows: up to 20 pass if a window ends inside the burst
    while len(replies) < 21 and not any(r["type"] == "error" for r in replies):
        speaker = ws.connect({"token": "t"}, "limited-speaker")
        replies += ws.send(speaker, {"action": "createSession", "sourceLanguage": "fr"})
    limited = [r for r in replies if r["type"] == "error"]
    assert limited and all(r["code"] == "RATE_LIMITED" for r in limited)
    assert all(isinstance(r["retryAfter"], int) and 1 <= r["retryAfter"] <= 60 for r in limited)
    assert all("retryAfter" not in r for r in replies if r["type"] != "error")


# --- messages -------------------------------------------------------------------------------------


def test_audio_goes_to_kinesis_with_the_session_metadata(ws: Ws) -> None:
    session_id = ws.session(language="de")
    speaker = ws.speaker(session_id)
    ws.calls.take()
    [ack] = ws.send(speaker, {"action": "sendAudio", "audioData": chunk(), "sequence": 1})
    assert ack == {"type": "audioAck", "sequence": 1, "buffered": 0}  # the first chunk of its second
    calls = ws.calls.take()
    [data] = kinesis_records()
    assert data["_partitionKey"] == session_id
    assert {
        k: data[k] for k in ("sessionId", "sequence", "sourceLanguage", "qualityTier", "encoding", "sampleRate")
    } == {
        "sessionId": session_id,
        "sequence": 1,
        "sourceLanguage": "de",
        "qualityTier": "standard",
        "encoding": "pcm_s16le",
        "sampleRate": 16000,
    }
    assert data["audioData"] == chunk() and data["receivedAt"] > 0
    assert calls == {"UpdateItem": 1, "PutRecord": 1}  # the write also counts the bytes (analytics)
    record("AWS calls per WebSocket operation", "sendAudio (active)", dict(calls))


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"action": "sendAudio", "audioData": "***not base64***", "sequence": 1}, "INVALID_AUDIO"),
        (
            {"action": "sendAudio", "audioData": base64.b64encode(b"x" * (1024 * 1024 + 1)).decode(), "sequence": 1},
            "AUDIO_TOO_LARGE",
        ),
        ({"action": "sendAudio", "audioData": "AAAA", "sequence": 2**64}, "VALIDATION_ERROR"),
        ({"action": "sendAudio", "audioData": "AAAA", "sequence": "1"}, "VALIDATION_ERROR"),
        ({"action": "sendAudio", "audioData": 5, "sequence": 1}, "VALIDATION_ERROR"),
        ({"action": "dance"}, "UNKNOWN_ACTION"),
        ("not json", "INVALID_MESSAGE"),
        ("[1, 2]", "INVALID_MESSAGE"),
    ],
)
def test_bad_messages_get_an_error_and_keep_the_socket(ws: Ws, body: Any, code: str) -> None:
    speaker = ws.speaker(ws.session())
    [reply] = ws.send(speaker, body)
    assert (reply["type"], reply["code"]) == ("error", code)
    assert ws.send(speaker, {"action": "heartbeat"})[0]["type"] == "heartbeatAck"
    assert speaker.id not in ws.api.closed


@pytest.mark.parametrize(
    ("action", "echoed"),
    [("x" * 100_000, "x" * 64), (["sendAudio"], ""), ({"a": 1}, "")],
    ids=["100 KB", "list", "object"],
)
def test_unknown_actions_are_echoed_bounded_and_never_logged_whole(
    ws: Ws, capsys: pytest.CaptureFixture[str], action: Any, echoed: str
) -> None:
    """The reply and the log line carry at most 64 characters of a client's action (a 100 KB one
    would otherwise bloat logs and overflow the 128 KB @connections post)."""
    speaker = ws.speaker(ws.session())
    capsys.readouterr()
    [reply] = ws.send(speaker, {"action": action})
    assert (reply["code"], reply["action"]) == ("UNKNOWN_ACTION", echoed)
    assert max(len(line) for line in capsys.readouterr().out.splitlines()) < 2_000


def test_only_the_speaker_sends_audio_and_controls(ws: Ws) -> None:
    session_id = ws.session()
    listener = ws.listener(session_id)
    for body in (
        {"action": "sendAudio", "audioData": chunk(), "sequence": 1},
        {"action": "pauseBroadcast"},
        {"action": "resumeBroadcast"},
    ):
        assert ws.send(listener, body)[0]["code"] == "NOT_SPEAKER"
    assert kinesis_records() == []


def test_audio_after_the_end_is_refused(ws: Ws) -> None:
    session_id = ws.session()
    speaker = ws.speaker(session_id)
    ws.dynamodb.update_item(
        TableName="t-sessions",
        Key={"sessionId": {"S": session_id}},
        UpdateExpression="SET #s = :e",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":e": {"S": "ended"}},
    )
    assert ws.send(speaker, {"action": "sendAudio", "audioData": chunk(), "sequence": 1})[0]["code"] == "SESSION_ENDED"


def test_paused_audio_is_buffered_then_flushed_in_order_before_newer_chunks(ws: Ws) -> None:
    session_id = ws.session()
    speaker = ws.speaker(session_id)
    ws.send(speaker, {"action": "sendAudio", "audioData": chunk(), "sequence": 1})
    ws.send(speaker, {"action": "pauseBroadcast"})
    for sequence in range(2, 7):
        ws.send(speaker, {"action": "sendAudio", "audioData": chunk(), "sequence": sequence})
    assert [r["sequence"] for r in kinesis_records()] == [1]
    ws.send(speaker, {"action": "resumeBroadcast"})
    ws.send(speaker, {"action": "sendAudio", "audioData": chunk(), "sequence": 7})
    assert [r["sequence"] for r in kinesis_records()] == [1, 2, 3, 4, 5, 6, 7]
    item = ws.session_item(session_id)
    assert item["bufferDepth"]["N"] == "0" and item["bufferBytes"]["N"] == "0"


def test_buffer_keeps_at_most_30_seconds_dropping_the_oldest_with_a_warning(ws: Ws) -> None:
    session_id = ws.session()
    speaker = ws.speaker(session_id)
    ws.send(speaker, {"action": "pauseBroadcast"})
    warnings = []
    for sequence in range(35):  # 35 one-second chunks
        replies = ws.send(speaker, {"action": "sendAudio", "audioData": chunk(1.0), "sequence": sequence})
        warnings += [reply for reply in replies if reply["type"] != "audioAck"]
    assert warnings and all(w["code"] == "AUDIO_BUFFER_FULL" for w in warnings)
    ws.send(speaker, {"action": "resumeBroadcast"})
    assert [r["sequence"] for r in kinesis_records()] == list(range(5, 35))


def test_pause_resume_and_end_fan_out_to_every_connection(ws: Ws) -> None:
    session_id = ws.session()
    speaker = ws.speaker(session_id)
    listeners = [ws.listener(session_id, language) for language in ("es", "fr", "es")]
    before = ws.session_item(session_id)
    ws.send(speaker, {"action": "pauseBroadcast"})
    assert ws.stream_change(session_id, before) == {"batchItemFailures": []}
    before = ws.session_item(session_id)
    ws.send(speaker, {"action": "resumeBroadcast"})
    ws.stream_change(session_id, before)
    before = ws.session_item(session_id)
    from babelcast.domain.sessions import SessionPolicy, SessionService
    from babelcast.integration.sessions_table import SessionsTable
    from babelcast.metrics import Metrics

    SessionService(SessionsTable("t-sessions"), SessionPolicy(["en"]), Metrics("x", {})).end(
        session_id, SPEAKER
    )  # what DELETE /sessions/{id} does
    ws.stream_change(session_id, before)
    for connection in [speaker, *listeners]:
        # each pause/resume is followed by its legacy twin (docs/websocket-protocol.md#the-legacy-dialect)
        assert ws.api.types(connection.id) == [
            "sessionPaused",
            "broadcastPaused",
            "sessionResumed",
            "broadcastResumed",
            "sessionEnded",
        ]
        assert connection.id in ws.api.closed
    assert ws.api.posted[listeners[0].id][-1]["reason"] == "speaker"
    assert ws.listener_count(session_id) == 0
    assert ws.live_listener_records(session_id) == 0
    assert ws.language_counts(session_id) == {}, "the end resets the per-language counters too"


def test_broadcast_reaches_one_language_and_drops_gone_listeners(ws: Ws) -> None:
    session_id = ws.session()
    spanish = [ws.listener(session_id, "es") for _ in range(3)]
    french = ws.listener(session_id, "fr")
    ws.api.live.discard(spanish[2].id)  # its socket died without a $disconnect
    segment = {"sessionId": session_id, "targetLanguage": "es", "payload": {"type": "translatedAudio", "text": "hola"}}
    event = {
        "Records": [
            {
                "kinesis": {
                    "data": base64.b64encode(json.dumps(segment).encode()).decode(),
                    "sequenceNumber": "1",
                    "partitionKey": session_id,
                },
                "eventID": "e1",
            }
        ]
    }
    assert broadcast_handler.lambda_handler(event, None) == {"batchItemFailures": []}
    assert ws.api.types(spanish[0].id) == ws.api.types(spanish[1].id) == ["translatedAudio"]
    assert ws.api.types(french.id) == []
    assert ws.listener_count(session_id) == 3
    assert ws.live_listener_records(session_id) == 3


def test_sweep_removes_stale_connections_requests_refresh_and_ends_expired(
    ws: Ws, monkeypatch: pytest.MonkeyPatch
) -> None:
    session_id = ws.session()
    stale = ws.listener(session_id)
    fresh = ws.listener(session_id)
    ws.api.live.discard(stale.id)
    ws.dynamodb.update_item(
        TableName="t-connections",
        Key={"connectionId": {"S": fresh.id}},
        UpdateExpression="SET connectedAt = :old",
        ExpressionAttributeValues={":old": {"N": "1"}},
    )
    ws.dynamodb.update_item(
        TableName="t-sessions",
        Key={"sessionId": {"S": session_id}},
        UpdateExpression="SET expiresAt = :past",
        ExpressionAttributeValues={":past": {"N": "1"}},
    )
    report = ws.sweep("evt-1")
    assert (report["stale_removed"], report["refresh_requested"], report["sessions_expired"]) == (1, 1, 1)
    assert ws.api.types(fresh.id) == ["connectionRefreshRequired"]
    assert ws.listener_count(session_id) == 1
    item = ws.session_item(session_id)
    assert (item["status"]["S"], item["endReason"]["S"]) == ("ended", "expired")
    again = ws.sweep("evt-2")
    assert (again["refresh_requested"], again["sessions_expired"]) == (0, 0)


def test_the_sweep_leaves_a_connection_inside_its_connect_alone(ws: Ws, monkeypatch: pytest.MonkeyPatch) -> None:
    """The sweep runs between the record's write and the end of $connect, when @connections still
    answers 410 for the socket: the listener must keep its record (else its first post is a 410)."""
    session_id = ws.session()
    connections = connect_handler.dependencies().service.connections
    add_listener = connections.add_listener
    reports: list[dict[str, Any]] = []

    def swept_mid_connect(record: Any, max_listeners: int) -> None:
        add_listener(record, max_listeners)
        reports.append(ws.sweep(later_ms=1000))  # one second into $connect

    monkeypatch.setattr(connections, "add_listener", swept_mid_connect)
    listener = ws.listener(session_id)
    assert [r["stale_removed"] for r in reports] == [0]
    assert ws.live_listener_records(session_id) == ws.listener_count(session_id) == 1
    ws.api.live.discard(listener.id)  # its socket goes without a $disconnect: past the grace, swept
    assert ws.sweep()["stale_removed"] == 1
    assert ws.live_listener_records(session_id) == ws.listener_count(session_id) == 0


def test_aws_calls_per_connect_and_disconnect(ws: Ws) -> None:
    session_id = ws.session()
    ws.calls.take()
    listener = ws.listener(session_id)
    listener_connect = ws.calls.take()
    speaker = ws.speaker(session_id)
    speaker_connect = ws.calls.take()
    ws.disconnect(listener)
    listener_disconnect = ws.calls.take()
    ws.disconnect(speaker)
    speaker_disconnect = ws.calls.take()
    assert listener_connect == {"GetItem": 1, "TransactWriteItems": 1}
    assert speaker_connect == {"GetItem": 1, "PutItem": 1}
    assert listener_disconnect == {"GetItem": 1, "TransactWriteItems": 1}
    assert speaker_disconnect == {"GetItem": 1, "DeleteItem": 1}
    for name, calls in (
        ("$connect (listener)", listener_connect),
        ("$connect (speaker)", speaker_connect),
        ("$disconnect (listener)", listener_disconnect),
        ("$disconnect (speaker)", speaker_disconnect),
    ):
        record("AWS calls per WebSocket operation", name, dict(calls))
