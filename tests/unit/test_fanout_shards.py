"""Issue 17 item 1: the sharded fan-out of a segment (babelcast/domain/broadcast.py), on moto.

The broadcast function hands shards to asynchronous invocations of itself; here the dispatcher
records each shard's event as Lambda would receive it (the bytes ``shard_event`` sends), and the
test runs them through the handler, as Lambda would."""

from __future__ import annotations

import base64
import json
from collections import Counter
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import pytest
from babelcast.domain.broadcast import Broadcaster
from babelcast.domain.connection_records import Listener, Shard
from babelcast.integration import connections_api
from babelcast.integration.shard_invoker import MAX_EVENT_BYTES, shard_event
from botocore.exceptions import ClientError
from broadcast import handler as broadcast_handler

from tests.support.report import record
from tests.support.ws_harness import RecordingApi, Ws


class RecordingDispatcher:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def dispatch(self, shards: Sequence[Shard]) -> list[Shard]:
        self.events.extend(json.loads(shard_event(shard)) for shard in shards)
        return []

    def run(self) -> list[dict[str, Any]]:
        """Deliver the dispatched shards (and any they hand on) through the handler."""
        results = []
        while self.events:
            results.append(broadcast_handler.lambda_handler(self.events.pop(0), None))
        return results


def _broadcaster() -> Broadcaster:
    return broadcast_handler.dependencies().broadcaster


@pytest.fixture
def shards(ws: Ws) -> RecordingDispatcher:
    dispatcher = RecordingDispatcher()
    _broadcaster().dispatcher = dispatcher
    _broadcaster().shard_size = 10
    return dispatcher


def _segment(session_id: str, position: str, text: str = "hola", language: str = "es") -> dict[str, Any]:
    data = {"sessionId": session_id, "targetLanguage": language, "payload": {"text": text}}
    return {
        "Records": [
            {
                "kinesis": {
                    "data": base64.b64encode(json.dumps(data).encode()).decode(),
                    "sequenceNumber": position,
                    "partitionKey": session_id,
                },
                "eventID": f"shardId-000:{position}",
            }
        ]
    }


def _received(ws: Ws, connection_id: str) -> list[tuple[int, str]]:
    return [(m["sequence"], m["text"]) for m in ws.api.posted[connection_id] if m.get("type") == "translation"]


def test_a_segment_is_split_into_shards_and_every_listener_gets_it_once(ws: Ws, shards: RecordingDispatcher) -> None:
    session_id = ws.session()
    listeners = [ws.listener(session_id, "es") for _ in range(25)]
    french = ws.listener(session_id, "fr")
    assert broadcast_handler.lambda_handler(_segment(session_id, "101"), None) == {"batchItemFailures": []}
    own = [c.id for c in listeners if ws.api.posted[c.id]]
    sizes = [len(e["fanoutShard"]["connections"]) for e in shards.events]
    assert (len(own), sizes) == (10, [10, 5]), "the coordinator's own shard, then two dispatched"
    assert all(
        e["fanoutShard"]["payload"] == {"text": "hola", "type": "translation", "sequence": 1} for e in shards.events
    )
    assert {e["fanoutShard"]["correlationId"] for e in shards.events} == {"shardId-000:101"}, "the record's"
    assert shards.run() == [{"delivered": 10}, {"delivered": 5}]
    assert all(_received(ws, c.id) == [(1, "hola")] for c in listeners), "each listener exactly once"
    assert ws.api.posted[french.id] == []


