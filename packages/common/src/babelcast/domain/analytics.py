"""Per-session usage: duration, listeners (current, peak, listener-minutes) and audio.

The counters live on the session item and are kept by writes that happen anyway (see
docs/analytics.md): the listener transactions of $connect/$disconnect, the audio write of
sendAudio, the change stream's consumer (peak) and the end of the session. Reading them is one
GetItem: the open listeners' time comes from their count and the sum of their connect times.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from babelcast.domain.audio import BYTES_PER_SAMPLE
from babelcast.domain.ports import UsageReader
from babelcast.domain.session_records import SessionUsage
from babelcast.domain.sessions import require_session_id
from babelcast.errors import NotSessionOwner, SessionNotFound
from babelcast.logging import get_logger
from babelcast.metrics import Metrics
from babelcast.models import Session, SessionAnalytics

_log = get_logger(__name__)


def open_listener_ms(session: Session, usage: SessionUsage, at_ms: int) -> int:
    """Time the still-connected listeners have listened until ``at_ms``: count * at - sum of
    their connect times. 0 when the counters are implausible (listeners that joined before the
    counters existed), rather than a wild figure."""
    if usage.listener_count == 0:
        return 0
    open_ms = usage.listener_count * at_ms - usage.listener_connected_sum
    if usage.listener_connected_sum < usage.listener_count * session.created_at or open_ms < 0:
        _log.warning("listener_time_unknown", session_id=session.session_id, listeners=usage.listener_count)
        return 0
    return open_ms


def summarize(session: Session, usage: SessionUsage, now_ms: int) -> SessionAnalytics:
    until = session.ended_at if session.ended_at is not None else now_ms
    listener_ms = usage.listener_ms + open_listener_ms(session, usage, until)
    return SessionAnalytics(
        session_id=session.session_id,
        status=session.status,
        created_at=session.created_at,
        ended_at=session.ended_at,
        duration_seconds=round(max(0, until - session.created_at) / 1000, 3),
        current_listeners=usage.listener_count,
        # the stream consumer raises the stored peak shortly after a join: cover that lag
        peak_listeners=max(usage.peak_listeners, usage.listener_count),
        listener_minutes=round(listener_ms / 60_000, 3),
        audio_bytes=usage.audio_bytes,
        audio_seconds=round(usage.audio_bytes / (usage.sample_rate * BYTES_PER_SAMPLE), 3),
    )


def record_end_metrics(metrics: Metrics, analytics: SessionAnalytics) -> None:
    """A session's totals, once, when it ends."""
    metrics.add("SessionPeakListeners", analytics.peak_listeners)
    metrics.add("SessionListenerMinutes", analytics.listener_minutes, unit="None")
    metrics.add("SessionAudioSeconds", analytics.audio_seconds, unit="Seconds")
    metrics.add("SessionAudioBytes", analytics.audio_bytes, unit="Bytes")


@dataclass
class AnalyticsService:
    store: UsageReader
    clock_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000

    def for_owner(self, session_id: str, speaker_id: str) -> SessionAnalytics:
        found = self.store.usage(require_session_id(session_id))
        if found is None:
            raise SessionNotFound(session_id)
        session, usage = found
        if session.speaker_id != speaker_id:
            raise NotSessionOwner("Only the speaker who created this session can read its analytics.")
        return summarize(session, usage, self.clock_ms())
