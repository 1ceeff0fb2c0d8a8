"""WebSocket $connect: applies the connect rules, stores the connection, counts listeners."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cache
from typing import Any

from babelcast.adapter import answer_for
from babelcast.domain.connections import ConnectionService, ConnectRequest
from babelcast.errors import DomainError
from babelcast.integration import budget
from babelcast.integration.connections_table import ConnectionsTable
from babelcast.integration.sessions_table import SessionsTable
from babelcast.metrics import Metrics, flushes_metrics
from babelcast.runtime import cold_start
from babelcast.settings import ConnectSettings
from babelcast.websocket import WsCaller, bind, connect_response

ANSWER_RESERVE_SECONDS = 0.5
SETTINGS = ConnectSettings


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class Dependencies:
    service: ConnectionService
    metrics: Metrics


@cache
def dependencies() -> Dependencies:
    settings, metrics = cold_start(ConnectSettings, "ws_connect")
    service = ConnectionService(
        sessions=SessionsTable(settings.sessions_table_name),
        connections=ConnectionsTable(settings.connections_table_name, settings.sessions_table_name),
        supported_languages=settings.supported_languages,
        max_listeners=settings.max_listeners_per_session,
        legacy_creation_enabled=settings.legacy_creation_enabled,
        metrics=metrics,
    )
    return Dependencies(service, metrics)


@flushes_metrics(lambda: dependencies().metrics)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    deps = dependencies()
    budget.begin(context, ANSWER_RESERVE_SECONDS)
    started = time.perf_counter()
    caller = WsCaller.from_event(event)
    bind(caller, getattr(context, "aws_request_id", ""))
    request = ConnectRequest(
        connection_id=caller.connection_id,
        role="speaker" if caller.role == "speaker" else "listener",
        user_id=caller.user_id,
        session_id=caller.query.get("sessionId") or None,
        target_language=caller.query.get("targetLanguage") or None,
        now_ms=_now_ms(),
    )
    error: DomainError | None = None
    try:
        deps.service.connect(request)
    except Exception as caught:
        error = answer_for(caught, rejected="connect_rejected", with_location=False)
    elapsed = (time.perf_counter() - started) * 1000
    deps.metrics.add("WebSocketConnectDuration", elapsed, unit="Milliseconds")
    return connect_response(error)