def test_the_listener_set_is_kept_until_the_audience_changes(ws: Ws, shards: RecordingDispatcher) -> None:
    session_id = ws.session()
    first, second = ws.listener(session_id, "es"), ws.listener(session_id, "es")
    ws.calls.take()
    broadcast_handler.lambda_handler(_segment(session_id, "101"), None)
    miss = ws.calls.take()
    broadcast_handler.lambda_handler(_segment(session_id, "102"), None)
    hit = ws.calls.take()
    assert miss == {"UpdateItem": 1, "PutItem": 1, "GetItem": 1, "Query": 1}
    assert hit == {"UpdateItem": 1, "PutItem": 1, "GetItem": 1}, "nothing changed: no Query"
    record("AWS calls per WebSocket operation", "broadcast (one segment, listener set kept)", dict(hit))

    joined = ws.listener(session_id, "es")
    broadcast_handler.lambda_handler(_segment(session_id, "103"), None)
    assert ws.calls.take()["Query"] == 1
    assert _received(ws, joined.id) == [(3, "hola")], "a join is seen by the next segment"
    ws.disconnect(first)
    broadcast_handler.lambda_handler(_segment(session_id, "104"), None)
    assert ws.calls.take()["Query"] == 1
    ws.send(second, {"action": "changeLanguage", "targetLanguage": "fr"})
    broadcast_handler.lambda_handler(_segment(session_id, "105"), None)
    assert ws.calls.take()["Query"] == 1
    assert _received(ws, second.id) == [(1, "hola"), (2, "hola"), (3, "hola"), (4, "hola")], "not after its change"
    assert _received(ws, joined.id)[-1] == (5, "hola")


class ThrottlingApi(RecordingApi):
    """The real post_many (its backoff), over posts that answer 429 while ``throttled`` says so."""

    def __init__(self, live: set[str], throttled: Counter[str]) -> None:
        super().__init__(live=live)
        self.throttled = throttled

    def post_data(self, connection_id: str, data: bytes) -> bool:
        with self.lock:
            if self.throttled[connection_id] > 0:
                self.throttled[connection_id] -= 1
                raise ClientError({"Error": {"Code": "LimitExceededException", "Message": ""}}, "PostToConnection")
        return self.post(connection_id, json.loads(data))

    post_many = connections_api.ConnectionsApi.post_many


