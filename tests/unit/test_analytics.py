"""Session analytics, metric dimension sets and the correlation id across the change stream:
the WebSocket functions and the HTTP handler on an in-process DynamoDB/Kinesis (moto)."""

from __future__ import annotations

import base64
import io
import itertools
import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from babelcast.domain.analytics import AnalyticsService
from babelcast.domain.sessions import SessionPolicy, SessionService
from babelcast.integration.sessions_table import SessionsTable
from babelcast.metrics import Metrics
from broadcast import handler as broadcast_handler
from http_api import handler as http_handler
from session_events import handler as events_handler
from ws_connect import handler as connect_handler
from ws_disconnect import handler as disconnect_handler

from tests.support.http_events import OTHER_SPEAKER, SPEAKER
from tests.support.http_harness import ENVIRONMENT, Api, assert_error
from tests.support.report import record
from tests.support.ws_harness import SPEAKER as WS_SPEAKER
from tests.support.ws_harness import Ws, chunk, kinesis_records

ANALYTICS_FIELDS = {
    "sessionId",
    "status",
    "createdAt",
    "endedAt",
    "durationSeconds",
    "currentListeners",
    "peakListeners",
    "listenerMinutes",
    "audioBytes",
    "audioSeconds",
}


class Clock:
    def __init__(self) -> None:
        self.now = time.time_ns() // 1_000_000 + 1_000

    def __call__(self) -> int:
        return self.now

    def advance(self, ms: int) -> None:
        self.now += ms


def emf(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith('{"_aws"')]


