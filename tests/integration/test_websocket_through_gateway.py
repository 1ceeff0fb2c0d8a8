"""The WebSocket half through the local stack: real WebSocket clients, real Cognito tokens, the
real Terraform (routes, $connect authorizer, stream triggers, schedules) and the real zips.
Seed tasks 16.1-16.5 and the connect, audio, fan-out, broadcast and legacy rules."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import pytest
import requests
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.support.stack import AUDIO, Speaker, Stack, audio_records, open_ws, receive, wait_for_sequences, ws_url


@pytest.fixture
def speaker(stack: Stack) -> Speaker:
    # one speaker per test: creation is rate limited per speaker (10 a minute)
    return Speaker(stack, f"ws-speaker-{uuid.uuid4().hex[:8]}")


def test_end_to_end_create_connect_stream(stack: Stack, speaker: Speaker) -> None:
    """16.1: HTTP creation, WebSocket connection with the session id, audio into Kinesis."""
    session_id = speaker.create("de")["sessionId"]
    with open_ws(stack, sessionId=session_id, token=speaker.tokens["idToken"]) as socket:
        for sequence in (1, 2, 3):
            socket.send(json.dumps({"action": "sendAudio", "audioData": AUDIO, "sequence": sequence}))
        socket.send(json.dumps({"action": "heartbeat"}))
        assert receive(socket, "heartbeatAck")["timestamp"] > 0
        wait_for_sequences(stack, session_id, [1, 2, 3])
    first = audio_records(stack, session_id)[0]
    assert (first["sourceLanguage"], first["encoding"], first["sampleRate"]) == ("de", "pcm_s16le", 16000)
    assert first["audioData"] == AUDIO


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({}, 400),
        ({"sessionId": "bad id"}, 400),
        ({"sessionId": "holy-light-999", "targetLanguage": "es"}, 404),
        ({"sessionId": "holy-light-999", "targetLanguage": "xx"}, 400),
    ],
)
def test_connect_rejections_are_upgrade_statuses(stack: Stack, query: dict[str, str], status: int) -> None:
    """16.2 and the connect rules: refused during the handshake with an HTTP status."""
    with pytest.raises(InvalidStatus) as rejected:
        open_ws(stack, **query)
    assert rejected.value.response.status_code == status


def test_connecting_to_an_ended_session_is_403(stack: Stack, speaker: Speaker) -> None:
    """16.3."""
    session_id = speaker.create()["sessionId"]
    assert speaker.call("DELETE", f"/sessions/{session_id}").status_code == 204
    for query in (
        {"sessionId": session_id, "targetLanguage": "es"},
        {"sessionId": session_id, "token": speaker.tokens["idToken"]},
    ):
        with pytest.raises(InvalidStatus) as rejected:
            open_ws(stack, **query)
        assert rejected.value.response.status_code == 403


def test_someone_elses_session_is_403_for_a_speaker(stack: Stack, speaker: Speaker) -> None:
    session_id = speaker.create()["sessionId"]
    other = Speaker(stack, "ws-other")
    with pytest.raises(InvalidStatus) as rejected:
        open_ws(stack, sessionId=session_id, token=other.tokens["idToken"])
    assert rejected.value.response.status_code == 403


def test_pause_buffers_and_resume_flushes_in_order_before_newer_chunks(stack: Stack, speaker: Speaker) -> None:
    """16.4: paused over HTTP while connected; chunks buffered; resumed over HTTP; flushed first."""
    session_id = speaker.create()["sessionId"]
    with open_ws(stack, sessionId=session_id, token=speaker.tokens["idToken"]) as socket:
        socket.send(json.dumps({"action": "sendAudio", "audioData": AUDIO, "sequence": 1}))
        wait_for_sequences(stack, session_id, [1])
        assert speaker.call("PATCH", f"/sessions/{session_id}", json={"status": "paused"}).status_code == 200
        receive(socket, "sessionPaused")
        for sequence in (2, 3, 4):
            socket.send(json.dumps({"action": "sendAudio", "audioData": AUDIO, "sequence": sequence}))
        socket.send(json.dumps({"action": "heartbeat"}))
        receive(socket, "heartbeatAck")  # messages are handled in order: 2-4 were processed
        assert [r["sequence"] for r in audio_records(stack, session_id)] == [1]
        assert speaker.call("PATCH", f"/sessions/{session_id}", json={"status": "active"}).status_code == 200
        receive(socket, "sessionResumed")
        socket.send(json.dumps({"action": "sendAudio", "audioData": AUDIO, "sequence": 5}))
        wait_for_sequences(stack, session_id, [1, 2, 3, 4, 5])


def test_listener_gets_paused_resumed_ended_and_is_closed(stack: Stack, speaker: Speaker) -> None:
    session_id = speaker.create()["sessionId"]
    with (
        open_ws(stack, sessionId=session_id, token=speaker.tokens["idToken"]) as speaker_socket,
        open_ws(stack, sessionId=session_id, targetLanguage="es") as listener,
    ):
        assert requests.get(f"{stack.http}/sessions/{session_id}", timeout=10).json()["listenerCount"] == 1
        speaker_socket.send(json.dumps({"action": "pauseBroadcast"}))
        assert receive(listener, "sessionPaused")["sessionId"] == session_id
        speaker_socket.send(json.dumps({"action": "resumeBroadcast"}))
        receive(listener, "sessionResumed")
        assert speaker.call("DELETE", f"/sessions/{session_id}").status_code == 204
        assert receive(listener, "sessionEnded")["reason"] == "speaker"
        with pytest.raises(ConnectionClosed):
            while True:
                listener.recv(timeout=20)
    assert requests.get(f"{stack.http}/sessions/{session_id}", timeout=10).json()["listenerCount"] == 0


def test_messages_errors_keep_the_socket_open(stack: Stack, speaker: Speaker) -> None:
    session_id = speaker.create()["sessionId"]
    with open_ws(stack, sessionId=session_id, targetLanguage="fr") as listener:
        listener.send(json.dumps({"action": "sendAudio", "audioData": AUDIO, "sequence": 1}))
        assert receive(listener, "error")["code"] == "NOT_SPEAKER"
        listener.send(json.dumps({"action": "dance"}))
        assert receive(listener, "error")["code"] == "UNKNOWN_ACTION"
        listener.send("{not json")
        assert receive(listener, "error")["code"] == "INVALID_MESSAGE"
        listener.send(json.dumps({"action": "changeLanguage", "targetLanguage": "ja"}))
        assert receive(listener, "sessionStatus")["targetLanguage"] == "ja"
        listener.send(json.dumps({"action": "getSessionStatus"}))
        assert receive(listener, "sessionStatus")["session"]["sessionId"] == session_id
        listener.send(b"\x00binary")
        with pytest.raises(ConnectionClosed):
            listener.recv(timeout=20)
    assert listener.close_code == 1003


def test_legacy_creation_over_the_socket(stack: Stack, speaker: Speaker) -> None:
    with open_ws(stack, token=speaker.tokens["idToken"]) as socket:
        socket.send(json.dumps({"action": "createSession", "sourceLanguage": "it", "qualityTier": "standard"}))
        created = receive(socket, "sessionCreated")
        session_id = created["sessionId"]
        assert requests.get(f"{stack.http}/sessions/{session_id}", timeout=10).json() == created["session"]
        socket.send(json.dumps({"action": "sendAudio", "audioData": AUDIO, "sequence": 1}))
        wait_for_sequences(stack, session_id, [1])


def test_broadcast_reaches_the_listeners_of_one_language(stack: Stack, speaker: Speaker) -> None:
    session_id = speaker.create()["sessionId"]
    with (
        open_ws(stack, sessionId=session_id, targetLanguage="es") as spanish,
        open_ws(stack, sessionId=session_id, targetLanguage="fr") as french,
    ):
        segment = {
            "sessionId": session_id,
            "targetLanguage": "es",
            "payload": {"type": "translatedText", "text": "hola", "sequence": 7},
        }
        stack.client("kinesis").put_record(
            StreamName=stack.outputs["translated_segments_stream_name"],
            PartitionKey=session_id,
            Data=json.dumps(segment).encode(),
        )
        assert receive(spanish, "translatedText")["text"] == "hola"
        french.send(json.dumps({"action": "heartbeat"}))
        assert json.loads(french.recv(timeout=20))["type"] == "heartbeatAck", "nothing else reached French"


def test_concurrent_listeners_keep_the_count_exact(stack: Stack, speaker: Speaker) -> None:
    """200 listeners connect at once, half of them leave at once: listenerCount = live listeners."""
    session_id = speaker.create()["sessionId"]
    url = ws_url(stack, sessionId=session_id, targetLanguage="es")

    def listener_count() -> int:
        count: int = requests.get(f"{stack.http}/sessions/{session_id}", timeout=10).json()["listenerCount"]
        return count

    def delete() -> float:
        began = time.perf_counter()
        assert speaker.call("DELETE", f"/sessions/{session_id}").status_code == 204
        return time.perf_counter() - began

    async def ended(socket: Any) -> str:
        while True:
            message = json.loads(await socket.recv())
            if message["type"] == "sessionEnded":
                return str(message["reason"])

    async def run() -> tuple[int, float, list[str]]:
        sockets = await asyncio.gather(*(websockets.connect(url, open_timeout=120) for _ in range(200)))
        await asyncio.gather(*(s.close() for s in sockets[::2]))
        deadline = time.monotonic() + 30
        count = -1
        while time.monotonic() < deadline:  # $disconnect runs after the close completes
            count = await asyncio.to_thread(listener_count)
            if count == 100:
                break
            await asyncio.sleep(0.2)
        remaining = sockets[1::2]
        waiting = asyncio.gather(*(ended(s) for s in remaining))
        seconds = await asyncio.to_thread(delete)
        reasons = await asyncio.wait_for(waiting, timeout=60)
        await asyncio.gather(*(s.close() for s in remaining))
        return count, seconds, reasons

    count, delete_seconds, reasons = asyncio.run(run())
    assert count == 100
    assert delete_seconds < 1.0, "DELETE answers before the fan-out, whatever the number of listeners"
    assert reasons == ["speaker"] * 100
    assert listener_count() == 0


def test_an_expired_session_is_ended_by_the_sweep_and_listeners_are_told(stack: Stack, speaker: Speaker) -> None:
    session_id = speaker.create()["sessionId"]
    with open_ws(stack, sessionId=session_id, targetLanguage="es") as listener:
        stack.client("dynamodb").update_item(
            TableName=stack.outputs["sessions_table_name"],
            Key={"sessionId": {"S": session_id}},
            UpdateExpression="SET expiresAt = :past",
            ExpressionAttributeValues={":past": {"N": "1"}},
        )
        assert receive(listener, "sessionEnded", timeout=30)["reason"] == "expired"  # the sweep runs every 2 s here
        with pytest.raises(ConnectionClosed):
            while True:
                listener.recv(timeout=20)
    session = requests.get(f"{stack.http}/sessions/{session_id}", timeout=10).json()
    assert (session["status"], session["endReason"], session["listenerCount"]) == ("ended", "expired", 0)
