"""The periodic sweep: forget connections whose sockets are gone, ask long-lived clients to
reconnect before API Gateway's 2-hour limit, and end sessions past their expiry (DynamoDB's TTL
may take hours to delete them; ending them here fans out ``sessionEnded`` promptly)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from babelcast.domain.connection_records import ConnectionRecord
from babelcast.domain.ports import ConnectionDirectory, ExpiringSessions, Messenger
from babelcast.errors import DependencyFailure, DependencyUnavailable
from babelcast.legacy.dialect import refresh_by
from babelcast.logging import get_logger, with_request_context
from babelcast.metrics import Metrics
from babelcast.models import SessionStatus

_log = get_logger(__name__)
# A record is written inside $connect, before API Gateway opens the socket: until then
# @connections answers 410 for it, as for a socket that is gone. API Gateway waits at most 29 s
# for $connect, so a younger record is left alone (a refused $connect's leftover is swept later).
CONNECT_GRACE_MS = 30_000


@dataclass
class SweepReport:
    checked: int = 0
    stale_removed: int = 0
    refresh_requested: int = 0
    sessions_expired: int = 0
    errors: int = 0
    live_connections: int = 0
    expired_ids: list[str] = field(default_factory=list)


@dataclass
class Sweeper:
    connections: ConnectionDirectory
    sessions: ExpiringSessions
    api: Messenger
    metrics: Metrics
    refresh_after_ms: int
    clock_ms: Callable[[], int]

    def run(self) -> SweepReport:
        report = SweepReport()
        now = self.clock_ms()
        records = list(self.connections.scan())
        report.checked = len(records)
        failures: tuple[type[Exception], ...] = (*self.api.failures, DependencyFailure, DependencyUnavailable)

        def visit(record: ConnectionRecord) -> str:
            if now - record.connected_at < CONNECT_GRACE_MS:
                return "young"
            try:
                if not self.api.is_connected(record.connection_id):
                    self.connections.remove(record, now)
                    return "stale"
                if now - record.connected_at >= self.refresh_after_ms and record.refresh_sent_at is None:
                    self.api.post(
                        record.connection_id,
                        {
                            "type": "connectionRefreshRequired",
                            "reason": "maximum connection time approaching",
                            "sessionId": record.session_id,
                            "timestamp": now,
                            "refreshBy": refresh_by(record.connected_at),
                        },
                    )
                    self.connections.mark_refresh_sent(record.connection_id, now)
                    return "refresh"
            except failures as error:
                # @connections errors arrive raw, table errors as domain errors: either way one
                # connection's failure must not stop the sweep (the next run retries it)
                _log.warning("sweep_connection_failed", error_type=type(error).__name__)
                return "error"
            return "ok"

        with ThreadPoolExecutor(max_workers=16) as pool:
            for outcome in pool.map(with_request_context(visit), records):
                report.stale_removed += outcome == "stale"
                report.refresh_requested += outcome == "refresh"
                report.errors += outcome == "error"
        report.live_connections = report.checked - report.stale_removed
        for session_id in sorted({r.session_id for r in records if r.session_id}):
            session = self.sessions.get(session_id)
            expired = session and session.status is not SessionStatus.ENDED and session.expires_at < now
            if expired and self.sessions.end_if_expired(session_id, now):
                report.sessions_expired += 1
                report.expired_ids.append(session_id)
        self.metrics.add("StaleConnectionsRemoved", report.stale_removed)
        self.metrics.add("ConnectionRefreshRequested", report.refresh_requested)
        self.metrics.add("SessionsExpired", report.sessions_expired)
        # The scan above already lists every connection: the gauge costs no extra call.
        self.metrics.add("LiveConnections", report.live_connections)
        _log.info(
            "sweep_completed",
            checked=report.checked,
            stale_removed=report.stale_removed,
            refresh_requested=report.refresh_requested,
            sessions_expired=report.sessions_expired,
            errors=report.errors,
        )
        return report
