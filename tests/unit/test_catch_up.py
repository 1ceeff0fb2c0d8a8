"""Catch-up (issue 17 item 5): a sequence per session and language on every delivered segment,
taken once per stream record, and the kept segments replayed on ``catchUp``."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from broadcast import handler as broadcast_handler

from tests.support.report import record
from tests.support.ws_harness import Connection, Ws


def _records(session_id: str, segments: list[tuple[str, str, str]]) -> dict[str, Any]:
    """A batch of the translated stream: (stream position, language, text) per record."""
    return {
        "Records": [
            {
                "kinesis": {
                    "data": base64.b64encode(
                        json.dumps(
                            {"sessionId": session_id, "targetLanguage": language, "payload": {"text": text}}
                        ).encode()
                    ).decode(),
                    "sequenceNumber": position,
                    "partitionKey": session_id,
                },
                "eventID": f"shardId-000:{position}",
            }
            for position, language, text in segments
        ]
    }


def _broadcast(session_id: str, segments: list[tuple[str, str, str]]) -> None:
    assert broadcast_handler.lambda_handler(_records(session_id, segments), None) == {"batchItemFailures": []}


def _texts(ws: Ws, connection: Connection) -> list[tuple[int, str]]:
    return [(m["sequence"], m["text"]) for m in ws.api.posted[connection.id] if m["type"] == "translation"]


def test_sequences_are_contiguous_per_language_and_a_retried_batch_takes_none_twice(ws: Ws) -> None:
    session_id = ws.session()
    spanish, french = ws.listener(session_id, "es"), ws.listener(session_id, "fr")
    ws.calls.take()
    _broadcast(session_id, [("101", "es", "uno")])
    per_segment = ws.calls.take()
    _broadcast(session_id, [("102", "fr", "un"), ("103", "es", "dos"), ("104", "es", "tres")])
    assert _texts(ws, spanish) == [(1, "uno"), (2, "dos"), (3, "tres")]
    assert _texts(ws, french) == [(1, "un")]
    # the stream gives the batch again from "103" (a failure after it), then the whole batch
    _broadcast(session_id, [("103", "es", "dos"), ("104", "es", "tres")])
    _broadcast(session_id, [("101", "es", "uno"), ("102", "fr", "un"), ("103", "es", "dos"), ("104", "es", "tres")])
    _broadcast(session_id, [("105", "es", "cuatro")])
    seen = _texts(ws, spanish)
    assert sorted(set(seen)) == [(1, "uno"), (2, "dos"), (3, "tres"), (4, "cuatro")], "no sequence taken twice"
    # the last record sequenced is posted again under its own sequence (its posts may have failed);
    # an older one was delivered by the first attempt and is not posted again
    assert seen == [(1, "uno"), (2, "dos"), (3, "tres"), (3, "tres"), (3, "tres"), (4, "cuatro")]
    assert _texts(ws, french) == [(1, "un"), (1, "un")]
    # one conditional write numbers it, one keeps it; the audience version, then (first segment:
    # nothing kept yet) the listeners' query, and the posts
    assert per_segment == {"UpdateItem": 1, "PutItem": 1, "GetItem": 1, "Query": 1}
    record("AWS calls per WebSocket operation", "broadcast (one segment, listeners not kept)", dict(per_segment))


def test_catch_up_after_a_sequence_returns_the_rest_in_order_then_complete(ws: Ws) -> None:
    session_id = ws.session()
    listener = ws.listener(session_id, "es")
    ws.listener(session_id, "fr")
    _broadcast(session_id, [(str(100 + n), "es", f"es-{n}") for n in range(1, 6)] + [("200", "fr", "fr-1")])
    ws.calls.take()
    replies = ws.send(listener, {"action": "catchUp", "afterSequence": 2})
    calls = ws.calls.take()
    assert [(m["sequence"], m["text"], m["replayed"]) for m in replies[:-1]] == [
        (3, "es-3", True),
        (4, "es-4", True),
        (5, "es-5", True),
    ]
    assert replies[-1] == {"type": "catchUpComplete", "lastSequence": 5, "replayed": 3}
    assert ws.send(listener, {"action": "catchUp", "afterSequence": 5}) == [
        {"type": "catchUpComplete", "lastSequence": 5, "replayed": 0}
    ]
    # its language now: after a change, the other language's segments
    ws.send(listener, {"action": "changeLanguage", "targetLanguage": "fr"})
    [replayed, complete] = ws.send(listener, {"action": "catchUp", "afterSequence": 0})
    assert (replayed["text"], complete["lastSequence"]) == ("fr-1", 1)
    assert calls == {"GetItem": 2, "Query": 1}  # the connection, the counter, the kept segments
    record("AWS calls per WebSocket operation", "catchUp (3 segments replayed)", dict(calls))


def test_catch_up_by_seconds_and_the_window(ws: Ws, monkeypatch: pytest.MonkeyPatch) -> None:
    session_id = ws.session()
    listener = ws.listener(session_id, "es")
    now = [1_000_000_000_000]
    monkeypatch.setattr(broadcast_handler, "_now_ms", lambda: now[0])
    from ws_message import handler as message_handler

    monkeypatch.setattr(message_handler, "_now_ms", lambda: now[0])
    for n in range(1, 8):  # one segment every 10 s: 60 s of them at the end
        _broadcast(session_id, [(str(100 + n), "es", f"s{n}")])
        now[0] += 10_000
    now[0] -= 10_000  # "now" is the last segment's time
    last_20s = ws.send(listener, {"action": "catchUp", "seconds": 20})
    assert [m["sequence"] for m in last_20s[:-1]] == [5, 6, 7]
    assert last_20s[-1]["lastSequence"] == 7
    # 60 s window: s1 (60 s old) is still in it; 1 ms later it is gone, even if asked by sequence
    assert [m["sequence"] for m in ws.send(listener, {"action": "catchUp", "afterSequence": 0})[:-1]] == list(
        range(1, 8)
    )
    now[0] += 1
    assert [m["sequence"] for m in ws.send(listener, {"action": "catchUp", "afterSequence": 0})[:-1]] == list(
        range(2, 8)
    )
    assert [m["sequence"] for m in ws.send(listener, {"action": "catchUp", "seconds": 3600})[:-1]] == list(
        range(2, 8)
    ), "seconds beyond the window give the window"


@pytest.mark.parametrize(
    "body",
    [
        {"action": "catchUp"},
        {"action": "catchUp", "afterSequence": 1, "seconds": 5},
        {"action": "catchUp", "afterSequence": -1},
        {"action": "catchUp", "seconds": 0},
        {"action": "catchUp", "afterSequence": "3"},
    ],
)
def test_a_bad_catch_up_gets_a_validation_error(ws: Ws, body: dict[str, Any]) -> None:
    listener = ws.listener(ws.session(), "es")
    [reply] = ws.send(listener, body)
    assert (reply["type"], reply["code"]) == ("error", "VALIDATION_ERROR")
    assert reply["details"] and all(set(detail) == {"field", "issue"} for detail in reply["details"])


def test_a_validation_error_says_which_field_and_why_without_its_value(ws: Ws) -> None:
    """As the HTTP API's 400 does: a frontend sees what to fix, never its own input echoed."""
    listener = ws.listener(ws.session(), "es")
    [reply] = ws.send(listener, {"action": "catchUp", "seconds": 987654})
    assert reply["details"] == [{"field": "seconds", "issue": "Input should be less than or equal to 3600"}]
    assert "987654" not in json.dumps(reply)
    [refused] = ws.send(listener, {"action": "changeLanguage", "targetLanguage": "zq"})
    assert [detail["field"] for detail in refused["details"]] == ["targetLanguage"]
    assert '"zq"' not in json.dumps(refused)


def test_only_listeners_catch_up(ws: Ws) -> None:
    session_id = ws.session()
    [reply] = ws.send(ws.speaker(session_id), {"action": "catchUp", "afterSequence": 0})
    assert (reply["code"], reply["message"]) == ("NOT_LISTENER", "Only listeners catch up on what was said.")
