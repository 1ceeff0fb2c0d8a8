"""Who may connect to a session's WebSocket, and the bookkeeping of connections.

Speakers (a verified token) connect to their own session, or without a session id for the
legacy ``createSession`` flow; listeners (anonymous) need a session id and a supported target
language. Rejections carry HTTP statuses because API Gateway can only refuse a WebSocket
upgrade with a status code, never with a close code.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from babelcast.domain.connection_records import SPEAKER_CHANNEL, ConnectionRecord, ListenerJoinRejected, Role
from babelcast.domain.ports import ConnectionRemover, ConnectionStore, SessionReader
from babelcast.domain.sessions import require_session_id
from babelcast.errors import (
    LegacyCreationDisabled,
    MissingSessionId,
    NotSessionOwner,
    SessionEnded,
    SessionFull,
    SessionNotFound,
    ValidationFailed,
)
from babelcast.logging import get_logger
from babelcast.metrics import Metrics
from babelcast.models import Session, SessionStatus

_log = get_logger(__name__)
# API Gateway closes sockets after 2 h; keep records a little longer so the sweep, not TTL, decides.
CONNECTION_RECORD_TTL_MS = 3 * 3600 * 1000


@dataclass(frozen=True)
class ConnectRequest:
    connection_id: str
    role: Role
    user_id: str | None
    session_id: str | None
    target_language: str | None
    now_ms: int


@dataclass
class ConnectionService:
    sessions: SessionReader
    connections: ConnectionStore
    supported_languages: Sequence[str]
    max_listeners: int
    legacy_creation_enabled: bool
    metrics: Metrics

    def connect(self, request: ConnectRequest) -> ConnectionRecord:
        try:
            record = self._connect(request)
        except Exception as error:
            code = getattr(error, "code", "INTERNAL_ERROR")
            self.metrics.add("WebSocketConnectionRejected", 1, dimensions={"Reason": code}, rollup=True)
            raise
        self.metrics.add("WebSocketConnectionCount", 1, dimensions={"Role": request.role}, rollup=True)
        _log.info("connected", role=record.role, session_id=record.session_id, channel=record.channel)
        return record

    def _connect(self, request: ConnectRequest) -> ConnectionRecord:
        expires = request.now_ms + CONNECTION_RECORD_TTL_MS
        if request.role == "speaker":
            if not request.session_id:
                if not self.legacy_creation_enabled:
                    raise LegacyCreationDisabled()
                record = ConnectionRecord(
                    request.connection_id, "speaker", None, None, request.user_id, request.now_ms, expires
                )
                self._all_or_nothing(record, lambda: self.connections.add_speaker(record))
                return record
            session = self._live_session(request.session_id)
            if session.speaker_id != request.user_id:
                raise NotSessionOwner("Only the speaker who created this session can broadcast to it.")
            record = ConnectionRecord(
                request.connection_id,
                "speaker",
                session.session_id,
                SPEAKER_CHANNEL,
                request.user_id,
                request.now_ms,
                expires,
            )
            self._all_or_nothing(record, lambda: self.connections.add_speaker(record))
            return record
        if not request.session_id:
            raise MissingSessionId()
        require_session_id(request.session_id)
        language = request.target_language
        if not language or language not in self.supported_languages:
            raise ValidationFailed(
                "targetLanguage is missing or unsupported.",
                details=[("targetLanguage", f"supported: {', '.join(self.supported_languages)}")],
            )
        session = self._live_session(request.session_id)
        record = ConnectionRecord(
            request.connection_id, "listener", session.session_id, language, None, request.now_ms, expires
        )
        try:
            self._all_or_nothing(record, lambda: self.connections.add_listener(record, self.max_listeners))
        except ListenerJoinRejected as rejected:
            if rejected.reason == "full":
                raise SessionFull() from None
            if rejected.reason == "ended":
                raise SessionEnded() from None
            raise SessionNotFound(request.session_id) from None
        return record

    def _all_or_nothing(self, record: ConnectionRecord, write: Callable[[], None]) -> None:
        """A refused $connect leaves no record and no count. A write that fails after AWS may have
        applied it (answers lost until the SDK gave up, a throttled retry) is undone before the
        refusal: ``remove`` deletes the record and uncounts it in one conditional transaction, so
        it does so exactly once and does nothing if the write never landed. A rejection
        (``ListenerJoinRejected``: full, ended, gone) was cancelled whole and needs no undo."""
        try:
            write()
        except ListenerJoinRejected:
            raise
        except Exception:
            try:
                # at connected_at: the undo credits the session with no listening time
                undone = self.connections.remove(record, record.connected_at)
            except Exception as failure:  # the sweep removes it later: its socket never opened
                _log.warning("connect_undo_failed", error_type=type(failure).__name__)
            else:
                _log.info("connect_undone", role=record.role, removed=undone)
            raise

    def _live_session(self, session_id: str) -> Session:
        require_session_id(session_id)
        session = self.sessions.get(session_id)
        if session is None:
            raise SessionNotFound(session_id)
        if session.status is SessionStatus.ENDED:
            raise SessionEnded()
        return session


@dataclass
class DisconnectService:
    """$disconnect: forget the connection, and uncount a listener (adding its listening time)."""

    connections: ConnectionRemover
    metrics: Metrics
    clock_ms: Callable[[], int]

    def disconnect(self, connection_id: str, close_code: int | None) -> None:
        """Idempotent: a second $disconnect (or one after the session's cleanup) changes nothing."""
        record = self.connections.get(connection_id)
        if record is None:
            _log.info("disconnect_unknown_connection", close_code=close_code)
            return
        removed = self.connections.remove(record, self.clock_ms())
        _log.info(
            "disconnected", role=record.role, session_id=record.session_id, removed=removed, close_code=close_code
        )
        if removed:
            self.metrics.add("WebSocketDisconnectCount", 1, dimensions={"Role": record.role})
