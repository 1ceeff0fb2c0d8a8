"""Telling every connection of a session what happened to it, and cleaning up when it ends.

Driven by the sessions table's change stream, so a pause, resume or end reaches listeners the
same way whether it came from PATCH/DELETE over HTTP, a WebSocket control message, the sweep of
expired sessions or DynamoDB's TTL. The HTTP call that caused it returns without waiting: DELETE
answers in milliseconds even with 500 listeners, and the fan-out itself posts in parallel.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from babelcast.domain.audio import AudioService
from babelcast.integration.audio import AudioBufferTable
from babelcast.integration.connections_api import ConnectionsApi, Delivery
from babelcast.integration.connections_table import ConnectionsTable
from babelcast.integration.sessions_table import SessionsTable, audio_state_from_item
from babelcast.logging import get_logger
from babelcast.metrics import Metrics
from babelcast.models import SessionStatus

_log = get_logger(__name__)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass
class SessionFanout:
    sessions: SessionsTable
    connections: ConnectionsTable
    api: ConnectionsApi
    buffer: AudioBufferTable
    audio: AudioService
    metrics: Metrics
    clock_ms: Callable[[], int] = _now_ms

    def on_change(self, event_name: str, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> None:
        """React to one stream record (images in DynamoDB JSON)."""
        if event_name == "REMOVE" and old is not None:
            removed = audio_state_from_item(old).session
            if removed.status is not SessionStatus.ENDED:  # expired by TTL before anyone ended it
                self.end(removed.session_id, "expired", update_counts=False)
            return
        if event_name != "MODIFY" or old is None or new is None:
            return
        before, after = audio_state_from_item(old), audio_state_from_item(new)
        if before.session.status is after.session.status:
            return
        session_id = after.session.session_id
        if after.session.status is SessionStatus.PAUSED:
            self.notify(session_id, {"type": "sessionPaused", "sessionId": session_id, "status": "paused"})
        elif after.session.status is SessionStatus.ACTIVE:
            if after.buffer_depth > 0:
                self.audio.flush(session_id)  # PATCH resumed it: the paused audio goes out first
            self.notify(session_id, {"type": "sessionResumed", "sessionId": session_id, "status": "active"})
        elif after.session.status is SessionStatus.ENDED:
            self.end(session_id, after.session.end_reason or "ended")

    def notify(self, session_id: str, message: Mapping[str, Any]) -> Delivery:
        records = {r.connection_id: r for r in self.connections.of_session(session_id)}
        delivery = self.api.post_many(records, {**message, "timestamp": self.clock_ms()})
        for connection_id in delivery.gone:  # the socket died without a $disconnect reaching us
            self.connections.remove(records[connection_id])
        self.metrics.add("SessionNotificationsDelivered", delivery.delivered)
        _log.info("session_notified", session_id=session_id, type=message.get("type"), delivered=delivery.delivered,
                  gone=len(delivery.gone), failed=delivery.failed)  # fmt: skip
        return delivery

    def end(self, session_id: str, reason: str, *, update_counts: bool = True) -> Delivery:
        """Forget the session's connections (listenerCount 0), then tell everyone and close their
        sockets: a client that reads the session after ``sessionEnded`` sees it fully ended."""
        records = list(self.connections.of_session(session_id))
        ids = [r.connection_id for r in records]
        self.connections.delete_many(ids)
        if update_counts:
            self.sessions.finish_end(session_id)
        delivery = self.api.post_many(ids, {"type": "sessionEnded", "sessionId": session_id, "reason": reason,
                                            "timestamp": self.clock_ms()})  # fmt: skip
        self.api.close_many(ids)
        chunks = [c.position for c in self.buffer.all(session_id)]
        if chunks:
            self.buffer.remove(session_id, chunks)
        self.metrics.add("SessionEndFanout", len(ids))
        _log.info("session_end_fanned_out", session_id=session_id, reason=reason, connections=len(ids),
                  delivered=delivery.delivered, discarded_chunks=len(chunks))  # fmt: skip
        return delivery
