"""The speaker's WebSocket client: streams audio in numbered chunks, reports what the server
acknowledged (``audioAck``) and who listens (``audienceUpdate``), and resends the chunks a dropped
socket may have lost (docs/websocket-protocol.md)."""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from websockets.exceptions import ConnectionClosed

from babelcast_client.acks import AudioAcks
from babelcast_client.audio import (
    DEFAULT_CHUNK_MS,
    MAX_CHUNK_BYTES,
    MAX_SEQUENCE,
    SAMPLE_RATE,
    SAMPLE_WIDTH,
    frames,
    wav_chunks,
)
from babelcast_client.auth import TokenProvider
from babelcast_client.errors import ApiError, Unauthorized, WebSocketError, websocket_error
from babelcast_client.models import QualityTier, Session
from babelcast_client.websocket import _LiveSocket

LOG = logging.getLogger("babelcast_client")


@dataclass(frozen=True)
class StreamStats:
    chunks: int
    bytes: int
    audio_seconds: float
    first_sequence: int | None
    last_sequence: int | None


class SpeakerClient(_LiveSocket):
    """Streams a session's audio. ``session_id=None`` opens a legacy connection on which
    ``create_session_legacy`` creates the session (then reconnects use its id).

    ``on_audio_ack`` is called with each ``audioAck`` (audio is arriving: ``acknowledged`` is the
    highest sequence the server accepted) and ``on_audience`` with each ``audienceUpdate``
    (``audience`` keeps the latest), on the receiving thread. The chunks sent since the last
    acknowledgement (at most 64, the server's gap window) are resent after a reconnect: the server
    forwards those it never received and only acknowledges the others."""

    def __init__(
        self,
        url: str,
        session_id: str | None,
        token_provider: TokenProvider,
        *,
        on_audio_ack: Callable[[dict[str, Any]], None] | None = None,
        on_audience: Callable[[dict[str, Any]], None] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(url, **options)
        self.session_id = session_id
        self.token_provider = token_provider
        self.sequence = 0  # the next chunk's; increases across reconnects as the protocol requires
        self._refreshed_at: int | None = None  # the reconnection count when the token was last refreshed
        self.on_audio_ack = on_audio_ack
        self.on_audience = on_audience
        self.acks = AudioAcks()  # ``acks.acknowledged``, ``acks.arriving`` ("audio arriving")
        self.audience: dict[str, Any] | None = None  # the latest audienceUpdate
        self.resent = 0  # chunks resent after reconnects

    def _on_message(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "audioAck" and isinstance(message.get("sequence"), int):
            self.acks.acknowledge(int(message["sequence"]))
            if self.on_audio_ack:
                self.on_audio_ack(message)
        elif kind == "audienceUpdate":
            self.audience = message
            if self.on_audience:
                self.on_audience(message)

    def _after_reopen(self) -> None:
        """Resend what the old socket may have lost, in order, on the new one."""
        pending = self.acks.unacknowledged()
        connection = self._connection
        for sequence, audio_data in pending:
            if connection is None:
                return
            message = {"action": "sendAudio", "audioData": audio_data, "sequence": sequence}
            fragments = frames(json.dumps(message, separators=(",", ":")))
            try:
                with self._send_lock:
                    connection.send(fragments[0] if len(fragments) == 1 else fragments)
            except ConnectionClosed:
                return  # dropped again: the next reopen resends them
            self.resent += 1
        if pending:
            LOG.info("resent %d unacknowledged audio chunk(s) after reconnecting", len(pending))

    def _query(self) -> dict[str, str]:
        query = {"token": self.token_provider.token()}
        if self.session_id:
            query = {"sessionId": self.session_id, **query}
        return query

    def connect(self) -> None:
        try:
            super().connect()
        except Unauthorized:
            self.token_provider.refresh()  # once: the token may have expired between read and use
            super().connect()

    def _on_refused(self, error: ApiError) -> bool:
        if error.status == 401 and self._refreshed_at != self.reconnects:
            self._refreshed_at = self.reconnects  # once per reconnection: a second 401 is final
            self.token_provider.refresh()
            return True
        return super()._on_refused(error)

    def create_session_legacy(
        self, source_language: str, quality_tier: QualityTier | str = QualityTier.STANDARD, *, timeout: float = 30
    ) -> Session:
        """The legacy flow: on a connection opened without ``sessionId``, send ``createSession``."""
        if self.session_id:
            raise ValueError("this connection already belongs to a session")
        self.send({"action": "createSession", "sourceLanguage": source_language, "qualityTier": str(quality_tier)})
        reply = self.next_message("sessionCreated", "error", timeout=timeout)
        if reply is None:
            raise self.error or WebSocketError(f"No answer to createSession within {timeout:g} s.")
        if reply["type"] == "error":
            raise websocket_error(reply)
        self.session_id = str(reply["sessionId"])
        return Session.from_api(reply["session"])

    def send_audio(self, chunk: bytes) -> int:
        """Send one chunk of PCM audio (at most ``MAX_CHUNK_BYTES``); returns its sequence number."""
        if not chunk:
            raise ValueError("an audio chunk cannot be empty")
        if len(chunk) > MAX_CHUNK_BYTES:
            raise ValueError(
                f"an audio chunk is at most {MAX_CHUNK_BYTES} bytes (the 128 KB message limit), got {len(chunk)}"
            )
        sequence = self.sequence
        audio_data = base64.b64encode(chunk).decode()
        self.acks.sent(sequence, audio_data)
        self.send({"action": "sendAudio", "audioData": audio_data, "sequence": sequence})
        self.sequence = min(sequence + 1, MAX_SEQUENCE)
        return sequence

    def stream(
        self,
        chunks: Iterable[bytes],
        *,
        bytes_per_second: float | None = None,
        on_progress: Callable[[StreamStats], None] | None = None,
    ) -> StreamStats:
        """Send every chunk in order. With ``bytes_per_second`` the chunks are paced in real time
        (as a microphone would produce them); otherwise they go as fast as the socket takes them."""
        started = time.monotonic()
        count = total = 0
        first: int | None = None
        last: int | None = None
        for chunk in chunks:
            if bytes_per_second:
                ahead = total / bytes_per_second - (time.monotonic() - started)
                if ahead > 0 and self._closing.wait(ahead):
                    break
            last = self.send_audio(chunk)
            first = last if first is None else first
            count += 1
            total += len(chunk)
            if on_progress:
                on_progress(StreamStats(count, total, total / (SAMPLE_RATE * SAMPLE_WIDTH), first, last))
        return StreamStats(count, total, total / (SAMPLE_RATE * SAMPLE_WIDTH), first, last)

    def stream_wav(
        self,
        path: str | Path,
        *,
        chunk_ms: int = DEFAULT_CHUNK_MS,
        realtime: bool = False,
        on_progress: Callable[[StreamStats], None] | None = None,
    ) -> StreamStats:
        """Stream a 16-bit mono 16 kHz WAV file in ``chunk_ms`` chunks."""
        return self.stream(
            wav_chunks(path, chunk_ms),
            on_progress=on_progress,
            bytes_per_second=SAMPLE_RATE * SAMPLE_WIDTH if realtime else None,
        )

    def pause(self) -> None:
        """Pause the broadcast: audio sent while paused is buffered by the server (up to 30 s)."""
        self.send({"action": "pauseBroadcast"})

    def resume(self) -> None:
        self.send({"action": "resumeBroadcast"})
