"""Consumer of the sessions table's change stream: pause/resume/end reach every connection."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cache
from typing import Any

from babelcast.domain.audience import AudienceAnnouncer
from babelcast.domain.audio import AudioService
from babelcast.domain.fanout import SessionFanout
from babelcast.integration import budget
from babelcast.integration.audio import AudioBufferTable, AudioStream
from babelcast.integration.audio_ledger import AudioLedger
from babelcast.integration.connections_api import ConnectionsApi
from babelcast.integration.connections_table import ConnectionsTable
from babelcast.integration.session_stream import correlation_id, session_change, usage_after
from babelcast.integration.sessions_table import SessionsTable
from babelcast.logging import bind_request_context, get_logger
from babelcast.metrics import Metrics, flushes_metrics
from babelcast.runtime import cold_start
from babelcast.settings import SessionEventsSettings

ANSWER_RESERVE_SECONDS = 1.0
SETTINGS = SessionEventsSettings
_log = get_logger(__name__)


@dataclass(frozen=True)
class Dependencies:
    fanout: SessionFanout
    audience: AudienceAnnouncer
    metrics: Metrics


@cache
def dependencies() -> Dependencies:
    settings, metrics = cold_start(SessionEventsSettings, "session_events")
    sessions = SessionsTable(settings.sessions_table_name)
    buffer = AudioBufferTable(settings.audio_buffer_table_name)
    connections = ConnectionsTable(settings.connections_table_name, settings.sessions_table_name)
    api = ConnectionsApi(settings.connections_endpoint)
    fanout = SessionFanout(
        sessions=sessions,
        connections=connections,
        api=api,
        buffer=buffer,
        audio=AudioService(
            AudioLedger(settings.sessions_table_name), buffer, AudioStream(settings.audio_stream_name), metrics, budget
        ),
        metrics=metrics,
        clock_ms=lambda: time.time_ns() // 1_000_000,
        legacy_dialect=settings.legacy_dialect_enabled,
    )
    audience = AudienceAnnouncer(sessions, connections, api, metrics, clock_ms=lambda: time.time_ns() // 1_000_000)
    return Dependencies(fanout, audience, metrics)


@flushes_metrics(lambda: dependencies().metrics)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    deps = dependencies()
    budget.begin(context, ANSWER_RESERVE_SECONDS)  # a record left undone is retried, not timed out
    failures = []
    records = event.get("Records", [])
    changes = [record for record in records if record.get("eventName") == "MODIFY"]
    if changes:  # peaks first, so an end later in the batch reports them
        last = changes[-1]
        bind_request_context(correlation_id=correlation_id(last), aws_request_id=getattr(context, "aws_request_id", ""))
        deps.fanout.record_peaks(usage for usage in map(usage_after, changes) if usage is not None)
    decoded_changes = []
    for record in records:
        change = record.get("dynamodb") or {}
        bind_request_context(
            correlation_id=correlation_id(record),
            stream_event_id=str(record.get("eventID", "")),
            aws_request_id=getattr(context, "aws_request_id", ""),
        )
        try:
            decoded = session_change(record)
            if decoded is not None:
                deps.fanout.on_change(decoded)
                decoded_changes.append(decoded)
        except Exception as failure:
            # Report only this record: the stream retries from it, keeping later records in order.
            _log.error("change_failed", error_type=type(failure).__name__)
            failures.append({"itemIdentifier": change.get("SequenceNumber")})
            break
    # after the batch's own events: joins, leaves and language changes, one message per session
    deps.audience.announce(decoded_changes)
    return {"batchItemFailures": failures}
