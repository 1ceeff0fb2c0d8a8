"""Telling every connection of a session what happened to it, and cleaning up when it ends.

Driven by the sessions table's change stream, so a pause, resume or end reaches listeners the
same way whether it came from PATCH/DELETE over HTTP, a WebSocket control message, the sweep of
expired sessions or DynamoDB's TTL. The HTTP call that caused it returns without waiting: DELETE
answers in milliseconds even with 500 listeners, and the fan-out itself posts in parallel.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from babelcast.domain.analytics import open_listener_ms, record_end_metrics, summarize
from babelcast.domain.audio import AudioService
from babelcast.domain.connection_records import Delivery
from babelcast.domain.ports import AudioBuffer, ConnectionDirectory, Messenger, UsageCounters
from babelcast.domain.session_records import SessionChange, SessionSnapshot, SessionUsage
from babelcast.errors import DomainError
from babelcast.legacy.dialect import legacy_events, mute_event
from babelcast.logging import current_correlation_id, get_logger
from babelcast.metrics import Metrics
from babelcast.models import SessionAnalytics, SessionStatus

_log = get_logger(__name__)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass
class SessionFanout:
    sessions: UsageCounters
    connections: ConnectionDirectory
    api: Messenger
    buffer: AudioBuffer
    audio: AudioService
    metrics: Metrics
    clock_ms: Callable[[], int] = _now_ms
    legacy_dialect: bool = False  # also send the deployed clients' event names (docs/websocket-protocol.md)

    def on_change(self, change: SessionChange) -> None:
        """React to one change of a session (decoded from the table's stream by the caller)."""
        if change.kind == "removed":
            removed = change.before.session
            if removed.status is not SessionStatus.ENDED:  # expired by TTL before anyone ended it
                self.end(removed.session_id, "expired", expired=change.before)
            return
        before, after = change.before, change.after
        if after is None:
            return
        session_id = after.session.session_id
        if before.session.status is after.session.status:
            muted = mute_event(before.muted, after.muted, session_id) if self.legacy_dialect else None
            if muted is not None:
                self.notify(session_id, muted)
            return
        if after.session.status is SessionStatus.PAUSED:
            self.notify(session_id, {"type": "sessionPaused", "sessionId": session_id, "status": "paused"})
        elif after.session.status is SessionStatus.ACTIVE:
            if after.buffer_depth > 0:
                self.audio.flush(session_id)  # PATCH resumed it: the paused audio goes out first
            self.notify(session_id, {"type": "sessionResumed", "sessionId": session_id, "status": "active"})
        elif after.session.status is SessionStatus.ENDED:
            self.end(session_id, after.session.end_reason or "ended", seen=after)

    def record_peaks(self, usages: Iterable[tuple[str, SessionUsage]]) -> int:
        """Raise each session's stored peak to the most listeners a batch of changes shows
        (``usages``: each change's session id and counters after it).
        Every listener join reaches the stream as a change of listenerCount, so keeping the peak
        here costs the $connect path nothing; one write per session per batch, and only for a
        new peak (200 listeners joining at once cost a handful of writes, not 200)."""
        peaks: dict[str, int] = {}
        stored: dict[str, int] = {}
        for session_id, usage in usages:
            peaks[session_id] = max(peaks.get(session_id, 0), usage.listener_count)
            stored[session_id] = max(stored.get(session_id, 0), usage.peak_listeners)
        raised = 0
        for session_id, peak in peaks.items():
            if peak > stored[session_id]:
                try:
                    raised += self.sessions.record_peak(session_id, peak)
                except DomainError as failure:  # the read path still reports max(peak, current)
                    _log.error("peak_not_recorded", session_id=session_id, peak=peak, code=failure.code)
        return raised

    def notify(self, session_id: str, message: Mapping[str, Any]) -> Delivery:
        records = {r.connection_id: r for r in self.connections.of_session(session_id)}
        stamped = {**message, **self._correlation(), "timestamp": self.clock_ms()}
        delivery = self.api.post_many(records, stamped)
        for legacy in legacy_events(stamped) if self.legacy_dialect else []:  # beside ours, same fields
            self.api.post_many([c for c in records if c not in delivery.gone], legacy)
        for connection_id in delivery.gone:  # the socket died without a $disconnect reaching us
            self.connections.remove(records[connection_id])
        self.metrics.add("SessionNotificationsDelivered", delivery.delivered)
        _log.info(
            "session_notified",
            session_id=session_id,
            type=message.get("type"),
            delivered=delivery.delivered,
            gone=len(delivery.gone),
            failed=delivery.failed,
        )
        return delivery

    def end(
        self,
        session_id: str,
        reason: str,
        *,
        seen: SessionSnapshot | None = None,
        expired: SessionSnapshot | None = None,
    ) -> Delivery:
        """Forget the session's connections (listenerCount 0), then tell everyone and close their
        sockets: a client that reads the session after ``sessionEnded`` sees it fully ended.
        ``seen`` is the session as the stream saw it (saves a read when settling the usage);
        ``expired`` the last state of a session TTL deleted (nothing left to settle)."""
        records = list(self.connections.of_session(session_id))
        ids = [r.connection_id for r in records]
        self.connections.delete_many(ids)
        if expired is not None:  # deleted by TTL: its last state is all there is
            analytics: SessionAnalytics | None = summarize(expired.session, expired.usage, self.clock_ms())
        else:
            analytics = self._settle_usage(session_id, seen)
        if analytics is not None:
            record_end_metrics(self.metrics, analytics)
        delivery = self.api.post_many(
            ids,
            {
                "type": "sessionEnded",
                "sessionId": session_id,
                "reason": reason,
                **self._correlation(),
                "timestamp": self.clock_ms(),
            },
        )
        self.api.close_many(ids)
        chunks = [c.position for c in self.buffer.all(session_id)]
        if chunks:
            self.buffer.remove(session_id, chunks)
        self.metrics.add("SessionEndFanout", len(ids))
        _log.info(
            "session_end_fanned_out",
            session_id=session_id,
            reason=reason,
            connections=len(ids),
            delivered=delivery.delivered,
            discarded_chunks=len(chunks),
        )
        return delivery

    def _settle_usage(self, session_id: str, seen: SessionSnapshot | None) -> SessionAnalytics | None:
        """Reset the listener counters of an ended session, folding the time of the listeners
        still connected at its end into listenerMs. Optimistic: a $disconnect racing us changes
        the counters, so we re-read and retry (rare; no extra call otherwise)."""
        for _ in range(5):
            if seen is None:
                found = self.sessions.usage(session_id)
                if found is None:
                    return None
                session, usage = found
            else:
                session, usage = seen.session, seen.usage
            if session.status is not SessionStatus.ENDED:
                return None
            ended_at = session.ended_at if session.ended_at is not None else self.clock_ms()
            after = self.sessions.finish_end(session_id, usage, open_listener_ms(session, usage, ended_at))
            if after is not None:
                return summarize(session, after, self.clock_ms())
            seen = None
        _log.warning("session_usage_not_settled", session_id=session_id)
        return None

    @staticmethod
    def _correlation() -> dict[str, str]:
        """What caused this message (the HTTP call's X-Correlation-Id, or the WebSocket request)."""
        correlation_id = current_correlation_id()
        return {"correlationId": correlation_id} if correlation_id else {}