def test_a_throttled_post_is_retried_after_a_backoff(
    ws: Ws, shards: RecordingDispatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    session_id = ws.session()
    listeners = [ws.listener(session_id, "es") for _ in range(3)]
    pauses: list[float] = []
    monkeypatch.setattr(connections_api, "sleep", pauses.append)
    api = ThrottlingApi(ws.api.live, Counter({listeners[0].id: 3}))
    _broadcaster().api = api
    broadcast_handler.lambda_handler(_segment(session_id, "101"), None)
    assert all(len(api.posted[c.id]) == 1 for c in listeners)
    assert len(pauses) == 3 and all(0 <= p <= 0.4 for p in pauses), "jittered, growing ceilings"
    assert shards.events == []


def test_what_is_still_throttled_when_time_runs_out_goes_on_as_a_new_shard(
    ws: Ws, shards: RecordingDispatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    session_id = ws.session()
    stuck, fine = ws.listener(session_id, "es"), ws.listener(session_id, "es")
    monkeypatch.setattr(connections_api, "sleep", lambda _: None)
    # the posts' view of the invocation's time: too little for another attempt
    monkeypatch.setattr(connections_api, "budget", SimpleNamespace(remaining=lambda: 1.0))
    throttled = Counter({stuck.id: 1})
    api = ThrottlingApi(ws.api.live, throttled)
    _broadcaster().api = api
    broadcast_handler.lambda_handler(_segment(session_id, "101"), None)
    assert (len(api.posted[stuck.id]), len(api.posted[fine.id])) == (0, 1)
    [handed_on] = shards.events
    assert (handed_on["fanoutShard"]["attempt"], handed_on["fanoutShard"]["correlationId"]) == (1, "shardId-000:101")
    assert [c[0] for c in handed_on["fanoutShard"]["connections"]] == [stuck.id], "only what was not delivered"
    assert shards.run() == [{"delivered": 1}]
    assert [m["sequence"] for m in api.posted[stuck.id]] == [1] and len(api.posted[fine.id]) == 1

    throttled[stuck.id] = 99  # throttled on every attempt: given up after the third
    broadcast_handler.lambda_handler(_segment(session_id, "102"), None)
    assert [r["delivered"] for r in shards.run()] == [0, 0]
    assert [m["sequence"] for m in api.posted[stuck.id]] == [1]


def test_a_shard_removes_its_gone_listeners(ws: Ws, shards: RecordingDispatcher) -> None:
    session_id = ws.session()
    for _ in range(12):
        ws.listener(session_id, "es")
    version = int(ws.session_item(session_id)["audienceVersion"]["N"])
    broadcast_handler.lambda_handler(_segment(session_id, "101"), None)
    [event] = shards.events
    ws.api.live.discard(event["fanoutShard"]["connections"][0][0])  # its socket died unseen
    assert shards.run() == [{"delivered": 1}]
    assert ws.listener_count(session_id) == ws.live_listener_records(session_id) == 11
    assert int(ws.session_item(session_id)["audienceVersion"]["N"]) == version + 1


@pytest.mark.parametrize(
    "shard",
    [
        {},
        {"sessionId": "not a session id", "language": "es", "payload": {}, "connections": [["abc", 1]], "attempt": 0},
        {"sessionId": "quiet-lamb-123", "language": "es", "payload": {}, "connections": [], "attempt": 0},
        {"sessionId": "quiet-lamb-123", "language": "es", "payload": {}, "connections": [["a b", 1]], "attempt": 0},
        {"sessionId": "quiet-lamb-123", "language": "es", "payload": [], "connections": [["abc", 1]], "attempt": 0},
        {"sessionId": "quiet-lamb-123", "language": "es", "payload": {}, "connections": [["abc", "1"]], "attempt": 0},
        {"sessionId": "quiet-lamb-123", "language": "es", "payload": {}, "connections": [["abc", 1]], "attempt": -1},
        {"sessionId": "quiet-lamb-123", "language": "es", "payload": {}, "connections": [["a", 1]], "more": 1},
        "not an object",
    ],
)
def test_a_malformed_shard_event_is_logged_and_skipped(ws: Ws, shard: Any) -> None:
    assert broadcast_handler.lambda_handler({"fanoutShard": shard}, None) == {"delivered": 0}
    assert ws.api.calls["PostToConnection"] == 0


def test_the_largest_shard_fits_lambdas_asynchronous_event() -> None:
    """2 000 listeners (broadcast_shard_size's maximum) and a segment at @connections' 128 KB."""
    payload = {"type": "translation", "sequence": 123456, "translatedAudio": "A" * (128 * 1024 - 100)}
    listeners = tuple(Listener(f"AbCdEfGhIj{n:05d}=", 1_796_000_000_000 + n) for n in range(2000))
    assert len(shard_event(Shard("quiet-lamb-123", "pt-BR", payload, listeners))) <= MAX_EVENT_BYTES


def test_the_lambda_dispatcher_invokes_asynchronously_splits_what_is_too_large_and_returns_the_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from babelcast.integration import shard_invoker

    invoked: list[dict[str, Any]] = []

    class FakeLambda:
        def invoke(self, **request: Any) -> None:
            shard = json.loads(request["Payload"])["fanoutShard"]
            if shard["language"] == "fr":
                raise ClientError({"Error": {"Code": "TooManyRequestsException", "Message": ""}}, "Invoke")
            invoked.append({**request, "Payload": shard})

    monkeypatch.setattr(shard_invoker, "lambda_client", FakeLambda)
    dispatcher = shard_invoker.LambdaShardDispatcher("arn:aws:lambda:us-east-1:123456789012:function:b-broadcast:live")
    big = {"audio": "A" * 120_000}  # with 2 000 long connection ids: ~390 KB, as two events
    listeners = tuple(Listener(f"{n:04d}" + "A" * 116, n) for n in range(2000))
    french = Shard("quiet-lamb-123", "fr", {}, listeners[:1])
    refused = dispatcher.dispatch([Shard("quiet-lamb-123", "es", big, listeners), french])
    assert refused == [french]
    assert {(r["FunctionName"], r["InvocationType"]) for r in invoked} == {(dispatcher.function, "Event")}
    assert [len(r["Payload"]["connections"]) for r in invoked] == [1000, 1000], "halved to fit"
    assert len(shard_event(Shard("quiet-lamb-123", "es", big, listeners[:1000]))) <= MAX_EVENT_BYTES
    assert sorted(c[0] for r in invoked for c in r["Payload"]["connections"]) == [x.connection_id for x in listeners]
