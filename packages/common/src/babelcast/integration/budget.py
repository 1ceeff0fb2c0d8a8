"""The time budget of an invocation: every AWS call fits in what the function has left, so the
function always answers in its own shape (a stable code and a correlation id).

Lambda stops a function at its timeout and API Gateway answers for it with a bare
``{"message":"Service Unavailable"}``. So each attempt's read timeout is what is left before the
invocation's deadline (less a reserve kept for answering), at most ``READ_CAP_SECONDS``; an
attempt starts only if at least ``MIN_READ_SECONDS`` of reading fits, and a retry only if its
worst backoff fits too. Otherwise the call fails at once with ``BudgetExhausted``, which the
handlers turn into ``503 SERVICE_UNAVAILABLE`` like any unreachable dependency. A botocore that
cannot set a read timeout per request (older than the one in uv.lock) keeps the client's own,
and then an attempt starts only if that whole timeout fits. The arithmetic per function is in
docs/operating.md.

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
from botocore.httpsession import URLLib3Session

HARD_MARGIN_SECONDS = 0.3  # left unused before Lambda's own timeout: the answer must still be sent
MIN_READ_SECONDS = 1.0  # an attempt with less time than this to read is not worth starting
READ_CAP_SECONDS = 5.0  # a longer wait is a dead connection: a retry on a new one does better
DATA_CONNECT_SECONDS = 1.0  # the DynamoDB and Kinesis clients' timeouts (aws.py)
DATA_READ_SECONDS = 2.5  # their read timeout where botocore cannot set one per request
# what an undo needs: one attempt (e.g. giving back an audio chunk that could not be delivered)
DATA_ATTEMPT_SECONDS = DATA_CONNECT_SECONDS + DATA_READ_SECONDS
HEALTH_PROBE_SECONDS = 1.8  # GET /health answers within ~2 s even when DynamoDB does not
# botocore >= 1.42 reads a per-request read timeout from the request's context
PER_REQUEST_READ_TIMEOUT = hasattr(URLLib3Session, "_get_request_timeout")
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


def install(client: Any) -> None:
    """Make ``client`` respect the budget (its config's connect and read timeouts are the ones
    used when a read timeout cannot be set per request)."""
    config = client.meta.config
    connect, fixed_read = float(config.connect_timeout), float(config.read_timeout)
    # the least an attempt needs: its connect timeout and some time to read
    needed = connect + (min(MIN_READ_SECONDS, fixed_read) if PER_REQUEST_READ_TIMEOUT else fixed_read)

    def before_send(request: Any, event_name: str = "", **_: Any) -> None:
        left = remaining()
        if left < needed:
            raise BudgetExhausted(operation=event_name.rsplit(".", 1)[-1])
        context = getattr(request, "context", None)
        if PER_REQUEST_READ_TIMEOUT and context is not None:
            context["read_timeout"] = min(READ_CAP_SECONDS, left - connect)

    def needs_retry(
        response: Any = None,
        attempts: int = 1,
        caught_exception: Exception | None = None,
        operation: Any = None,
        **_: Any,
    ) -> None:
        if not _retry_may_follow(response, caught_exception):
            return  # a success or a final error: botocore decides
        if remaining() >= _worst_backoff(attempts) + needed:
            return  # botocore's own retry rules apply
        if caught_exception is not None:
            raise caught_exception
        parsed: Mapping[str, Any] = response[1] if response else {}
        raise ClientError(dict(parsed), getattr(operation, "name", "unknown"))  # type: ignore[arg-type]

    # on the service's events, which botocore calls before generic ones (a fault a test injects
    # on the same event runs after this gate; moto, on the generic one, after both)
    service = client.meta.service_model.service_id.hyphenize()
    client.meta.events.register_first(f"before-send.{service}", before_send)
    client.meta.events.register_first(f"needs-retry.{service}", needs_retry)
