"""The Python client SDK (packages/client) against the whole local stack: real Cognito logins and
refreshes, the HTTP API, the speaker's audio into Kinesis, listeners (broadcast, end, reconnection
after the server drops them), the legacy creation path and the `babelcast` CLI."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from babelcast_client import (
    CognitoTokenProvider,
    Conflict,
    ListenerClient,
    NotFound,
    SessionCreationOrchestrator,
    SessionHttpClient,
    SessionStatus,
    SpeakerClient,
)
from babelcast_client.audio import wav_chunks, write_wav
from babelcast_client.cli import main

from tests.support.report import record
from tests.support.stack import Stack, audio_records, wait_for_sequences

SECTION = "client sdk (local stack)"


class Sdk:
    """One speaker account, logged in through the SDK's Cognito provider."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.account = stack.speaker(f"sdk-{uuid.uuid4().hex[:8]}")
        self.tokens = CognitoTokenProvider(
            client_id=stack.document["userPoolClientId"],
            username=self.account.username,
            password=self.account.password,
            region=stack.region,
            endpoint_url=stack.endpoint,
        )
        self.http = SessionHttpClient(stack.http, self.tokens)

    def speaker(self, session_id: str | None) -> SpeakerClient:
        return SpeakerClient(self.stack.websocket, session_id, self.tokens, open_timeout=30)

    def listener(self, session_id: str, language: str = "es") -> ListenerClient:
        return ListenerClient(self.stack.websocket, session_id, language, open_timeout=30)


@pytest.fixture
def sdk(stack: Stack) -> Sdk:
    return Sdk(stack)  # one speaker per test: creation is rate limited per speaker


def until(condition: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def publish_segment(stack: Stack, session_id: str, text: str, language: str = "es") -> None:
    segment = {"sessionId": session_id, "targetLanguage": language, "payload": {"type": "translatedText", "text": text}}
    stack.client("kinesis").put_record(
        StreamName=stack.outputs["translated_segments_stream_name"],
        PartitionKey=session_id,
        Data=json.dumps(segment).encode(),
    )


def test_sessions_crud_and_pagination(sdk: Sdk) -> None:
    began = time.perf_counter()
    created = [sdk.http.create_session(language) for language in ("en", "fr", "de")]
    assert sdk.http.last_call is not None and sdk.http.last_call.attempts == 1
    first = created[0]
    assert sdk.http.get_session(first.session_id) == first
    paused = sdk.http.pause_session(first.session_id)
    assert (paused.status, paused.version) == (SessionStatus.PAUSED, 2)
    page = sdk.http.list_sessions(limit=2)
    assert len(page.sessions) == 2 and page.next_token
    everything = [s.session_id for s in sdk.http.iter_sessions(page_size=2)]
    assert everything == [s.session_id for s in reversed(created)], "newest first, across pages"
    sdk.http.delete_session(first.session_id)
    sdk.http.delete_session(first.session_id)  # repeating it is fine
    assert sdk.http.get_session(first.session_id).status is SessionStatus.ENDED
    with pytest.raises(Conflict) as conflict:
        sdk.http.resume_session(first.session_id)
    assert conflict.value.code == "INVALID_STATUS_TRANSITION" and conflict.value.correlation_id
    with pytest.raises(NotFound) as missing:
        sdk.http.get_session("holy-light-999")
    assert missing.value.code == "SESSION_NOT_FOUND"
    before = sdk.tokens.fetches
    sdk.tokens.refresh()  # REFRESH_TOKEN_AUTH against the emulator's Cognito; the new token works
    assert sdk.tokens.fetches == before + 1
    assert sdk.http.get_session(created[1].session_id).session_id == created[1].session_id
    assert len(sdk.http.list_sessions(status="active").sessions) == 2
    record(SECTION, "CRUD + 2 list pages + refresh (s)", round(time.perf_counter() - began, 2))


def test_speaker_streams_a_wav_file_into_kinesis(sdk: Sdk, tmp_path: Path) -> None:
    wav = tmp_path / "speech.wav"
    write_wav(wav, bytes(range(256)) * 125)  # 32000 bytes = 1 s: 4 chunks of 250 ms (each one Lambda call)
    session = sdk.http.create_session("de")
    progress: list[int] = []
    with sdk.speaker(session.session_id) as speaker:
        began = time.perf_counter()
        stats = speaker.stream_wav(wav, chunk_ms=250, on_progress=lambda s: progress.append(s.chunks))
        speaker.heartbeat()
        assert speaker.next_message("heartbeatAck", timeout=20) is not None
        elapsed = time.perf_counter() - began
        wait_for_sequences(sdk.stack, session.session_id, [0, 1, 2, 3])
    assert (stats.chunks, stats.bytes, stats.audio_seconds) == (4, 32000, 1.0)
    assert progress == [1, 2, 3, 4]
    first_chunk = next(wav_chunks(wav, chunk_ms=250))
    assert audio_records(sdk.stack, session.session_id)[0]["audioData"] == base64.b64encode(first_chunk).decode()
    record(SECTION, "stream 1 s WAV (4 chunks) until acknowledged (s)", round(elapsed, 2))


def test_listener_gets_a_broadcast_then_session_ended(sdk: Sdk) -> None:
    session = sdk.http.create_session("en")
    with sdk.listener(session.session_id) as listener:
        publish_segment(sdk.stack, session.session_id, "hola")
        assert listener.next_message("translatedText", timeout=20) == {
            "type": "translatedText",
            "text": "hola",
            "sequence": 1,  # numbered per session and language for catch-up
        }
        sdk.http.delete_session(session.session_id)
        ended = listener.next_message("sessionEnded", timeout=20)
        assert ended is not None and ended["reason"] == "speaker"
        assert list(listener) == [], "iteration stops once the session has ended and the server closed"
        assert listener.error is None and listener.reconnects == 0


def test_listener_reconnects_with_the_same_session_after_the_server_drops_it(sdk: Sdk) -> None:
    session = sdk.http.create_session("en")
    connections = sdk.stack.client("dynamodb")
    table = sdk.stack.outputs["connections_table_name"]
    # the @connections API, called as the functions call it (boto3); DELETE closes the socket server-side
    management = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=sdk.stack.websocket.replace("ws://", "http://", 1),
        region_name=sdk.stack.region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )

    def listener_connections() -> list[str]:
        items = connections.scan(TableName=table)["Items"]
        return [
            i["connectionId"]["S"]
            for i in items
            if i.get("sessionId", {}).get("S") == session.session_id and i["role"]["S"] == "listener"
        ]

    with sdk.listener(session.session_id, "fr") as listener:
        (dropped,) = listener_connections()
        began = time.perf_counter()
        management.delete_connection(ConnectionId=dropped)
        until(lambda: listener.reconnects == 1)
        reconnected = time.perf_counter() - began
        until(lambda: len(listener_connections()) == 1 and listener_connections()[0] != dropped)
        assert sdk.http.get_session(session.session_id).listener_count == 1
        publish_segment(sdk.stack, session.session_id, "bonjour", "fr")
        assert listener.next_message("translatedText", timeout=20) == {
            "type": "translatedText",
            "text": "bonjour",
            "sequence": 1,
        }
        sdk.http.delete_session(session.session_id)
        assert listener.next_message("sessionEnded", timeout=20) is not None
    record(SECTION, "listener reconnect after @connections DELETE (s)", round(reconnected, 2))


