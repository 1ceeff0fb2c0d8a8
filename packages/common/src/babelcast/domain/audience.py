"""The speaker sees the audience: ``audienceUpdate`` (listenerCount and listeners per language)
pushed to the session's speaker connection(s) after joins, leaves and language changes.

Driven by the sessions table's change stream (every join, leave and language change is a write
of the session item's counters), coalesced to at most one message per session per second: a
conditional write on the session item (``AudienceMarks``) claims the second and stores what was
sent, so a batch retried by the stream, or a change whose counts were already announced, posts
nothing twice. A change inside the second after a post waits for that second to pass (at most
``MIN_INTERVAL_MS``) and is then sent with the newest counts the batch shows; changes arriving
meanwhile come in the next batch. docs/architecture.md#the-speaker-sees-the-audience.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from babelcast.domain.connection_records import SPEAKER_CHANNEL
from babelcast.domain.ports import AudienceMarks, ConnectionDirectory, Messenger
from babelcast.domain.session_records import SessionChange, SessionSnapshot
from babelcast.errors import DomainError
from babelcast.logging import get_logger
from babelcast.metrics import Metrics
from babelcast.models import SessionStatus

_log = get_logger(__name__)
MIN_INTERVAL_MS = 1000


def audience_key(snapshot: SessionSnapshot) -> str:
    """What an audienceUpdate says, as one comparable string (stored with the last one sent)."""
    languages = ",".join(f"{language}={count}" for language, count in snapshot.usage.languages.items())
    return f"{snapshot.usage.listener_count}|{languages}"


def audience_update(snapshot: SessionSnapshot, now_ms: int) -> dict[str, Any]:
    return {
        "type": "audienceUpdate",
        "sessionId": snapshot.session.session_id,
        "listenerCount": snapshot.usage.listener_count,
        "languages": dict(snapshot.usage.languages),
        "timestamp": now_ms,
    }


@dataclass
class AudienceAnnouncer:
    marks: AudienceMarks
    connections: ConnectionDirectory
    api: Messenger
    metrics: Metrics
    clock_ms: Callable[[], int]
    sleep: Callable[[float], None] = time.sleep

    def announce(self, changes: Iterable[SessionChange]) -> int:
        """Post one audienceUpdate per session whose audience a batch of changes altered (the
        newest counts the batch shows). Returns how many sessions were told."""
        newest: dict[str, SessionSnapshot] = {}
        for change in changes:
            if change.kind != "modified" or change.after is None:
                continue
            session_id = change.after.session.session_id
            # a change of the audience; or a later change of a session that had one (newer counts)
            if audience_key(change.before) != audience_key(change.after) or session_id in newest:
                newest[session_id] = change.after
        told = 0
        for session_id, snapshot in newest.items():
            if snapshot.session.status is SessionStatus.ENDED:
                continue  # sessionEnded says it all
            try:
                told += self._announce(session_id, snapshot)
            except DomainError as failure:  # the next change announces the counts again
                _log.error("audience_not_announced", session_id=session_id, code=failure.code)
        return told

    def _announce(self, session_id: str, snapshot: SessionSnapshot) -> bool:
        key = audience_key(snapshot)
        for _ in range(2):
            now = self.clock_ms()
            wait_ms = self.marks.mark_audience(session_id, key, now, MIN_INTERVAL_MS)
            if wait_ms is None:
                return self._post(session_id, snapshot, now)
            if wait_ms <= 0:
                return False  # already announced (a retried batch), or the session is gone
            self.sleep(min(wait_ms, MIN_INTERVAL_MS) / 1000)
        return False

    def _post(self, session_id: str, snapshot: SessionSnapshot, now: int) -> bool:
        speakers = [r.connection_id for r in self.connections.of_session(session_id, SPEAKER_CHANNEL)]
        message: Mapping[str, Any] = audience_update(snapshot, now)
        delivery = self.api.post_many(speakers, message)
        self.metrics.add("AudienceUpdatesDelivered", delivery.delivered)
        _log.info(
            "audience_announced",
            session_id=session_id,
            listener_count=snapshot.usage.listener_count,
            delivered=delivery.delivered,
        )
        return True
