"""WebSocket $disconnect: forgets the connection (idempotent) and uncounts a listener. The
speaker's disconnect does not end the session: speakers reconnect with the same sessionId."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cache
from typing import Any

from babelcast.domain.connections import DisconnectService
from babelcast.integration import budget
from babelcast.integration.connections_table import ConnectionsTable
from babelcast.logging import get_logger
from babelcast.metrics import Metrics, flushes_metrics
from babelcast.runtime import cold_start
from babelcast.settings import DisconnectSettings
from babelcast.websocket import WsCaller, bind

ANSWER_RESERVE_SECONDS = 0.5
SETTINGS = DisconnectSettings
_log = get_logger(__name__)


@dataclass(frozen=True)
class Dependencies:
    service: DisconnectService
    metrics: Metrics


@cache
def dependencies() -> Dependencies:
    settings, metrics = cold_start(DisconnectSettings, "ws_disconnect")
    service = DisconnectService(
        connections=ConnectionsTable(settings.connections_table_name, settings.sessions_table_name),
        metrics=metrics,
        clock_ms=lambda: time.time_ns() // 1_000_000,
    )
    return Dependencies(service, metrics)


@flushes_metrics(lambda: dependencies().metrics)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    deps = dependencies()
    budget.begin(context, ANSWER_RESERVE_SECONDS)
    caller = WsCaller.from_event(event)
    bind(caller, getattr(context, "aws_request_id", ""))
    close_code = (event.get("requestContext") or {}).get("disconnectStatusCode")
    try:
        deps.service.disconnect(caller.connection_id, int(close_code) if close_code is not None else None)
    except Exception as failure:  # $disconnect is best-effort; the sweep removes what is left
        _log.error("disconnect_failed", error_type=type(failure).__name__)
    return {"statusCode": 200}