@pytest.mark.parametrize("use_http", [True, False], ids=["http", "legacy-websocket"])
def test_orchestrator_creates_over_http_or_the_legacy_socket(sdk: Sdk, use_http: bool) -> None:
    orchestrator = SessionCreationOrchestrator(
        sdk.http, sdk.stack.websocket, sdk.tokens, use_http_session_creation=use_http, open_timeout=30
    )
    created = orchestrator.create_session("it", "premium")
    try:
        assert created.method == ("http" if use_http else "websocket")
        assert sdk.http.get_session(created.session.session_id) == created.session
        assert (created.session.source_language, created.session.quality_tier) == ("it", "premium")
        assert created.speaker.send_audio(b"\x01\x00" * 1600) == 0
        wait_for_sequences(sdk.stack, created.session.session_id, [0])
    finally:
        created.speaker.close()


def test_cli_against_the_stack(sdk: Sdk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    stack = sdk.stack
    flags = [
        "--http-url",
        stack.http,
        "--ws-url",
        stack.websocket,
        "--username",
        sdk.account.username,
        "--password",
        sdk.account.password,
        "--client-id",
        stack.document["userPoolClientId"],
        "--region",
        stack.region,
        "--cognito-endpoint",
        stack.endpoint,
    ]

    def cli(*argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        return main([*flags, *argv], out=out, err=err), out.getvalue(), err.getvalue()

    code, out, _ = cli("create", "--language", "es", "--tier", "premium")
    assert code == 0
    session: dict[str, Any] = json.loads(out)
    session_id = session["sessionId"]
    assert (session["sourceLanguage"], session["qualityTier"]) == ("es", "premium")
    assert json.loads(cli("get", session_id)[1]) == session
    code, out, _ = cli("list", "--json", "--all")
    assert code == 0 and [s["sessionId"] for s in json.loads(out)["sessions"]] == [session_id]
    assert cli("list")[1].startswith(session_id)
    wav = tmp_path / "hello.wav"
    write_wav(wav, b"\x00\x01" * 32_000)  # 2 s
    # 1 s chunks: 43 KB messages, over the 32 KB frame quota the gateway enforces, so fragmented
    code, out, err = cli("stream", str(wav), "--session-id", session_id, "--chunk-ms", "1000")
    assert code == 0 and "sent 2 chunks, 2.0 s of audio" in err
    wait_for_sequences(stack, session_id, [0, 1])
    listened: list[tuple[int, str, str]] = []
    listening = threading.Thread(
        target=lambda: listened.append(cli("listen", session_id, "--language", "es", "--count", "1"))
    )
    listening.start()
    until(lambda: sdk.http.get_session(session_id).listener_count == 1)
    publish_segment(stack, session_id, "hola")
    listening.join(timeout=30)
    assert listened and listened[0][0] == 0
    assert json.loads(listened[0][1]) == {"type": "translatedText", "text": "hola", "sequence": 1}
    assert cli("end", session_id)[:2] == (0, f"ended {session_id}\n")
    assert json.loads(cli("get", session_id)[1])["status"] == "ended"
    code, out, _ = cli("create", "--legacy", "--language", "fr")
    assert code == 0 and json.loads(out)["sourceLanguage"] == "fr"
    # a real process: the exit code and the one line a person reads, no traceback
    command = [sys.executable, "-m", "babelcast_client", "--http-url", stack.http, "get", "holy-light-999"]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert finished.returncode == 1 and finished.stdout == ""
    assert finished.stderr.startswith(
        "babelcast: error: Session not found. (code SESSION_NOT_FOUND, HTTP 404, correlation id sdk-"
    )
    assert "Traceback" not in finished.stderr and finished.stderr.count("\n") == 1
