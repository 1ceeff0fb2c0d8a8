"""Scheduled sweep of stale connections, refresh notices and expired sessions."""

from __future__ import annotations

import time
from dataclasses import asdict
from functools import cache
from typing import Any

from babelcast.domain.sweeper import Sweeper
from babelcast.integration import budget
from babelcast.integration.connections_api import ConnectionsApi
from babelcast.integration.connections_table import ConnectionsTable
from babelcast.integration.sessions_table import SessionsTable
from babelcast.logging import bind_request_context
from babelcast.metrics import flushes_metrics
from babelcast.runtime import cold_start
from babelcast.settings import SweeperSettings

ANSWER_RESERVE_SECONDS = 1.0
SETTINGS = SweeperSettings


@cache
def sweeper() -> Sweeper:
    settings, metrics = cold_start(SweeperSettings, "connection_sweeper")
    return Sweeper(
        connections=ConnectionsTable(settings.connections_table_name, settings.sessions_table_name),
        sessions=SessionsTable(settings.sessions_table_name),
        api=ConnectionsApi(settings.connections_endpoint),
        metrics=metrics,
        refresh_after_ms=settings.connection_refresh_after_seconds * 1000,
        clock_ms=lambda: time.time_ns() // 1_000_000,
    )


@flushes_metrics(lambda: sweeper().metrics)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    job = sweeper()
    budget.begin(context, ANSWER_RESERVE_SECONDS)  # what is left undone is the next run's
    bind_request_context(correlation_id=str(event.get("id", "")), aws_request_id=getattr(context, "aws_request_id", ""))
    report = job.run()
    return asdict(report)
