"""Session lifecycle: create, read, update, end and list, with ownership and status rules."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from babelcast.domain.pagination import CursorCodec
from babelcast.domain.ports import SessionStore
from babelcast.domain.session_records import InsertOutcome, Quota, WriteRejected
from babelcast.errors import (
    DependencyUnavailable,
    InvalidSessionId,
    InvalidStatusTransition,
    NotSessionOwner,
    RateLimited,
    SessionIdsExhausted,
    SessionNotFound,
    ValidationFailed,
)
from babelcast.logging import get_logger
from babelcast.metrics import Metrics
from babelcast.models import (
    CreateSessionRequest,
    Session,
    SessionPage,
    SessionStatus,
    UpdateSessionRequest,
)
from babelcast.session_ids import SessionIdGenerator, is_valid_session_id

_log = get_logger(__name__)

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20


@dataclass(frozen=True)
class SessionPolicy:
    supported_languages: Sequence[str]
    session_ttl_hours: int = 24
    create_limit_per_minute: int | None = 10  # None: no limit (tests of other rules)
    # With 200k possible ids and a conditional put, 5 collisions in a row means the id space
    # is nearly full (or the vocabulary was cut); fail loudly rather than loop.
    max_id_attempts: int = 5


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def require_session_id(session_id: str | None) -> str:
    if not session_id or not is_valid_session_id(session_id):
        raise InvalidSessionId()
    return session_id


@dataclass
class SessionService:
    store: SessionStore
    policy: SessionPolicy
    metrics: Metrics
    new_session_id: Callable[[], str] = field(default_factory=SessionIdGenerator)
    clock_ms: Callable[[], int] = _now_ms
    cursors: CursorCodec | None = None  # only the functions that list sessions have the keys

    @property
    def validation_context(self) -> dict[str, object]:
        return {"supported_languages": tuple(self.policy.supported_languages)}

    def create(self, speaker_id: str, request: CreateSessionRequest, *, resend_key: str | None = None) -> Session:
        """A new session under a fresh id, counted against the speaker's creation limit in the
        same write: the limit counts sessions that exist, whatever failed or was retried.
        ``resend_key``: the client's id for this call, kept across its retries: the same creation
        sent again with it answers the session the first attempt made."""
        now = self.clock_ms()
        quota = None
        if self.policy.create_limit_per_minute is not None:
            second = now // 1000
            call_key = _call_key(resend_key, speaker_id, request.model_dump_json(by_alias=True)) if resend_key else None
            quota = Quota(
                f"create-session#{speaker_id}", self.policy.create_limit_per_minute, second - second % 60, 60, call_key
            )
        for attempt in range(1, self.policy.max_id_attempts + 1):
            session = Session(
                session_id=self.new_session_id(),
                speaker_id=speaker_id,
                source_language=request.source_language,
                quality_tier=request.quality_tier,
                status=SessionStatus.ACTIVE,
                listener_count=0,
                created_at=now,
                updated_at=now,
                expires_at=now + self.policy.session_ttl_hours * 3_600_000,
            )
            outcome = self.store.insert(session, quota)
            if outcome is InsertOutcome.CREATED:
                _log.info("session_created", session_id=session.session_id, id_attempts=attempt)
                self.metrics.add(
                    "SessionCreationCount", 1, dimensions={"SourceLanguage": session.source_language}, rollup=True
                )
                return session
            if outcome is InsertOutcome.RESENT:
                assert quota is not None and quota.call_key is not None
                return self._made_by(quota.call_key)
            if outcome is InsertOutcome.LIMITED:
                assert quota is not None
                self.metrics.add("SessionCreationRateLimited", 1)
                raise RateLimited(max(1, quota.window_end - now // 1000))
            _log.warning("session_id_collision", attempt=attempt)
        self.metrics.add("SessionIdExhausted", 1)
        raise SessionIdsExhausted()

    def _made_by(self, call_key: str) -> Session:
        """The session an earlier attempt of this call created (its answer was lost)."""
        made = self.store.created_by(call_key)
        session = self.store.get(made) if made else None
        if session is None:  # the record outlived its session (deleted by hand): nothing to answer
            raise DependencyUnavailable()
        _log.info("session_creation_resent", session_id=session.session_id)
        return session

    def get(self, session_id: str) -> Session:
        session = self.store.get(require_session_id(session_id))
        if session is None:
            raise SessionNotFound(session_id)
        return session

    def update(
        self, session_id: str, speaker_id: str, request: UpdateSessionRequest, *, resend_key: str | None = None
    ) -> Session:
        """``resend_key``: the client's id for this call, kept across its retries. The same
        change sent again with it is applied once (a retry after a lost answer must not count
        ``version`` twice, nor report an end it made itself as 409)."""
        require_session_id(session_id)
        now = self.clock_ms()
        changes: dict[str, str | int] = {}
        if request.status is not None:
            changes["status"] = request.status.value
            if request.status is SessionStatus.ENDED:
                changes["endedAt"] = now
                changes["endReason"] = "speaker"
        if request.source_language is not None:
            changes["sourceLanguage"] = request.source_language
        if request.quality_tier is not None:
            changes["qualityTier"] = request.quality_tier.value
        try:
            write_id = _write_id(resend_key, session_id, speaker_id, request) if resend_key else None
            session = self.store.update_owned(session_id, speaker_id, changes, now, write_id)
        except WriteRejected as rejected:
            raise self._rejection(session_id, speaker_id, rejected.current) from None
        _log.info("session_updated", session_id=session_id, fields=sorted(changes), status=session.status.value)
        if request.status is SessionStatus.ENDED:
            self._record_end(session)
        return session

    def end(self, session_id: str, speaker_id: str) -> Session:
        """Mark the session ended. Idempotent for its owner: ending an ended session succeeds."""
        require_session_id(session_id)
        now = self.clock_ms()
        try:
            session = self.store.update_owned(
                session_id,
                speaker_id,
                {"status": SessionStatus.ENDED.value, "endedAt": now, "endReason": "speaker"},
                now,
            )
        except WriteRejected as rejected:
            current = rejected.current
            if current is not None and current.speaker_id == speaker_id and current.status is SessionStatus.ENDED:
                return current
            raise self._rejection(session_id, speaker_id, current) from None
        _log.info("session_ended", session_id=session_id)
        self._record_end(session)
        return session

    def list(
        self,
        speaker_id: str,
        limit: int = DEFAULT_PAGE_SIZE,
        next_token: str | None = None,
        status: SessionStatus | None = None,
    ) -> SessionPage:
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise ValidationFailed(details=[("limit", f"must be between 1 and {MAX_PAGE_SIZE}")])
        if self.cursors is None:
            raise RuntimeError("listing needs the cursor signing keys (CURSOR_SIGNING_KEYS)")
        filter_name = status.value if status else None
        start_key = self.cursors.decode(next_token, speaker_id, filter_name) if next_token is not None else None
        page = self.store.list_by_speaker(speaker_id, limit, start_key, status)
        token = self.cursors.encode(page.last_key, speaker_id, filter_name) if page.last_key else None
        return SessionPage(sessions=page.sessions, next_token=token)

    def _record_end(self, session: Session) -> None:
        self.metrics.add("SessionDeletionCount", 1)
        ended = session.ended_at or session.updated_at
        self.metrics.add("SessionDuration", max(0, ended - session.created_at) / 1000, unit="Seconds")

    @staticmethod
    def _rejection(session_id: str, speaker_id: str, current: Session | None) -> Exception:
        if current is None:
            return SessionNotFound(session_id)
        if current.speaker_id != speaker_id:
            return NotSessionOwner()
        return InvalidStatusTransition()


def _write_id(resend_key: str, session_id: str, speaker_id: str, request: UpdateSessionRequest) -> str:
    """One id per (client call, session, speaker, change): a different change sent with the same
    correlation id is a different write."""
    return _call_key(resend_key, session_id, speaker_id, request.model_dump_json(by_alias=True, exclude_none=True))


def _call_key(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]
