"""The time budget of an invocation: every AWS call fits in what the function has left, so the
function always answers in its own shape (a stable code and a correlation id).

Lambda stops a function at its timeout and API Gateway answers for it with a bare
``{"message":"Service Unavailable"}``. So the SDK may only *start* an attempt that can end
(connect + read timeout) before the invocation's deadline less a reserve kept for answering, and
may only retry when the backoff and a whole new attempt still fit; otherwise the call fails at once
with ``BudgetExhausted``, which the handlers turn into ``503 SERVICE_UNAVAILABLE`` like any
unreachable dependency. The arithmetic per function is in docs/operating.md.

``begin`` sets the deadline from the Lambda context at the start of each invocation; ``within``
narrows it for one step (``/health`` gives its probe ``HEALTH_PROBE_SECONDS``); ``answering``
lets the reply itself (a WebSocket post) use the reserve. The deadline is process-wide, not per
thread: a Lambda process serves one invocation at a time, and fan-out threads share its deadline.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

HARD_MARGIN_SECONDS = 0.3  # left unused before Lambda's own timeout: the answer must still be sent
DATA_CONNECT_SECONDS = 1.0  # the DynamoDB and Kinesis clients' timeouts (aws.py)
DATA_READ_SECONDS = 2.0
DATA_ATTEMPT_SECONDS = DATA_CONNECT_SECONDS + DATA_READ_SECONDS
HEALTH_PROBE_SECONDS = 1.5  # GET /health answers within ~2 s even when DynamoDB does not
_RETRIED_STATUSES = frozenset({500, 502, 503, 504, 429})

clock: Callable[[], float] = time.monotonic  # tests replace it to let a stall pass without waiting
_deadline = math.inf  # when the work must be done (the reserve for answering comes after it)
_hard_deadline = math.inf  # Lambda's timeout less HARD_MARGIN_SECONDS


class BudgetExhausted(BotoCoreError):
    """An AWS call was not attempted (or not retried): it could not end within the time left."""

    fmt = "no time left for {operation}"


def begin(context: Any, reserve_seconds: float) -> None:
    """Start an invocation's budget: its remaining time (from the Lambda context; unbounded
    without one) less ``reserve_seconds`` for answering."""
    global _deadline, _hard_deadline  # noqa: PLW0603 - one invocation per process at a time
    remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
    if remaining_ms is None:
        _deadline = _hard_deadline = math.inf
        return
    now = clock()
    _hard_deadline = now + remaining_ms() / 1000 - HARD_MARGIN_SECONDS
    _deadline = _hard_deadline - reserve_seconds


def remaining() -> float:
    """Seconds left for work in this invocation (``inf`` outside a Lambda invocation)."""
    return _deadline - clock()


@contextmanager
def within(seconds: float) -> Iterator[None]:
    """Narrow the budget to ``seconds`` for one step (never widen it)."""
    global _deadline  # noqa: PLW0603
    saved = _deadline
    _deadline = min(saved, clock() + seconds)
    try:
        yield
    finally:
        _deadline = saved


@contextmanager
def keeping(seconds: float) -> Iterator[None]:
    """Keep ``seconds`` of the budget for what must follow the block (e.g. undoing it)."""
    with within(remaining() - seconds):
        yield


@contextmanager
def answering() -> Iterator[None]:
    """Sending the answer may use the reserve, up to the hard deadline."""
    global _deadline  # noqa: PLW0603
    saved = _deadline
    _deadline = _hard_deadline
    try:
        yield
    finally:
        _deadline = saved


def _worst_backoff(attempts: int) -> float:
    """botocore's standard mode sleeps up to 2^(attempts-1) s (at most 20) before a retry."""
    return float(min(20, 2 ** (attempts - 1)))


def _retry_may_follow(response: Any, caught_exception: Exception | None) -> bool:
    """Whether botocore's standard mode could retry: a transport error, a 5xx or a throttle."""
    if caught_exception is not None:
        return True
    parsed: Mapping[str, Any] = (response[1] if response else None) or {}
    status = int(parsed.get("ResponseMetadata", {}).get("HTTPStatusCode", 200))
    code = str((parsed.get("Error") or {}).get("Code", ""))
    return status in _RETRIED_STATUSES or "Throttl" in code or code.endswith("ExceededException")


def install(client: Any, attempt_seconds: float) -> None:
    """Make ``client`` respect the budget: ``attempt_seconds`` is its worst attempt (connect +
    read timeout)."""

    def before_send(request: Any, event_name: str = "", **_: Any) -> None:
        if remaining() < attempt_seconds:
            raise BudgetExhausted(operation=event_name.rsplit(".", 1)[-1])

    def needs_retry(
        response: Any = None, attempts: int = 1, caught_exception: Exception | None = None,
        operation: Any = None, **_: Any,
    ) -> None:  # fmt: skip
        if not _retry_may_follow(response, caught_exception):
            return  # a success or a final error: botocore decides
        if remaining() >= _worst_backoff(attempts) + attempt_seconds:
            return  # botocore's own retry rules apply
        if caught_exception is not None:
            raise caught_exception
        parsed: Mapping[str, Any] = response[1] if response else {}
        raise ClientError(dict(parsed), getattr(operation, "name", "unknown"))  # type: ignore[arg-type]

    client.meta.events.register_first("before-send", before_send)
    client.meta.events.register_first("needs-retry", needs_retry)
