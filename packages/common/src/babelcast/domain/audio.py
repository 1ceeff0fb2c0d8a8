"""Audio from the speaker to the pipeline (Kinesis), with durable buffering while paused.

Order is the contract: while a session is paused — and while anything is still buffered after a
resume — every chunk goes to the buffer, and one flusher at a time (a lease on the session)
drains it oldest first. Only when the buffer is empty do chunks go straight to Kinesis again,
so chunks sent while paused always reach the pipeline before newer ones.
"""

from __future__ import annotations

import base64
import binascii
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from babelcast.domain.audio_records import AudioClaim, AudioRecord, AudioTicket, BufferedChunk, Verdict
from babelcast.domain.ports import AudioBuffer, AudioSessions, AudioSink, TimeBudget
from babelcast.domain.session_records import AudioState
from babelcast.errors import AudioTooLarge, DomainError, InvalidAudio, NotSpeaker
from babelcast.logging import get_logger
from babelcast.metrics import Metrics
from babelcast.models import SessionStatus

_log = get_logger(__name__)
MAX_CHUNK_BYTES = 1024 * 1024  # seed requirement 6.6, on the decoded audio
BYTES_PER_SAMPLE = 2  # PCM 16-bit mono
FLUSH_LEASE_MS = 30_000
FLUSH_PAGE = 100


@dataclass(frozen=True)
class AudioOutcome:
    forwarded: bool
    buffered: bool
    dropped_chunks: int = 0
    out_of_order: bool = False  # older than the newest chunk accepted (forwarded or not: see the flags)
    newest_sequence: int | None = None
    acknowledge: bool = False  # answer with audioAck: the first chunk of a second, or a resend
    buffer_depth: int = 0  # chunks held in the pause buffer after this one


