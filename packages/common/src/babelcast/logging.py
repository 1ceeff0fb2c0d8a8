"""Structured JSON logs (one line per event) carrying the correlation id.

Tokens must never reach a log line: every rendered value passes through a scrubber that
replaces anything shaped like a JWT, as a last line of defence behind "never log headers or
query strings".
"""

from __future__ import annotations

import contextvars
import logging
import re
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import structlog
from structlog.typing import EventDict, WrappedLogger

_JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_BEARER = re.compile(r"(?i)bearer\s+\S+")
_state = {"configured": False}
_In = TypeVar("_In")
_Out = TypeVar("_Out")


class _StdoutLogger:
    """Writes to whatever sys.stdout is at call time (Lambda ships stdout to CloudWatch)."""

    def msg(self, message: str) -> None:
        sys.stdout.write(message + "\n")

    debug = info = warning = warn = error = critical = exception = fatal = log = msg


def _logger_factory(*_: Any) -> _StdoutLogger:
    return _StdoutLogger()


def scrub(value: Any) -> Any:
    if isinstance(value, str):
        return _BEARER.sub("Bearer [redacted]", _JWT_SHAPE.sub("[redacted-token]", value))
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    return value


def _scrub_processor(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    return {key: scrub(value) for key, value in event_dict.items()}


def configure_logging(level: str = "INFO", service: str = "babelcast") -> None:
    """Idempotent: warm invocations keep the first configuration."""
    if _state["configured"]:
        return
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
            _scrub_processor,
            structlog.processors.JSONRenderer(sort_keys=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level]),
        logger_factory=_logger_factory,
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.bind_contextvars(service=service)
    _state["configured"] = True


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)


def bind_request_context(**values: Any) -> None:
    """Replace the per-request context (warm invocations must not inherit the previous one)."""
    service = structlog.contextvars.get_contextvars().get("service", "babelcast")
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(service=service, **values)


def current_correlation_id() -> str | None:
    """The correlation id bound for this request, if any. Writes store it on the session item so
    what they cause asynchronously (the change stream's fan-out) logs under the same id."""
    value = structlog.contextvars.get_contextvars().get("correlation_id")
    return str(value) if value else None


def with_request_context(function: Callable[[_In], _Out]) -> Callable[[_In], _Out]:
    """``function`` run in worker threads with the caller's log context (thread pools do not
    inherit context variables, so their log lines would lose the correlation id)."""
    context = contextvars.copy_context()

    def run(argument: _In) -> _Out:
        return context.copy().run(function, argument)

    return run
