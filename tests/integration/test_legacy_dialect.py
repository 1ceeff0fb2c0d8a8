"""Compatibility suite: the deployed frontends' WebSocket dialect against the real local stack.

Each test plays the original apps' messages as they send them (every field, exact names) and
checks what those apps rely on. Written from the messages' documented shape
(docs/websocket-protocol.md#the-legacy-dialect), not from their code.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import pytest
import requests
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection

from tests.support.stack import Speaker, Stack, audio_records, open_ws, receive, wait_for_sequences

CHUNKS = [base64.b64encode(bytes([n, 0]) * 1600).decode() for n in (1, 2, 3)]  # 0.1 s each, distinct


@pytest.fixture
def speaker(stack: Stack) -> Speaker:
    return Speaker(stack, f"legacy-speaker-{uuid.uuid4().hex[:8]}")


def send(socket: ClientConnection, message: dict[str, Any]) -> None:
    socket.send(json.dumps(message))


def audio_chunk(session_id: str, data: str) -> dict[str, Any]:
    """The speaker app's audio message, as it sends it."""
    return {
        "action": "audioChunk",
        "sessionId": session_id,
        "audioData": data,
        "timestamp": int(time.time() * 1000),
        "format": "pcm",
        "sampleRate": 16000,
        "channels": 1,
        "encoding": "pcm_s16le",
    }


def test_speaker_app_streams_pauses_mutes_reads_status_and_ends(stack: Stack, speaker: Speaker) -> None:
    session_id = speaker.create("en")["sessionId"]  # its HTTP half already works unchanged
    token = speaker.tokens["idToken"]
    with (
        open_ws(stack, sessionId=session_id, token=token) as app,
        # the listener app signs its user in and sends the token too: still a listener
        open_ws(stack, sessionId=session_id, targetLanguage="es", token=token) as listener,
    ):
        send(listener, {"action": "joinSession", "sessionId": session_id, "targetLanguage": "es"})
        joined = receive(listener, "sessionJoined")
        assert (joined["role"], joined["targetLanguage"], joined["session"]["sessionId"]) == (
            "listener",
            "es",
            session_id,
        )
        assert requests.get(f"{stack.http}/sessions/{session_id}", timeout=10).json()["listenerCount"] == 1

        for data in CHUNKS:
            send(app, audio_chunk(session_id, data))
            time.sleep(0.05)  # the app's pace: one chunk after the other (order is arrival order)
        wait_for_sequences(stack, session_id, [1, 2, 3])
        assert [r["audioData"] for r in audio_records(stack, session_id)] == CHUNKS
        send(app, {"action": "sendAudio", "audioData": CHUNKS[0], "timestamp": 1, "chunkId": "c-4", "duration": 100})
        wait_for_sequences(stack, session_id, [1, 2, 3, 4])

        send(app, {"action": "pauseBroadcast"})
        assert receive(listener, "broadcastPaused")["sessionId"] == session_id
        send(app, {"action": "resumeBroadcast"})
        assert receive(listener, "broadcastResumed")["status"] == "active"
        send(app, {"action": "muteBroadcast"})
        assert receive(listener, "broadcastMuted")["muted"] is True
        send(app, {"action": "unmuteBroadcast"})
        assert receive(listener, "broadcastUnmuted")["muted"] is False

        send(app, {"action": "getSessionStatus"})
        status = receive(app, "sessionStatus")
        assert (status["listenerCount"], status["languageDistribution"]) == (1, {"es": 1})

        send(listener, {"action": "switchLanguage", "targetLanguage": "fr"})
        assert receive(listener, "sessionStatus")["targetLanguage"] == "fr"

        send(app, {"action": "endSession", "sessionId": session_id})
        for socket in (listener, app):
            assert receive(socket, "sessionEnded")["reason"] == "speaker"
            with pytest.raises(ConnectionClosed):
                while True:
                    socket.recv(timeout=20)
    assert requests.get(f"{stack.http}/sessions/{session_id}", timeout=10).json()["status"] == "ended"


def test_refresh_handshake_completes(stack: Stack, speaker: Speaker) -> None:
    session_id = speaker.create()["sessionId"]
    dynamodb = stack.client("dynamodb")
    table = stack.outputs["connections_table_name"]
    with open_ws(stack, sessionId=session_id, targetLanguage="de") as old:
        [item] = [i for i in dynamodb.scan(TableName=table)["Items"] if i.get("sessionId", {}).get("S") == session_id]
        connected_at = int(time.time() * 1000) - 7_000_000  # as if opened 1 h 57 min ago
        dynamodb.update_item(
            TableName=table,
            Key={"connectionId": item["connectionId"]},
            UpdateExpression="SET connectedAt = :then",
            ExpressionAttributeValues={":then": {"N": str(connected_at)}},
        )
        required = receive(old, "connectionRefreshRequired", timeout=30)  # the sweep runs every 2 s here
        assert required["refreshBy"] == connected_at + 2 * 3600 * 1000
        with open_ws(stack, sessionId=session_id, targetLanguage="de") as new:
            send(new, {"action": "refreshConnection", "sessionId": session_id, "targetLanguage": "de"})
            complete = receive(new, "connectionRefreshComplete")
            assert (complete["sessionId"], complete["role"]) == (session_id, "listener")


def test_our_dialect_is_unchanged(stack: Stack, speaker: Speaker) -> None:
    session_id = speaker.create()["sessionId"]
    with (
        open_ws(stack, sessionId=session_id, token=speaker.tokens["idToken"]) as ours,
        open_ws(stack, sessionId=session_id, targetLanguage="es") as listener,
    ):
        send(ours, {"action": "sendAudio", "audioData": CHUNKS[0], "sequence": 7, "chunkId": "x"})
        refused = receive(ours, "error")
        assert (refused["code"], refused["sequence"]) == ("VALIDATION_ERROR", 7)  # unknown fields: still refused
        send(ours, {"action": "sendAudio", "audioData": CHUNKS[0], "sequence": 7})
        wait_for_sequences(stack, session_id, [7])
        send(ours, {"action": "pauseBroadcast"})
        paused = receive(listener, "sessionPaused")
        assert set(paused) == {"type", "sessionId", "status", "timestamp", "correlationId"}
        send(listener, {"action": "changeLanguage", "targetLanguage": "it"})
        assert receive(listener, "sessionStatus") == {
            "type": "sessionStatus",
            "sessionId": session_id,
            "targetLanguage": "it",
        }
        send(listener, {"action": "getSessionStatus"})
        status = receive(listener, "sessionStatus")
        assert status["session"] == requests.get(f"{stack.http}/sessions/{session_id}", timeout=10).json()
    missing = requests.get(f"{stack.http}/sessions/holy-light-998", timeout=10)
    body = missing.json()
    assert (missing.status_code, body["code"], body["error"]) == (404, "SESSION_NOT_FOUND", body["message"])