@dataclass
class AudioService:
    sessions: AudioSessions
    buffer: AudioBuffer
    stream: AudioSink
    metrics: Metrics
    budget: TimeBudget
    buffer_seconds: int = 30
    clock_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000

    def send(self, *, session_id: str, user_id: str | None, sequence: int, audio_data: str) -> AudioOutcome:
        try:
            decoded = base64.b64decode(audio_data, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidAudio() from None
        if not decoded:
            raise InvalidAudio("audioData is empty.")
        if len(decoded) > MAX_CHUNK_BYTES:
            raise AudioTooLarge()
        if user_id is None:
            raise NotSpeaker()
        # Accepting the chunk is one conditional write that also counts its bytes for the session's
        # analytics (buffered audio is counted when a flush forwards it). A sequence already
        # accepted is neither forwarded nor counted again (docs/websocket-protocol.md).
        ticket = AudioTicket(sequence, len(decoded), at_ms=self.clock_ms())
        accepted: AudioClaim | None = None
        try:
            # a failure must leave time to give the chunk back (one write attempt), or its resend
            # would be refused
            with self.budget.keeping(self.budget.DATA_ATTEMPT_SECONDS):
                accepted = self.sessions.claim(session_id, user_id, ticket)
                outcome = self._deliver(session_id, accepted, len(decoded), audio_data)
        except DomainError as error:
            if accepted is not None or error.status >= 500:  # accepted, or maybe: give it back
                self._release(session_id, accepted.ticket if accepted else ticket)
            raise
        if outcome.buffered and accepted.state.session.status is SessionStatus.ACTIVE:
            self.flush(session_id)  # resumed, but older chunks are still queued: they go first
        return outcome

    def _deliver(self, session_id: str, claim: AudioClaim, size: int, audio_data: str) -> AudioOutcome:
        state = claim.state
        if claim.verdict in (Verdict.DUPLICATE, Verdict.STALE):
            self.metrics.add("AudioChunksRefused", 1, dimensions={"Reason": claim.verdict.value})
            _log.info(
                "audio_not_accepted",
                session_id=session_id,
                sequence=claim.ticket.sequence,
                reason=claim.verdict.value,
                newest_sequence=state.newest_sequence,
            )
            return AudioOutcome(
                forwarded=False,
                buffered=False,
                out_of_order=claim.verdict is Verdict.STALE,
                newest_sequence=state.newest_sequence,
                acknowledge=True,  # a resend: tell it at once that the chunk arrived
                buffer_depth=state.buffer_depth,
            )
        session = state.session
        record = AudioRecord(
            session_id=session_id,
            sequence=claim.ticket.sequence,
            source_language=session.source_language,
            quality_tier=session.quality_tier.value,
            encoding=state.encoding,
            sample_rate=state.sample_rate,
            received_at=self.clock_ms(),
            audio_data=audio_data,
            target_languages=state.target_languages,
        )
        if claim.late:
            self.metrics.add("AudioChunksLate", 1)
        dropped = 0
        if claim.verdict is Verdict.FORWARD:
            self.stream.publish(record)
        else:
            dropped = self._buffer(state, record, size)
        self.metrics.add("AudioBytes", size, unit="Bytes")
        return AudioOutcome(
            forwarded=claim.verdict is Verdict.FORWARD,
            buffered=claim.verdict is Verdict.BUFFER,
            dropped_chunks=dropped,
            out_of_order=claim.late,
            newest_sequence=state.newest_sequence,
            acknowledge=state.opens_a_second,
            buffer_depth=state.buffer_depth,
        )

    def _release(self, session_id: str, ticket: AudioTicket) -> None:
        try:
            self.sessions.release(session_id, ticket)
        except DomainError:  # best effort: the failure itself is what the client must see
            _log.warning("audio_release_failed", session_id=session_id, sequence=ticket.sequence)

    def _buffer(self, after: AudioState, record: AudioRecord, size: int) -> int:
        """Store a chunk in the slot its acceptance reserved (``after.buffer_next``)."""
        self.buffer.put(after.buffer_next, record, size, after.session.expires_at)
        self.metrics.add("AudioChunksBuffered", 1)
        limit = self.buffer_seconds * after.sample_rate * BYTES_PER_SAMPLE
        if after.buffer_bytes <= limit:
            return 0
        # Over 30 s of audio: drop the oldest chunks (never the one just buffered).
        excess = after.buffer_bytes - limit
        dropped: list[int] = []
        freed = 0
        for chunk in self.buffer.oldest(record.session_id, FLUSH_PAGE):
            if freed >= excess or chunk.position == after.buffer_next:
                break
            dropped.append(chunk.position)
            freed += chunk.size
        if dropped:
            self.buffer.remove(record.session_id, dropped)
            self.sessions.buffer_drained(record.session_id, len(dropped), freed, max(dropped))
            self.metrics.add("AudioChunksDropped", len(dropped))
            _log.warning("audio_buffer_trimmed", session_id=record.session_id, dropped_chunks=len(dropped))
        return len(dropped)

    def flush(self, session_id: str) -> int:
        """Send every buffered chunk, oldest first. Returns how many were sent (0 when another
        invocation holds the lease or the session is not active)."""
        owner = uuid.uuid4().hex
        if not self.sessions.acquire_flush_lease(session_id, owner, self.clock_ms(), FLUSH_LEASE_MS):
            return 0
        try:
            sent = self._drain(session_id, owner)
        except Exception:
            # Kinesis or DynamoDB failed part-way: what was sent is no longer buffered (see
            # _drain); give the lease back so a retry flushes now, not when the lease lapses.
            self.sessions.release_flush_lease(session_id, owner, force=True)
            raise
        if sent:
            self.metrics.add("AudioChunksFlushed", sent)
            _log.info("audio_buffer_flushed", session_id=session_id, chunks=sent)
        return sent

    def _drain(self, session_id: str, owner: str) -> int:
        sent = 0
        previous: str | None = None
        empty_reads = 0
        while True:
            chunks = self.buffer.oldest(session_id, FLUSH_PAGE)
            if chunks:
                empty_reads = 0
                done: list[BufferedChunk] = []
                try:
                    for chunk in chunks:
                        previous = self.stream.publish(chunk.record, after_sequence_number=previous)
                        done.append(chunk)
                finally:  # forget exactly what reached Kinesis, even when a later put failed
                    if done:
                        self.buffer.remove(session_id, [c.position for c in done])
                        self.sessions.buffer_drained(
                            session_id, len(done), sum(c.size for c in done), done[-1].position, forwarded=True
                        )
                        sent += len(done)
                continue
            if self.sessions.release_flush_lease(session_id, owner):
                break
            # The counters say more is coming: a chunk was reserved but not yet written.
            empty_reads += 1
            if empty_reads > 20:
                state = self.sessions.audio_state(session_id)
                if state is None or state.buffer_depth == 0 or state.session.status is not SessionStatus.ACTIVE:
                    break  # our lease lapsed and another flusher finished, or the session paused/ended
                # a writer died between counting its chunk and storing it: heal the counter
                self.sessions.buffer_drained(session_id, state.buffer_depth, state.buffer_bytes, state.buffer_next)
                empty_reads = 0
            time.sleep(0.01)
        return sent