def directive(document: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = document["_aws"]["CloudWatchMetrics"][0]
    return found


def published(documents: list[dict[str, Any]], name: str) -> list[tuple[str, list[list[str]], Any]]:
    """(unit, dimension sets, value) of every document carrying ``name``."""
    found = []
    for document in documents:
        for metric in directive(document)["Metrics"]:
            if metric["Name"] == name:
                found.append((metric["Unit"], directive(document)["Dimensions"], document[name]))
    return found


# --- Metrics: several dimension sets -------------------------------------------------------------


def test_a_metric_can_be_published_under_several_dimension_sets() -> None:
    stream = io.StringIO()
    metrics = Metrics("Babelcast/Test", {"Environment": "test"}, stream=stream)
    metrics.add("WebSocketConnectionRejected", 1, dimensions={"Reason": "SESSION_FULL"}, rollup=True)
    metrics.add("WebSocketConnectionRejected", 1, dimensions={"Reason": "SESSION_FULL"}, rollup=True)
    metrics.add("WebSocketConnectionRejected", 1, dimensions={"Reason": "FORBIDDEN"}, rollup=True)
    metrics.add("X", 1, dimensions={"A": "a", "B": "b"}, dimension_sets=[["Environment", "A"]])
    with pytest.raises(ValueError, match="unknown dimensions"):
        metrics.add("X", 1, dimension_sets=[["Nope"]])
    metrics.flush()
    documents = emf(stream.getvalue())
    rejected = {
        d["Reason"]: (directive(d)["Dimensions"], d["WebSocketConnectionRejected"]) for d in documents if "Reason" in d
    }
    both = [["Environment", "Reason"], ["Environment"]]
    assert rejected == {"SESSION_FULL": (both, [1.0, 1.0]), "FORBIDDEN": (both, 1.0)}
    [(_, sets, _)] = published(documents, "X")
    assert sets == [["A", "B", "Environment"], ["A", "Environment"]]


def test_every_operational_metric_has_its_unit_and_rollup(
    ws: Ws,
    capsys: pytest.CaptureFixture[str],
) -> None:
    session_id = ws.session(language="es")
    speaker = ws.speaker(session_id)
    listener = ws.listener(session_id, "fr")
    assert ws.connect({"sessionId": "holy-light-999", "targetLanguage": "fr"}).status == 404
    ws.send(speaker, {"action": "sendAudio", "audioData": chunk(), "sequence": 1})
    segment = {"sessionId": session_id, "targetLanguage": "fr", "payload": {"type": "translatedText", "text": "x"}}
    data = base64.b64encode(json.dumps(segment).encode()).decode()
    broadcast_handler.lambda_handler({"Records": [{"kinesis": {"data": data, "sequenceNumber": "1"}}]}, None)
    ws.api.live.discard(listener.id)  # gone without a $disconnect: the sweep removes it
    ws.sweep("evt")
    documents = emf(capsys.readouterr().out)

    rollup = ["Environment"]
    expectations = {
        "WebSocketConnectionCount": ("Count", [["Environment", "Role"], rollup]),
        "WebSocketConnectionRejected": ("Count", [["Environment", "Reason"], rollup]),
        "BroadcastDelivered": ("Count", [["Environment", "TargetLanguage"], rollup]),
        "BroadcastFailed": ("Count", [["Environment", "TargetLanguage"], rollup]),
        "AudioBytes": ("Bytes", [rollup]),
        "WebSocketConnectDuration": ("Milliseconds", [rollup]),
        "WebSocketMessageDuration": ("Milliseconds", [["Action", "Environment"]]),
        "LiveConnections": ("Count", [rollup]),
    }
    for name, (unit, sets) in expectations.items():
        found = published(documents, name)
        assert found, f"{name} not emitted"
        assert {(u, json.dumps(s)) for u, s, _ in found} == {(unit, json.dumps(sets))}, name
    assert [value for *_, value in published(documents, "AudioBytes")] == [3200.0]
    assert [value for *_, value in published(documents, "BroadcastDelivered")] == [1.0]
    # the sweep saw the speaker and the listener; the listener's socket was gone
    assert [value for *_, value in published(documents, "LiveConnections")] == [1.0]


def test_session_creation_and_end_metrics_through_the_http_handler(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    session_id = api.create("pt").body["sessionId"]
    api("DELETE /sessions/{sessionId}", f"/sessions/{session_id}")
    documents = emf(capsys.readouterr().out)
    assert {(u, json.dumps(s)) for u, s, _ in published(documents, "SessionCreationCount")} == {
        ("Count", json.dumps([["Environment", "SourceLanguage"], ["Environment"]]))
    }
    assert [u for u, *_ in published(documents, "SessionDeletionCount")] == ["Count"]
    assert [u for u, *_ in published(documents, "SessionDuration")] == ["Seconds"]
    assert {u for u, *_ in published(documents, "SessionCreationDuration")} == {"Milliseconds"}
    assert {u for u, *_ in published(documents, "SessionDeletionDuration")} == {"Milliseconds"}


# --- usage counters through the WebSocket functions ----------------------------------------------


@pytest.fixture
def clock(ws: Ws, monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    fake = Clock()
    monkeypatch.setattr(connect_handler, "_now_ms", fake)
    disconnect_handler.dependencies().service.clock_ms = fake
    monkeypatch.setattr(events_handler.dependencies().audience, "clock_ms", fake)  # minutes apart: no wait
    yield fake


def analytics(session_id: str, clock: Clock) -> dict[str, Any]:
    return AnalyticsService(SessionsTable("t-sessions"), clock).for_owner(session_id, WS_SPEAKER).to_api()


def test_listeners_peak_minutes_and_audio_are_counted_without_extra_calls(
    ws: Ws,
    clock: Clock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    session_id = ws.session()
    created_at = int(ws.session_item(session_id)["createdAt"]["N"])
    speaker = ws.speaker(session_id)
    before = ws.session_item(session_id)
    first = ws.listener(session_id, "es")
    ws.calls.take()
    ws.stream_change(session_id, before)
    first_join = ws.calls.take()
    clock.advance(60_000)
    before = ws.session_item(session_id)
    second = ws.listener(session_id, "fr")
    ws.stream_change(session_id, before)
    clock.advance(30_000)
    before = ws.session_item(session_id)
    ws.disconnect(first)  # listened 90 s
    ws.calls.take()
    ws.stream_change(session_id, before)
    leave = ws.calls.take()
    # a new peak: one write by the stream consumer; the audienceUpdate: its claim and the speaker lookup
    assert first_join == {"UpdateItem": 2, "Query": 1}
    assert leave == {"UpdateItem": 1, "Query": 1}  # no new peak: the audienceUpdate only

    for sequence in (1, 2, 3):  # 3 x 0.1 s straight to the stream
        ws.send(speaker, {"action": "sendAudio", "audioData": chunk(), "sequence": sequence})
    ws.send(speaker, {"action": "pauseBroadcast"})
    for sequence in (4, 5):  # buffered while paused: counted when the resume forwards them
        ws.send(speaker, {"action": "sendAudio", "audioData": chunk(), "sequence": sequence})
    assert ws.session_item(session_id)["audioBytes"]["N"] == str(3 * 3200)
    ws.send(speaker, {"action": "resumeBroadcast"})
    assert [r["sequence"] for r in kinesis_records()] == [1, 2, 3, 4, 5]

    ws.calls.take()
    live = analytics(session_id, clock)
    assert ws.calls.take() == {"GetItem": 1}
    assert set(live) == ANALYTICS_FIELDS
    assert live["status"] == "active" and live["endedAt"] is None
    assert live["currentListeners"] == 1 and live["peakListeners"] == 2
    # 90 s of the first listener + 30 s so far of the second, still connected
    assert live["listenerMinutes"] == 2.0
    assert live["audioBytes"] == 5 * 3200 and live["audioSeconds"] == 0.5
    assert live["durationSeconds"] == round((clock.now - created_at) / 1000, 3)

    clock.advance(30_000)
    before = ws.session_item(session_id)
    SessionService(SessionsTable("t-sessions"), SessionPolicy(["en"]), Metrics("x", {}), clock_ms=clock).end(
        session_id, WS_SPEAKER
    )
    clock.advance(600_000)  # the session is over: reading later changes nothing
    capsys.readouterr()
    ws.stream_change(session_id, before)
    ended = analytics(session_id, clock)
    assert ended["status"] == "ended" and ended["currentListeners"] == 0 and ended["peakListeners"] == 2
    assert ended["listenerMinutes"] == 2.5  # the second listener's 60 s up to the end were settled
    assert ended["durationSeconds"] == round((ended["endedAt"] - created_at) / 1000, 3)
    item = ws.session_item(session_id)
    assert (item["listenerCount"]["N"], item["listenerConnectedSum"]["N"]) == ("0", "0")
    ws.disconnect(second)  # its $disconnect after the end adds nothing more
    assert analytics(session_id, clock)["listenerMinutes"] == 2.5

    documents = emf(capsys.readouterr().out)
    names = ("SessionPeakListeners", "SessionListenerMinutes", "SessionAudioSeconds", "SessionAudioBytes")
    end_metrics = {name: published(documents, name) for name in names}
    assert end_metrics == {
        "SessionPeakListeners": [("Count", [["Environment"]], 2.0)],
        "SessionListenerMinutes": [("None", [["Environment"]], 2.5)],
        "SessionAudioSeconds": [("Seconds", [["Environment"]], 0.5)],
        "SessionAudioBytes": [("Bytes", [["Environment"]], 16000.0)],
    }
    record("AWS calls per WebSocket operation", "session_events (listener joins, new peak)", dict(first_join))


def test_a_disconnect_racing_the_end_is_not_counted_twice(ws: Ws, clock: Clock) -> None:
    session_id = ws.session()
    listeners = [ws.listener(session_id) for _ in range(2)]
    clock.advance(60_000)
    before = ws.session_item(session_id)
    SessionService(SessionsTable("t-sessions"), SessionPolicy(["en"]), Metrics("x", {}), clock_ms=clock).end(
        session_id, WS_SPEAKER
    )
    stale_image = ws.session_item(session_id)  # what the stream record carries
    ws.disconnect(listeners[0])  # lands between the end and its settlement: adds its own 60 s

    event = {
        "Records": [
            {
                "eventID": "9",
                "eventName": "MODIFY",
                "dynamodb": {
                    "Keys": {"sessionId": {"S": session_id}},
                    "OldImage": before,
                    "NewImage": stale_image,
                    "SequenceNumber": "9",
                    "StreamViewType": "NEW_AND_OLD_IMAGES",
                },
            }
        ]
    }
    assert events_handler.lambda_handler(event, None) == {"batchItemFailures": []}
    assert analytics(session_id, clock)["listenerMinutes"] == 2.0  # 2 listeners x 60 s, once each


def test_a_batch_of_joins_raises_the_peak_with_one_write(ws: Ws) -> None:

    session_id = ws.session()
    images = [ws.session_item(session_id)]
    listeners = []
    for _ in range(3):
        listeners.append(ws.listener(session_id))
        images.append(ws.session_item(session_id))
    ws.disconnect(listeners[0])
    images.append(ws.session_item(session_id))
    pairs = enumerate(itertools.pairwise(images))
    records = [
        {
            "eventID": str(i),
            "eventName": "MODIFY",
            "dynamodb": {"OldImage": old, "NewImage": new, "SequenceNumber": str(i)},
        }
        for i, (old, new) in pairs
    ]
    ws.calls.take()
    assert events_handler.lambda_handler({"Records": records}, None) == {"batchItemFailures": []}
    assert ws.calls.take() == {"UpdateItem": 2, "Query": 1}  # the peak; one audienceUpdate for the batch
    assert ws.session_item(session_id)["peakListeners"] == {"N": "3"}
    assert events_handler.lambda_handler({"Records": records}, None) == {"batchItemFailures": []}
    assert ws.calls.take() == {"UpdateItem": 2}  # a redelivered batch: both conditional writes refuse
    assert ws.session_item(session_id)["peakListeners"] == {"N": "3"}


# --- correlation id through the change stream ------------------------------------------------------


def test_a_websocket_write_carries_its_correlation_id_through_the_stream(
    ws: Ws,
    capsys: pytest.CaptureFixture[str],
) -> None:
    session_id = ws.session()
    speaker = ws.speaker(session_id)
    listener = ws.listener(session_id)
    before = ws.session_item(session_id)
    capsys.readouterr()
    ws.send(speaker, {"action": "pauseBroadcast"})
    handled = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"message_handled"' in line]
    correlation_id = handled[0]["correlation_id"]
    assert ws.session_item(session_id)["correlationId"] == {"S": correlation_id}
    ws.stream_change(session_id, before)
    lines = [
        json.loads(line)
        for line in capsys.readouterr().out.splitlines()
        if line.startswith("{") and '"_aws"' not in line
    ]
    notified = [line for line in lines if line["event"] == "session_notified"]
    assert notified and all(line["correlation_id"] == correlation_id for line in notified)
    assert ws.api.posted[listener.id][-1]["correlationId"] == correlation_id
    assert "correlationId" not in ws.send(speaker, {"action": "getSessionStatus"})[0]["session"]


# --- GET /sessions/{sessionId}/analytics ----------------------------------------------------------


def get_analytics(api: Api, session_id: str, sub: str | None = SPEAKER) -> Any:
    return api("GET /sessions/{sessionId}/analytics", f"/sessions/{session_id}/analytics", sub=sub)


def test_analytics_route_answers_the_owner_only(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    session = api.create("en").body
    session_id = session["sessionId"]
    created_at = session["createdAt"]
    # two listeners still connected since 60 s and 120 s after creation, 3 minutes already
    # counted for listeners who left, 32 000 bytes of 16 kHz PCM (1 s)
    boto3.client("dynamodb", region_name="us-east-1").update_item(
        TableName=ENVIRONMENT["SESSIONS_TABLE_NAME"],
        Key={"sessionId": {"S": session_id}},
        UpdateExpression="SET listenerCount = :c, listenerConnectedSum = :s, listenerMs = :m, audioBytes = :b, "
        "peakListeners = :p",
        ExpressionAttributeValues={
            ":c": {"N": "2"},
            ":s": {"N": str(2 * created_at + 180_000)},
            ":m": {"N": "180000"},
            ":b": {"N": "32000"},
            ":p": {"N": "4"},
        },
    )
    http_handler.dependencies().analytics.clock_ms = lambda: created_at + 240_000
    response, calls = api.count_calls(lambda: get_analytics(api, session_id))
    assert response.status == 200
    assert response.body == {
        "sessionId": session_id,
        "status": "active",
        "createdAt": created_at,
        "endedAt": None,
        "durationSeconds": 240.0,
        "currentListeners": 2,
        "peakListeners": 4,
        "listenerMinutes": 3 + (180_000 + 120_000) / 60_000,
        "audioBytes": 32000,
        "audioSeconds": 1.0,
    }
    assert calls == {"GetItem": 1}
    record("AWS calls per HTTP operation", "GET /sessions/{id}/analytics", dict(calls))

    assert_error(get_analytics(api, session_id, sub=OTHER_SPEAKER), 403, "FORBIDDEN")
    assert_error(get_analytics(api, "holy-light-999"), 404, "SESSION_NOT_FOUND")
    assert_error(get_analytics(api, "Not A Session"), 400, "INVALID_SESSION_ID")
    assert_error(get_analytics(api, session_id, sub=None), 401, "UNAUTHORIZED")
