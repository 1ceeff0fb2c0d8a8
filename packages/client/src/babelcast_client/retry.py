"""When and how long to wait before trying a request again."""

from __future__ import annotations

import random
from dataclasses import dataclass


def backoff(base: float, multiplier: float, cap: float, attempt: int) -> float:
    """The nominal wait before attempt number ``attempt`` (1 for the first): exponential, capped."""
    return min(base * multiplier ** (attempt - 1), cap)


@dataclass(frozen=True)
class RetryPolicy:
    """Retries after a 5xx, a network error (connection refused/reset) or a timeout; never after a 4xx
    (except 429, see below). The n-th retry waits ``base_delay * multiplier**(n-1)`` seconds (1 s, 2 s,
    4 s by default), capped at ``max_delay``, times a random factor in ``[1 - jitter, 1 + jitter]`` so
    many clients failing together do not retry in lockstep.

    429 is retried after its ``Retry-After`` when ``retry_rate_limited`` and the wait is at most
    ``max_retry_after`` seconds (the server refused before doing anything, so this is always safe).

    ``retry_post``: after a timeout, a reset or a 5xx a POST /sessions may have created the session
    although no answer arrived. Its retry carries the same correlation id, so the service answers
    that session instead of making a second one. False: fail fast instead (a POST whose connection
    was refused never reached the server and is always retried)."""

    max_retries: int = 3
    base_delay: float = 1.0
    multiplier: float = 2.0
    max_delay: float = 30.0
    jitter: float = 0.1
    timeout: float = 10.0
    retry_rate_limited: bool = True
    max_retry_after: float = 60.0
    retry_post: bool = True

    def __post_init__(self) -> None:
        if self.max_retries < 0 or self.base_delay < 0 or self.multiplier < 1 or not 0 <= self.jitter < 1:
            raise ValueError("max_retries >= 0, base_delay >= 0, multiplier >= 1 and 0 <= jitter < 1 are required")
        if self.timeout <= 0:
            raise ValueError("timeout must be positive")

    def delay(self, retry: int, rng: random.Random) -> float:
        """Seconds to wait before retry number ``retry`` (1 for the first retry)."""
        nominal = backoff(self.base_delay, self.multiplier, self.max_delay, retry)
        return nominal * rng.uniform(1 - self.jitter, 1 + self.jitter)

    def bounds(self, retry: int) -> tuple[float, float]:
        """The smallest and largest delay ``delay(retry)`` can return."""
        nominal = backoff(self.base_delay, self.multiplier, self.max_delay, retry)
        return nominal * (1 - self.jitter), nominal * (1 + self.jitter)


NO_RETRIES = RetryPolicy(max_retries=0)
