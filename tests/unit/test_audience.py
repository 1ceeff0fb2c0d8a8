"""The audience a session has: per-language listener counters kept with listenerCount,
``targetLanguages`` on every audio record, and the speaker's ``audienceUpdate``."""

from __future__ import annotations

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
