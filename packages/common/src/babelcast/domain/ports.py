"""The ports of the domain: what its services need from storage, the @connections API, the audio
stream and the invocation's time budget, as Protocols. babelcast.integration implements them
(the tables, ConnectionsApi, AudioStream, the budget module); tests may bring their own."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

from babelcast.domain.audio_records import AudioClaim, AudioRecord, AudioTicket, BufferedChunk
from babelcast.domain.connection_records import ConnectionRecord, Delivery, Shard
from babelcast.domain.session_records import AudioState, InsertOutcome, Quota, SessionsPage, SessionUsage
from babelcast.models import Session, SessionStatus

if TYPE_CHECKING:
    from babelcast.domain.catch_up import Retained, Sequenced

# --- sessions ---------------------------------------------------------------------------------


class SessionReader(Protocol):
    def get(self, session_id: str) -> Session | None: ...


class SessionStore(SessionReader, Protocol):
    def insert(self, session: Session, quota: Quota | None = None) -> InsertOutcome: ...
    def created_by(self, call_key: str) -> str | None: ...
    def update_owned(
        self,
        session_id: str,
        speaker_id: str,
        changes: Mapping[str, str | int],
        now_ms: int,
        write_id: str | None = None,
    ) -> Session: ...
    def list_by_speaker(
        self, speaker_id: str, limit: int, start_key: Mapping[str, str] | None, status: SessionStatus | None
    ) -> SessionsPage: ...


class ExpiringSessions(SessionReader, Protocol):
    def end_if_expired(self, session_id: str, now_ms: int) -> bool: ...


class UsageReader(Protocol):
    def usage(self, session_id: str) -> tuple[Session, SessionUsage] | None: ...


class UsageCounters(UsageReader, Protocol):
    def record_peak(self, session_id: str, listeners: int) -> bool: ...
    def finish_end(self, session_id: str, seen: SessionUsage, open_listener_ms: int) -> SessionUsage | None: ...


class AudienceMarks(Protocol):
    def mark_audience(self, session_id: str, key: str, now_ms: int, interval_ms: int) -> int | None:
        """Claim the right to announce ``key``: None when claimed; else the ms to wait before
        trying again (0 or less: ``key`` was announced already, or the session is gone)."""
        ...


class CatchUpJournal(Protocol):
    """Sequences and the kept segments of each session and language (babelcast.domain.catch_up)."""

    def take_sequence(self, session_id: str, language: str, position: str, now_ms: int) -> Sequenced | None:
        """The next sequence for the stream record at ``position``, taken at most once: a record
        taken already gets its own again (not fresh); None for a record older than the last one."""
        ...

    def keep(
        self,
        session_id: str,
        language: str,
        sequence: int,
        payload: Mapping[str, Any],
        *,
        now_ms: int,
        window_seconds: int,
    ) -> None: ...
    def last_sequence(self, session_id: str, language: str) -> int: ...
    def since(self, session_id: str, language: str, after: int, not_before_ms: int) -> list[Retained]:
        """The kept segments with a sequence above ``after`` stored at or after ``not_before_ms``,
        oldest first."""
        ...


# --- connections ------------------------------------------------------------------------------


class ConnectionRemover(Protocol):
    def get(self, connection_id: str) -> ConnectionRecord | None: ...
    def remove(self, record: ConnectionRecord, now_ms: int | None = None) -> bool: ...


class ConnectionStore(ConnectionRemover, Protocol):
    def add_speaker(self, record: ConnectionRecord) -> None: ...
    def add_listener(self, record: ConnectionRecord, max_listeners: int) -> None: ...


class ConnectionDirectory(Protocol):
    def of_session(self, session_id: str, channel: str | None = None) -> Iterator[ConnectionRecord]: ...
    def remove(self, record: ConnectionRecord, now_ms: int | None = None) -> bool: ...
    def delete_many(self, connection_ids: Sequence[str]) -> None: ...
    def scan(self) -> Iterator[ConnectionRecord]: ...
    def mark_refresh_sent(self, connection_id: str, now_ms: int) -> None: ...


class AudienceVersions(Protocol):
    def audience_version(self, session_id: str) -> int | None:
        """The session's ``audienceVersion``: it changes with every listener join, leave and
        language change (in the same write). None when the session is gone."""
        ...


class ShardDispatcher(Protocol):
    def dispatch(self, shards: Sequence[Shard]) -> list[Shard]:
        """Hand each shard to an invocation of its own, in parallel; returns those not accepted."""
        ...


class Messenger(Protocol):
    """The @connections API. ``failures``: the errors its calls raise as they come (the others
    are domain errors)."""

    failures: tuple[type[Exception], ...]

    def post(self, connection_id: str, message: Mapping[str, Any]) -> bool: ...
    def is_connected(self, connection_id: str) -> bool: ...
    def post_many(
        self, connection_ids: Iterable[str], message: Mapping[str, Any] | Callable[[str], Mapping[str, Any]]
    ) -> Delivery: ...
    def close_many(self, connection_ids: Iterable[str]) -> None: ...


# --- audio ------------------------------------------------------------------------------------


class AudioSessions(Protocol):
    def claim(self, session_id: str, speaker_id: str, ticket: AudioTicket) -> AudioClaim: ...
    def release(self, session_id: str, ticket: AudioTicket) -> None: ...
    def audio_state(self, session_id: str) -> AudioState | None: ...
    def buffer_drained(
        self, session_id: str, chunks: int, size: int, through: int, *, forwarded: bool = False
    ) -> None: ...
    def acquire_flush_lease(self, session_id: str, owner: str, now_ms: int, lease_ms: int) -> bool: ...
    def release_flush_lease(self, session_id: str, owner: str, *, force: bool = False) -> bool: ...


class AudioBuffer(Protocol):
    def put(self, position: int, record: AudioRecord, size: int, expires_at_ms: int) -> None: ...
    def oldest(self, session_id: str, limit: int) -> list[BufferedChunk]: ...
    def all(self, session_id: str) -> Iterator[BufferedChunk]: ...
    def remove(self, session_id: str, positions: Sequence[int]) -> None: ...


class AudioSink(Protocol):
    def publish(self, record: AudioRecord, after_sequence_number: str | None = None) -> str: ...


class TimeBudget(Protocol):
    """What is left of the invocation's time (babelcast.integration.budget)."""

    DATA_ATTEMPT_SECONDS: float  # one attempt of a data-plane call

    def keeping(self, seconds: float) -> AbstractContextManager[None]: ...
