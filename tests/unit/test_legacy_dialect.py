"""The deployed frontends' WebSocket dialect through the real handlers (moto in-process): what
each legacy message does, the AWS calls it costs, and the switch that turns it off."""

from __future__ import annotations

from typing import Any

import pytest
from babelcast.settings import forget_settings
from ws_authorizer import handler as authorizer_handler
from ws_message import handler as message_handler

from tests.support.report import record
from tests.support.ws_events import authorizer_event
from tests.support.ws_harness import Ws, chunk, kinesis_records

LEGACY_SECTION = "AWS calls per WebSocket operation (legacy dialect)"


def _switch_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGACY_DIALECT_ENABLED", "false")
    forget_settings()
    message_handler.dependencies.cache_clear()


def _audio_chunk(data: str) -> dict[str, Any]:
    """The speaker app's message, every field it sends."""
    return {
        "action": "audioChunk",
        "sessionId": "ignored",
        "audioData": data,
        "timestamp": 1710348000000,
        "format": "pcm",
        "sampleRate": 16000,
        "channels": 1,
        "encoding": "pcm_s16le",
    }


def test_unnumbered_audio_is_numbered_in_arrival_order_across_connections(ws: Ws) -> None:
    session_id = ws.session()
    speaker = ws.speaker(session_id)
    ws.calls.take()
    assert ws.send(speaker, _audio_chunk(chunk(fill=1))) == []
    audio_chunk = ws.calls.take()
    older = {"action": "sendAudio", "audioData": chunk(fill=2), "timestamp": 1, "chunkId": "c-2", "duration": 100}
    assert ws.send(speaker, older) == []
    unnumbered_send_audio = ws.calls.take()
    ws.disconnect(speaker)
    again = ws.speaker(session_id)  # a reconnect keeps counting up
    ws.send(again, _audio_chunk(chunk(fill=3)))
    records = kinesis_records()
    assert [(r["sequence"], r["audioData"]) for r in records] == [
        (1, chunk(fill=1)),
        (2, chunk(fill=2)),
        (3, chunk(fill=3)),
    ]
    # one UpdateItem numbers the chunk; then exactly sendAudio's calls
    assert audio_chunk == unnumbered_send_audio == {"UpdateItem": 2, "PutRecord": 1}
    record(LEGACY_SECTION, "audioChunk / sendAudio without sequence (active)", dict(audio_chunk))


def test_legacy_numbers_stay_above_numbered_chunks_of_the_same_session(ws: Ws) -> None:
    session_id = ws.session()
    speaker = ws.speaker(session_id)
    ws.send(speaker, {"action": "sendAudio", "audioData": chunk(), "sequence": 40})
    assert ws.send(speaker, _audio_chunk(chunk(fill=2))) == []
    assert [r["sequence"] for r in kinesis_records()] == [40, 41]


def test_our_send_audio_still_refuses_unknown_fields(ws: Ws) -> None:
    session_id = ws.session()
    speaker = ws.speaker(session_id)
    [reply] = ws.send(speaker, {"action": "sendAudio", "audioData": chunk(), "sequence": 1, "chunkId": "x"})
    assert (reply["code"], reply["sequence"]) == ("VALIDATION_ERROR", 1)
    assert kinesis_records() == []


def test_end_session_is_delete(ws: Ws) -> None:
    session_id = ws.session()
    speaker, listener = ws.speaker(session_id), ws.listener(session_id)
    before = ws.session_item(session_id)
    ws.calls.take()
    assert ws.send(speaker, {"action": "endSession", "sessionId": session_id}) == []
    calls = ws.calls.take()
    assert ws.session_item(session_id)["status"]["S"] == "ended"
    ws.stream_change(session_id, before)
    assert ws.api.types(listener.id)[-1] == "sessionEnded" and listener.id in ws.api.closed
    assert calls == {"UpdateItem": 1}  # as DELETE /sessions/{id}
    record(LEGACY_SECTION, "endSession", dict(calls))
    [refused] = ws.send(ws.listener(ws.session()), {"action": "endSession"})
    assert refused["code"] == "NOT_SPEAKER"


def test_mute_and_unmute_reach_listeners_once_per_change(ws: Ws) -> None:
    session_id = ws.session()
    speaker, listener = ws.speaker(session_id), ws.listener(session_id)
    before = ws.session_item(session_id)
    ws.calls.take()
    assert ws.send(speaker, {"action": "muteBroadcast"}) == []
    calls = ws.calls.take()
    ws.stream_change(session_id, before)
    before = ws.session_item(session_id)
    ws.send(speaker, {"action": "muteBroadcast"})  # again: nothing new to tell
    ws.stream_change(session_id, before)
    before = ws.session_item(session_id)
    ws.send(speaker, {"action": "unmuteBroadcast"})
    ws.stream_change(session_id, before)
    assert ws.api.types(listener.id) == ["broadcastMuted", "broadcastUnmuted"]
    assert [m["muted"] for m in ws.api.posted[listener.id]] == [True, False]
    assert calls == {"UpdateItem": 1}
    record(LEGACY_SECTION, "muteBroadcast / unmuteBroadcast", dict(calls))
    [refused] = ws.send(listener, {"action": "muteBroadcast"})
    assert refused["code"] == "NOT_SPEAKER"


def test_pause_and_resume_are_also_sent_by_their_legacy_names(ws: Ws) -> None:
    session_id = ws.session()
    speaker, listener = ws.speaker(session_id), ws.listener(session_id)
    before = ws.session_item(session_id)
    ws.send(speaker, {"action": "pauseBroadcast"})
    ws.stream_change(session_id, before)
    before = ws.session_item(session_id)
    ws.send(speaker, {"action": "resumeBroadcast"})
    ws.stream_change(session_id, before)
    posted = ws.api.posted[listener.id]
    assert [m["type"] for m in posted] == ["sessionPaused", "broadcastPaused", "sessionResumed", "broadcastResumed"]
    assert {k: v for k, v in posted[1].items() if k != "type"} == {k: v for k, v in posted[0].items() if k != "type"}


