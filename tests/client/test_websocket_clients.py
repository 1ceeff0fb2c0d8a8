"""The speaker and listener clients against a real local WebSocket server: reconnection on
``connectionRefreshRequired`` and after a dropped socket (same sessionId, increasing sequence),
refusals as typed errors, heartbeats on a timer."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from babelcast_client import ListenerClient, NotFound, ReconnectPolicy, SpeakerClient, StaticTokenProvider
from babelcast_client.errors import RateLimited, ValidationFailed, websocket_error
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import ServerConnection, serve

FAST = ReconnectPolicy(base_delay=0.01, max_attempts=3)


class Server:
    """Each accepted connection runs ``script(connection, index)``; what arrives is recorded."""

    def __init__(self, script: Callable[[ServerConnection, int], None], refuse: Callable[[int], int | None]) -> None:
        self.queries: list[dict[str, str]] = []
        self.received: list[tuple[int, dict[str, Any]]] = []
        self._lock = threading.Lock()

        def handler(connection: ServerConnection) -> None:
            with self._lock:
                index = len(self.queries) - 1
            script(connection, index)

        def process_request(connection: ServerConnection, request: Request) -> Response | None:
            query = {k: v[0] for k, v in parse_qs(urlsplit(request.path).query).items()}
            with self._lock:
                self.queries.append(query)
                status = refuse(len(self.queries) - 1)
            return Response(status, "Refused", Headers()) if status else None

        self._server = serve(handler, "127.0.0.1", 0, process_request=process_request)
        self.url = f"ws://127.0.0.1:{self._server.socket.getsockname()[1]}/live"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def record(self, connection: ServerConnection, index: int, until: float = 5.0) -> None:
        """Record messages until the client closes (or ``until`` seconds pass)."""
        deadline = time.monotonic() + until
        while time.monotonic() < deadline:
            try:
                message = json.loads(connection.recv(timeout=deadline - time.monotonic()))
            except (TimeoutError, ConnectionClosed):
                return
            with self._lock:
                self.received.append((index, message))
            if message.get("action") == "heartbeat":
                connection.send(json.dumps({"type": "heartbeatAck", "timestamp": 1}))

    def close(self) -> None:
        self._server.shutdown()


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.close()


def wait(condition: Callable[[], bool], timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_speaker_moves_to_a_new_socket_on_connection_refresh_required(servers: list[Server]) -> None:
    def script(connection: ServerConnection, index: int) -> None:
        if index == 0:
            connection.send(json.dumps({"type": "connectionRefreshRequired", "sessionId": "s-1", "reason": "max"}))
        server.record(connection, index)

    server = Server(script, lambda index: None)
    servers.append(server)
    with SpeakerClient(server.url, "calm-river-123", StaticTokenProvider("tok"), reconnect=FAST) as speaker:
        assert speaker.send_audio(b"\x01\x00") == 0
        wait(lambda: speaker.reconnects == 1)
        assert speaker.send_audio(b"\x02\x00") == 1
        wait(lambda: len(server.received) == 2)
    assert server.queries == [{"sessionId": "calm-river-123", "token": "tok"}] * 2
    sent = [(index, m["sequence"]) for index, m in server.received]
    assert sent[-1] == (1, 1), "the next chunk went to the new socket, with the next sequence"


def test_listener_reconnects_after_a_drop_and_gives_up_on_404(servers: list[Server]) -> None:
    def script(connection: ServerConnection, index: int) -> None:
        if index == 0:
            connection.send(json.dumps({"type": "translatedText", "text": "uno"}))
            connection.close(1001, "Going away")
            return
        connection.send(json.dumps({"type": "translatedText", "text": "dos"}))
        connection.close(1000)  # dropped again: the next attempt is refused with 404

    server = Server(script, lambda index: 404 if index >= 2 else None)
    servers.append(server)
    listener = ListenerClient(server.url, "calm-river-123", "es", reconnect=FAST, heartbeat_interval=None)
    texts: list[str] = []
    with listener, pytest.raises(NotFound) as gone:
        texts.extend(message["text"] for message in listener)
    assert texts == ["uno", "dos"] and listener.reconnects == 1
    assert gone.value.status == 404 and "session not found" in gone.value.message
    assert server.queries == [{"sessionId": "calm-river-123", "targetLanguage": "es"}] * 3


def test_listener_stops_after_session_ended_and_heartbeats_on_a_timer(servers: list[Server]) -> None:
    def script(connection: ServerConnection, index: int) -> None:
        server.record(connection, index, until=0.5)
        connection.send(json.dumps({"type": "sessionEnded", "sessionId": "s", "reason": "speaker"}))
        connection.close(1000)

    server = Server(script, lambda index: None)
    servers.append(server)
    with ListenerClient(server.url, "calm-river-123", "es", reconnect=FAST, heartbeat_interval=0.1) as listener:
        messages = list(listener)
    assert [m["type"] for m in messages] == ["sessionEnded"], "heartbeat acks are not yielded"
    assert len(server.queries) == 1, "no reconnection after the session ended"
    heartbeats = [m for _, m in server.received if m == {"action": "heartbeat"}]
    assert 2 <= len(heartbeats) <= 6


def test_waiting_for_one_message_keeps_the_others(servers: list[Server]) -> None:
    """The CLI waits for the heartbeat ack after streaming, then reports refused chunks: those
    errors arrived first and must still be there."""

    def script(connection: ServerConnection, index: int) -> None:
        connection.recv()
        connection.send(json.dumps({"type": "error", "code": "SESSION_ENDED", "message": "ended"}))
        server.record(connection, index)

    server = Server(script, lambda index: None)
    servers.append(server)
    with SpeakerClient(server.url, "calm-river-123", StaticTokenProvider("tok"), heartbeat_interval=None) as speaker:
        speaker.send_audio(b"\x01\x00")
        speaker.heartbeat()
        assert speaker.next_message("heartbeatAck", timeout=5) is not None
        refused = speaker.next_message("error", timeout=0)
    assert refused is not None and refused["code"] == "SESSION_ENDED"


def test_speaker_refreshes_its_token_when_a_reconnection_gets_401(servers: list[Server]) -> None:
    class Tokens(StaticTokenProvider):
        def __init__(self) -> None:
            super().__init__("old")
            self.refreshes = 0

        def refresh(self) -> str:
            self.refreshes += 1
            self._token = "new"
            return self._token

    def script(connection: ServerConnection, index: int) -> None:
        if index == 0:
            connection.close(1001, "Going away")
            return
        server.record(connection, index)

    server = Server(script, lambda index: 401 if index == 1 else None)
    servers.append(server)
    tokens = Tokens()
    with SpeakerClient(server.url, "calm-river-123", tokens, reconnect=FAST, heartbeat_interval=None) as speaker:
        wait(lambda: speaker.reconnects == 1)
        speaker.send_audio(b"\x01\x00")
        wait(lambda: len(server.received) == 1)
    assert [q["token"] for q in server.queries] == ["old", "old", "new"] and tokens.refreshes == 1
    assert server.received == [(2, {"action": "sendAudio", "audioData": "AQA=", "sequence": 0})]


def test_speaker_reports_acks_and_the_audience_and_resends_the_unacknowledged_after_a_drop(
    servers: list[Server],
) -> None:
    def script(connection: ServerConnection, index: int) -> None:
        if index == 0:
            for _ in range(3):
                server.received.append((0, json.loads(connection.recv(timeout=5))))
            connection.send(json.dumps({"type": "audioAck", "sequence": 0, "buffered": 0}))
            update = {"type": "audienceUpdate", "sessionId": "s", "listenerCount": 2, "languages": {"es": 2}}
            connection.send(json.dumps({**update, "timestamp": 1}))
            time.sleep(0.2)
            connection.close(1001, "Going away")
            return
        server.record(connection, index)

    server = Server(script, lambda index: None)
    servers.append(server)
    acks: list[dict[str, Any]] = []
    audiences: list[dict[str, Any]] = []
    with SpeakerClient(
        server.url,
        "calm-river-123",
        StaticTokenProvider("tok"),
        reconnect=FAST,
        heartbeat_interval=None,
        on_audio_ack=acks.append,
        on_audience=audiences.append,
    ) as speaker:
        for n in range(3):
            speaker.send_audio(bytes([n, 0]))
        wait(lambda: speaker.reconnects == 1)
        speaker.send_audio(b"\x03\x00")
        wait(lambda: len(server.received) == 6)
        assert (speaker.acks.acknowledged, speaker.resent, speaker.audience) == (0, 2, audiences[-1])
        assert speaker.acks.arriving, "acknowledged within the last two seconds"
    assert [m["sequence"] for m in acks] == [0] and audiences[0]["languages"] == {"es": 2}
    assert [(index, m["sequence"]) for index, m in server.received] == [(0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (1, 3)]


def test_listener_catches_up_after_a_drop_and_drops_what_it_has_seen(servers: list[Server]) -> None:
    def segment(sequence: int, **extra: Any) -> str:
        return json.dumps({"type": "translation", "translatedText": f"t{sequence}", "sequence": sequence, **extra})

    def script(connection: ServerConnection, index: int) -> None:
        if index == 0:
            for sequence in (1, 2):
                connection.send(segment(sequence))
            time.sleep(0.2)
            connection.close(1001, "Going away")
            return
        server.received.append((index, json.loads(connection.recv(timeout=5))))  # the catchUp
        for sequence in (2, 3, 4):  # 2 again: the server may replay what the client has
            connection.send(segment(sequence, replayed=True))
        connection.send(json.dumps({"type": "catchUpComplete", "lastSequence": 5, "replayed": 3}))
        connection.send(segment(4))  # live, and replayed already: dropped
        connection.send(segment(5))
        server.record(connection, index)

    server = Server(script, lambda index: None)
    servers.append(server)
    with ListenerClient(server.url, "calm-river-123", "es", reconnect=FAST, heartbeat_interval=None) as listener:
        seen = []
        for message in listener:
            seen.append((message["type"], message.get("sequence"), message.get("replayed", False)))
            if message.get("sequence") == 5 and message["type"] == "translation":
                break
        assert listener.last_sequence == 5
    assert server.received[0] == (1, {"action": "catchUp", "afterSequence": 2})
    assert seen == [
        ("translation", 1, False),
        ("translation", 2, False),
        ("translation", 3, True),
        ("translation", 4, True),
        ("catchUpComplete", None, 3),  # replayed: how many
        ("translation", 5, False),
    ]


def test_a_refused_message_names_each_field_it_refused() -> None:
    """A VALIDATION_ERROR over the socket carries `details`, as the HTTP API's 400 does: the
    client keeps them and its one-line summary says what to fix."""
    error = websocket_error(
        {
            "type": "error",
            "code": "VALIDATION_ERROR",
            "message": "The request is invalid.",
            "action": "createSession",
            "requestId": "r-1",
            "details": [{"field": "sourceLanguage", "issue": "unsupported language; supported: en, es"}],
        }
    )
    assert isinstance(error, ValidationFailed) and (error.status, error.correlation_id) == (400, "r-1")
    assert error.details == [{"field": "sourceLanguage", "issue": "unsupported language; supported: en, es"}]
    assert "sourceLanguage: unsupported language; supported: en, es" in error.one_line()
    assert websocket_error({"type": "error", "code": "NOT_LISTENER", "message": "No."}).details == []
    limited = websocket_error({"type": "error", "code": "RATE_LIMITED", "message": "Wait.", "retryAfter": 42})
    assert isinstance(limited, RateLimited) and limited.retry_after == 42.0
