"""The audience a session has: per-language listener counters kept with listenerCount,
``targetLanguages`` on every audio record, and the speaker's ``audienceUpdate``."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from session_events import handler as events_handler
from ws_message import handler as message_handler

from tests.support.report import record
from tests.support.ws_harness import Ws, chunk, kinesis_records


def test_language_counters_follow_joins_changes_and_leaves(ws: Ws) -> None:
    session_id = ws.session()
    first = ws.listener(session_id, "es")
    second = ws.listener(session_id, "es")
    ws.listener(session_id, "fr")
    assert ws.language_counts(session_id) == {"es": 2, "fr": 1}
    ws.calls.take()
    [reply] = ws.send(first, {"action": "changeLanguage", "targetLanguage": "de"})
    first_change = ws.calls.take()
    assert reply["targetLanguage"] == "de"
    assert ws.language_counts(session_id) == {"de": 1, "es": 1, "fr": 1}
    ws.send(first, {"action": "changeLanguage", "targetLanguage": "fr"})  # its $connect language is stale now
    second_change = ws.calls.take()
    ws.send(first, {"action": "changeLanguage", "targetLanguage": "fr"})  # already there: nothing moves
    same_language = ws.calls.take()
    assert ws.language_counts(session_id) == {"es": 1, "fr": 2}
    ws.disconnect(first)
    ws.disconnect(second)
    assert ws.language_counts(session_id) == ws.live_listener_languages(session_id) == {"fr": 1}
    assert first_change == {"TransactWriteItems": 1}
    assert second_change == {"TransactWriteItems": 2}  # the first names the stored language
    assert same_language == {"TransactWriteItems": 1}  # refused: it names the language already set
    record("AWS calls per WebSocket operation", "changeLanguage (from the $connect language)", dict(first_change))
    record("AWS calls per WebSocket operation", "changeLanguage (a later change)", dict(second_change))


def test_audio_records_name_the_languages_listened_to(ws: Ws) -> None:
    session_id = ws.session()
    speaker = ws.speaker(session_id)
    ws.send(speaker, {"action": "sendAudio", "audioData": chunk(), "sequence": 1})
    listener = ws.listener(session_id, "fr")
    ws.listener(session_id, "es")
    ws.calls.take()
    ws.send(speaker, {"action": "sendAudio", "audioData": chunk(), "sequence": 2})
    assert ws.calls.take() == {"UpdateItem": 1, "PutRecord": 1}, "no extra call per chunk"
    ws.disconnect(listener)
    ws.send(speaker, {"action": "sendAudio", "audioData": chunk(), "sequence": 3})
    assert [r["targetLanguages"] for r in kinesis_records()] == [[], ["es", "fr"], ["es"]]


def test_the_speaker_hears_of_joins_leaves_and_changes_at_most_once_a_second(
    ws: Ws, monkeypatch: pytest.MonkeyPatch
) -> None:
    session_id = ws.session()
    speaker = ws.speaker(session_id)
    audience = events_handler.dependencies().audience
    now = [audience.clock_ms()]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += int(seconds * 1000)

    monkeypatch.setattr(audience, "clock_ms", lambda: now[0])
    monkeypatch.setattr(audience, "sleep", sleep)

    def updates() -> list[dict[str, Any]]:
        return [m for m in ws.api.posted[speaker.id] if m["type"] == "audienceUpdate"]

    before = ws.session_item(session_id)
    listener = ws.listener(session_id, "es")
    ws.calls.take()
    posts = ws.api.calls["PostToConnection"]
    assert ws.stream_change(session_id, before) == {"batchItemFailures": []}
    join_calls = ws.calls.take() + Counter(PostToConnection=ws.api.calls["PostToConnection"] - posts)
    [first] = updates()
    assert first == {
        "type": "audienceUpdate",
        "sessionId": session_id,
        "listenerCount": 1,
        "languages": {"es": 1},
        "timestamp": now[0],
    }
    assert slept == []
    ws.stream_change(session_id, before)  # the stream retries the batch: nothing new to say
    assert len(updates()) == 1 and slept == []
    before = ws.session_item(session_id)
    ws.listener(session_id, "fr")
    ws.send(listener, {"action": "changeLanguage", "targetLanguage": "fr"})
    ws.stream_change(session_id, before)  # within the second: waits for it, then the newest counts
    assert slept and 0 < slept[0] <= 1.0
    assert updates()[-1]["languages"] == {"fr": 2} and updates()[-1]["listenerCount"] == 2
    assert updates()[-1]["timestamp"] - first["timestamp"] >= 1000
    before = ws.session_item(session_id)
    ws.send(speaker, {"action": "pauseBroadcast"})
    ws.stream_change(session_id, before)  # not an audience change
    assert len(updates()) == 2
    listeners = [c for c in ws.api.posted if c != speaker.id]
    assert all(m["type"] != "audienceUpdate" for c in listeners for m in ws.api.posted[c]), "speakers only"
    assert join_calls == {"UpdateItem": 2, "Query": 1, "PostToConnection": 1}
    record("AWS calls per WebSocket operation", "session_events (a join: new peak, audienceUpdate)", dict(join_calls))


def test_audio_is_acknowledged_once_a_second_and_every_resend_at_once(ws: Ws, monkeypatch: pytest.MonkeyPatch) -> None:
    session_id = ws.session()
    speaker = ws.speaker(session_id)
    now = [1_800_000_000_000]
    monkeypatch.setattr(message_handler.dependencies().audio, "clock_ms", lambda: now[0])

    def send(sequence: int, after_ms: int = 250) -> list[dict[str, Any]]:
        now[0] += after_ms
        return ws.send(speaker, {"action": "sendAudio", "audioData": chunk(), "sequence": sequence})

    ws.calls.take()
    acks = [send(n) for n in range(1, 9)]  # 4 chunks a second for 2 s
    calls = ws.calls.take()
    assert acks == [[ack(1, 0)], [], [], [ack(4, 0)], [], [], [], [ack(8, 0)]]
    assert calls == {"UpdateItem": 8, "PutRecord": 8}, "acknowledging costs no call"
    [resent] = send(8, after_ms=10)  # a retry of a chunk already received: acknowledged at once
    assert resent == ack(8, 0)
    warning, again = send(3, after_ms=10)  # an older one: the warning, and the acknowledgement
    assert (warning["code"], warning["forwarded"], again) == ("AUDIO_OUT_OF_ORDER", False, ack(8, 0))
    ws.send(speaker, {"action": "pauseBroadcast"})
    assert send(9, after_ms=1000) == [ack(9, 1)], "held in the pause buffer"
    assert [r["sequence"] for r in kinesis_records()] == list(range(1, 9))


def ack(sequence: int, buffered: int) -> dict[str, Any]:
    return {"type": "audioAck", "sequence": sequence, "buffered": buffered}