def test_join_switch_and_refresh(ws: Ws) -> None:
    session_id = ws.session()
    listener = ws.listener(session_id, "es")
    ws.calls.take()
    [joined] = ws.send(
        listener, {"action": "joinSession", "sessionId": session_id, "targetLanguage": "fr", "clientVersion": "1.2"}
    )
    join = ws.calls.take()
    assert (joined["type"], joined["role"], joined["targetLanguage"]) == ("sessionJoined", "listener", "fr")
    assert joined["session"]["sessionId"] == session_id
    [switched] = ws.send(listener, {"action": "switchLanguage", "targetLanguage": "de", "previous": "fr"})
    switch = ws.calls.take()
    assert switched == {"type": "sessionStatus", "sessionId": session_id, "targetLanguage": "de"}
    [refreshed] = ws.send(listener, {"action": "refreshConnection", "sessionId": session_id, "role": "listener"})
    refresh = ws.calls.take()
    assert (refreshed["type"], refreshed["sessionId"]) == ("connectionRefreshComplete", session_id)
    [other] = ws.send(listener, {"action": "joinSession", "sessionId": "holy-psalm-123"})
    assert other["code"] == "INVALID_MESSAGE"
    # a language change moves the per-language counters too: one transaction from the $connect
    # language; a later one is refused once (naming the stored language) and retried
    assert (join, switch, refresh) == ({"TransactWriteItems": 1, "GetItem": 1}, {"TransactWriteItems": 2}, {})
    for name, calls in (
        ("joinSession (listener, new language)", join),
        ("switchLanguage", switch),
        ("refreshConnection", refresh),
    ):
        record(LEGACY_SECTION, name, dict(calls))


def test_session_status_has_the_counts_at_the_top_level_too(ws: Ws) -> None:
    session_id = ws.session()
    speaker = ws.speaker(session_id)
    for language in ("es", "es", "fr"):
        ws.listener(session_id, language)
    ws.calls.take()
    [status] = ws.send(speaker, {"action": "getSessionStatus"})
    calls = ws.calls.take()
    assert (status["listenerCount"], status["languageDistribution"]) == (3, {"es": 2, "fr": 1})
    assert status["session"]["listenerCount"] == 3  # ours, unchanged
    assert calls == {"GetItem": 1, "Query": 1}
    record(LEGACY_SECTION, "getSessionStatus (with the top-level counts)", dict(calls))


def test_switched_off_refuses_every_legacy_message_and_sends_no_legacy_event(
    ws: Ws, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    session_id = ws.session()
    speaker, listener = ws.speaker(session_id), ws.listener(session_id)
    _switch_off(monkeypatch)
    capsys.readouterr()
    for body in (
        _audio_chunk(chunk()),
        {"action": "sendAudio", "audioData": chunk()},
        {"action": "endSession"},
        {"action": "muteBroadcast"},
        {"action": "unmuteBroadcast"},
        {"action": "joinSession"},
        {"action": "refreshConnection"},
    ):
        [reply] = ws.send(speaker, body)
        assert (reply["code"], reply["action"]) == ("LEGACY_DIALECT_DISABLED", body["action"])
    [reply] = ws.send(listener, {"action": "switchLanguage", "targetLanguage": "fr"})
    assert reply["code"] == "LEGACY_DIALECT_DISABLED"
    assert ws.session_item(session_id)["status"]["S"] == "active" and kinesis_records() == []
    assert '"MessageType":"audioChunk","LegacyMessageCount":1.0' in capsys.readouterr().out  # still counted
    [status] = ws.send(speaker, {"action": "getSessionStatus"})
    assert "languageDistribution" not in status and "listenerCount" not in status
    [ack] = ws.send(speaker, {"action": "sendAudio", "audioData": chunk(), "sequence": 1})  # ours: unchanged
    assert ack["type"] == "audioAck"


def test_legacy_messages_are_counted_by_message_type(ws: Ws, capsys: pytest.CaptureFixture[str]) -> None:
    session_id = ws.session()
    speaker = ws.speaker(session_id)
    capsys.readouterr()
    ws.send(speaker, _audio_chunk(chunk()))
    ws.send(speaker, {"action": "heartbeat"})
    out = capsys.readouterr().out
    assert out.count('"MessageType":"audioChunk","LegacyMessageCount":1.0') == 1
    assert out.count('"LegacyMessageCount":') == 1  # heartbeat is ours: not counted
    assert '"Dimensions":[["Environment","MessageType"],["Environment"]]' in out


def test_a_token_beside_target_language_makes_a_listener(monkeypatch: pytest.MonkeyPatch) -> None:
    """The authorizer does not even read the token then (an expired one is no reason to refuse)."""
    monkeypatch.setattr(authorizer_handler, "dependencies", _RefusingVerifier)
    decision = authorizer_handler.lambda_handler(
        authorizer_event({"sessionId": "holy-psalm-123", "targetLanguage": "es", "token": "expired.or.anything"}),
        None,
    )
    assert decision["context"]["role"] == "listener" and decision["principalId"] == "anonymous"


class _RefusingVerifier:
    class verifier:  # noqa: N801 - stands in for the dependency's attribute
        @staticmethod
        def verify(token: str) -> dict[str, Any]:
            raise AssertionError("a listener's token must not be verified")

    class metrics:  # noqa: N801
        @staticmethod
        def add(*args: Any, **kwargs: Any) -> None:
            pass

        @staticmethod
        def flush() -> None:
            pass
