"""Dependency health for GET /health."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from babelcast.errors import DomainError


@dataclass(frozen=True)
class HealthReport:
    healthy: bool
    body: dict[str, Any]


def check_health(checks: Mapping[str, Callable[[], float]], *, version: str, environment: str) -> HealthReport:
    """Run each named check (returning its latency in ms, raising on failure)."""
    started = time.perf_counter()
    results: dict[str, dict[str, Any]] = {}
    for name, check in checks.items():
        check_started = time.perf_counter()
        try:
            latency = check()
            results[name] = {"status": "healthy", "latencyMs": round(latency, 2)}
        except DomainError as error:
            results[name] = {
                "status": "unhealthy",
                "latencyMs": round((time.perf_counter() - check_started) * 1000, 2),
                "error": error.code,
            }
    healthy = all(result["status"] == "healthy" for result in results.values())
    body = {
        "status": "healthy" if healthy else "unhealthy",
        "version": version,
        "environment": environment,
        "checks": results,
        "responseTimeMs": round((time.perf_counter() - started) * 1000, 2),
        "timestamp": time.time_ns() // 1_000_000,
    }
    return HealthReport(healthy=healthy, body=body)
