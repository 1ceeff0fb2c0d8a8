"""Scheduled sweep of stale connections, refresh notices and expired sessions."""

from __future__ import annotations

import time
from dataclasses import asdict
from functools import cache
from typing import Any

from babelcast.domain.sweeper import Sweeper
from babelcast.integration.connections_api import ConnectionsApi
from babelcast.integration.connections_table import ConnectionsTable
from babelcast.integration.sessions_table import SessionsTable
from babelcast.logging import bind_request_context, configure_logging
from babelcast.metrics import Metrics
from babelcast.settings import SweeperSettings, load_settings

SETTINGS = SweeperSettings


@cache
def sweeper() -> Sweeper:
    settings = load_settings(SweeperSettings)
    configure_logging(settings.log_level, service="connection_sweeper")
    return Sweeper(
        connections=ConnectionsTable(settings.connections_table_name, settings.sessions_table_name),
        sessions=SessionsTable(settings.sessions_table_name),
        api=ConnectionsApi(settings.connections_endpoint),
        metrics=Metrics(settings.metrics_namespace, {"Environment": settings.environment}),
        refresh_after_ms=settings.connection_refresh_after_seconds * 1000,
        clock_ms=lambda: time.time_ns() // 1_000_000,
    )


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    job = sweeper()
    bind_request_context(correlation_id=str(event.get("id", "")), aws_request_id=getattr(context, "aws_request_id", ""))
    report = job.run()
    job.metrics.flush()
    return asdict(report)
