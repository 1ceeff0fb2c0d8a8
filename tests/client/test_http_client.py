"""The SDK's HTTP client against a real local HTTP server scripted to fail: retries and their
delays, what is never retried, token refresh on 401, Retry-After, and the typed errors (seed tasks
14.1-14.10)."""

from __future__ import annotations

import base64
import json
import random
import socket
import time
from typing import Any

import pytest
from babelcast_client import (
    ApiError,
    Conflict,
    Forbidden,
    NotFound,
    RateLimited,
    RefreshingTokenProvider,
    RequestTimeout,
    RetryPolicy,
    ServerError,
    ServiceUnavailable,
    SessionHttpClient,
    SessionStatus,
    SessionUpdate,
    StaticTokenProvider,
    TransportError,
    Unauthorized,
    ValidationFailed,
)

from tests.client.server import Reply, Reset, ScriptedServer, Stall, error_body, session_body
from tests.support.report import record

SECTION = "client sdk (local HTTP server)"


class Delays:
    """An injected sleep: records what the client would have waited, returns at once."""

    def __init__(self) -> None:
        self.slept: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.slept.append(seconds)


def jwt_with_exp(exp: float, marker: str = "") -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256'})}.{part({'exp': exp, 'sub': marker})}.signature"


class CountingProvider(RefreshingTokenProvider):
    """A refreshing provider whose source hands out token-1, token-2, ..."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.issued: list[str] = []

    def _fetch(self, current: str | None) -> str:
        token = jwt_with_exp(time.time() + 3600, f"token-{len(self.issued) + 1}")
        self.issued.append(token)
        return token


def client(server: ScriptedServer, delays: Delays | None = None, **policy: Any) -> SessionHttpClient:
    return SessionHttpClient(
        server.url,
        StaticTokenProvider("token-a"),
        retry=RetryPolicy(**policy),
        sleep=delays or Delays(),
        rng=random.Random(7),
    )


def test_create_sends_the_config_with_the_token_and_parses_the_session() -> None:
    """14.1."""
    with ScriptedServer(
        Reply(201, session_body(qualityTier="premium"), {"Location": "/sessions/calm-river-123"})
    ) as server:
        session = client(server).create_session("en", "premium")
    request = server.received[0]
    assert (request.method, request.path, request.body) == (
        "POST",
        "/sessions",
        {"sourceLanguage": "en", "qualityTier": "premium"},
    )
    assert request.headers["Authorization"] == "Bearer token-a"
    assert (session.session_id, session.quality_tier, session.status) == (
        "calm-river-123",
        "premium",
        SessionStatus.ACTIVE,
    )


def test_get_is_public_and_sends_no_token() -> None:
    """14.3."""
    with ScriptedServer(Reply(200, session_body(listenerCount=4))) as server:
        session = client(server).get_session("calm-river-123")
    assert "Authorization" not in server.received[0].headers
    assert (server.received[0].path, session.listener_count) == ("/sessions/calm-river-123", 4)


def test_update_and_delete_send_what_they_should() -> None:
    """14.5, 14.7."""
    with ScriptedServer(Reply(200, session_body(status="paused", version=2)), Reply(204)) as server:
        api = client(server)
        updated = api.update_session("calm-river-123", SessionUpdate(status=SessionStatus.PAUSED))
        api.delete_session("calm-river-123")
    patch, delete = server.received
    assert (patch.method, patch.body, patch.headers["Authorization"]) == (
        "PATCH",
        {"status": "paused"},
        "Bearer token-a",
    )
    assert (updated.status, updated.version) == (SessionStatus.PAUSED, 2)
    assert (delete.method, delete.path) == ("DELETE", "/sessions/calm-river-123")


def test_503_twice_then_201_retries_with_exponential_backoff() -> None:
    """14.10: three attempts, waiting about 1 s then 2 s (within the jitter), one correlation id."""
    delays = Delays()
    steps = [
        Reply(503, error_body("SERVICE_UNAVAILABLE")),
        Reply(503, error_body("SERVICE_UNAVAILABLE")),
        Reply(201, session_body()),
    ]
    with ScriptedServer(*steps) as server:
        api = client(server, delays)
        session = api.create_session("en")
    policy = RetryPolicy()
    assert session.session_id == "calm-river-123"
    assert server.attempts == 3
    assert len(delays.slept) == 2
    for retry, delay in enumerate(delays.slept, start=1):
        low, high = policy.bounds(retry)
        assert low <= delay <= high, (retry, delay)
    assert 0.9 <= delays.slept[0] <= 1.1 and 1.8 <= delays.slept[1] <= 2.2
    assert len({r.headers["X-Correlation-Id"] for r in server.received}) == 1
    assert api.last_call is not None and api.last_call.outcomes == ["503", "503", "201"]
    record(SECTION, "503,503,201: attempts", server.attempts)
    record(SECTION, "503,503,201: delays (s)", [round(d, 3) for d in delays.slept])


def test_backoff_really_sleeps() -> None:
    """The default sleep is real: a tiny base delay, measured on the server's clock."""
    steps = [
        Reply(500, error_body("INTERNAL_ERROR")),
        Reply(500, error_body("INTERNAL_ERROR")),
        Reply(201, session_body()),
    ]
    with ScriptedServer(*steps) as server:
        api = SessionHttpClient(server.url, StaticTokenProvider("t"), retry=RetryPolicy(base_delay=0.05))
        api.create_session("en")
    gaps = [later.at - earlier.at for earlier, later in zip(server.received, server.received[1:], strict=False)]
    assert gaps[0] >= 0.05 * 0.9 and gaps[1] >= 0.1 * 0.9, gaps
    record(SECTION, "real sleep, base 0.05 s: gaps between attempts (s)", [round(g, 3) for g in gaps])


def test_a_connection_reset_is_retried() -> None:
    delays = Delays()
    with ScriptedServer(Reset(), Reply(200, session_body())) as server:
        api = client(server, delays)
        assert api.get_session("calm-river-123").session_id == "calm-river-123"
    assert server.attempts == 2
    assert api.last_call is not None and api.last_call.outcomes == ["connection reset", "200"]
    record(SECTION, "reset,200: attempts/delays (s)", [server.attempts, [round(d, 3) for d in delays.slept]])


def test_a_timeout_is_retried_and_then_reported_as_such() -> None:
    delays = Delays()
    with ScriptedServer(Stall(2.0), Reply(200, session_body())) as server:
        api = client(server, delays, timeout=0.3)
        began = time.monotonic()
        api.get_session("calm-river-123")
        elapsed = time.monotonic() - began
    assert server.attempts == 2 and elapsed < 1.5, "the client gave up on the stalled attempt after its timeout"
    assert api.last_call is not None and api.last_call.outcomes == ["timeout", "200"]
    with ScriptedServer(*[Stall(2.0)] * 4) as server:
        api = client(server, Delays(), timeout=0.2)
        with pytest.raises(RequestTimeout) as failed:
            api.get_session("calm-river-123")
    assert (failed.value.attempts, server.attempts) == (4, 4)
    assert failed.value.correlation_id == server.received[-1].headers["X-Correlation-Id"]
    assert "0.2 s" in failed.value.message
    record(SECTION, "stall,200 with 0.3 s timeout: attempts / elapsed (s)", [2, round(elapsed, 2)])


@pytest.mark.parametrize(
    ("status", "body", "error", "words"),
    [
        (
            400,
            error_body("VALIDATION_ERROR", details=[{"field": "qualityTier", "issue": "must be standard or premium"}]),
            ValidationFailed,
            "invalid",
        ),
        (401, {"message": "Unauthorized"}, Unauthorized, "signed in"),
        (403, error_body("FORBIDDEN", "Forbidden"), Forbidden, "not authorized"),
        (404, error_body("SESSION_NOT_FOUND", "Session not found"), NotFound, "not found"),
        (409, error_body("INVALID_STATUS_TRANSITION", "no"), Conflict, "ended"),
    ],
)
def test_4xx_is_never_retried_and_is_typed(
    status: int, body: dict[str, Any], error: type[ApiError], words: str
) -> None:
    """14.2, 14.4, 14.6, 14.9: one attempt, a typed error with a user-friendly message."""
    delays = Delays()
    with ScriptedServer(Reply(status, body)) as server, pytest.raises(error) as failed:
        client(server, delays).update_session("calm-river-123", SessionUpdate(quality_tier="gold"))
    assert server.attempts == 1 and delays.slept == []
    assert failed.value.status == status
    assert words in failed.value.message
    assert failed.value.correlation_id == server.received[0].headers["X-Correlation-Id"]
    if status == 400:
        assert failed.value.code == "VALIDATION_ERROR"
        assert "qualityTier: must be standard or premium" in failed.value.one_line()
    if status == 401:
        assert failed.value.code == "UNAUTHORIZED"  # API Gateway's own 401 has no code


def test_401_refreshes_the_token_once_and_retries() -> None:
    provider = CountingProvider()
    with ScriptedServer(Reply(401, {"message": "Unauthorized"}), Reply(201, session_body())) as server:
        api = SessionHttpClient(server.url, provider, sleep=Delays())
        api.create_session("en")
    assert provider.fetches == 2, "the first token, then exactly one refresh"
    first, second = (r.headers["Authorization"] for r in server.received)
    assert (first, second) == (f"Bearer {provider.issued[0]}", f"Bearer {provider.issued[1]}")
    with ScriptedServer(Reply(401, {"message": "Unauthorized"}), Reply(401, {"message": "Unauthorized"})) as server:
        provider = CountingProvider()
        with pytest.raises(Unauthorized):
            SessionHttpClient(server.url, provider, sleep=Delays()).create_session("en")
    assert (provider.fetches, server.attempts) == (2, 2), "refreshed once only, then the 401 is final"
    record(SECTION, "401,201: attempts / token refreshes", [2, 1])


def test_a_static_token_is_not_retried_after_401() -> None:
    with ScriptedServer(Reply(401, {"message": "Unauthorized"})) as server, pytest.raises(Unauthorized):
        client(server).list_sessions()
    assert server.attempts == 1


def test_429_waits_for_retry_after() -> None:
    delays = Delays()
    with ScriptedServer(
        Reply(429, error_body("RATE_LIMITED"), {"Retry-After": "2"}), Reply(201, session_body())
    ) as server:
        client(server, delays).create_session("en")
    assert (server.attempts, delays.slept) == (2, [2.0])
    with (
        ScriptedServer(Reply(429, error_body("RATE_LIMITED"), {"Retry-After": "120"})) as server,
        pytest.raises(RateLimited) as limited,
    ):
        client(server, Delays()).create_session("en")
    assert (server.attempts, limited.value.retry_after, limited.value.code) == (1, 120.0, "RATE_LIMITED")
    record(SECTION, "429 (Retry-After 2),201: delays (s)", delays.slept)


def test_retries_exhausted_is_a_typed_error_with_the_last_correlation_id() -> None:
    delays = Delays()
    with (
        ScriptedServer(*[Reply(503, error_body("SERVICE_UNAVAILABLE"))] * 4) as server,
        pytest.raises(ServiceUnavailable) as failed,
    ):
        client(server, delays).list_sessions()
    assert (server.attempts, failed.value.attempts, len(delays.slept)) == (4, 4, 3)
    assert failed.value.correlation_id == server.received[-1].headers["X-Correlation-Id"]
    assert failed.value.code == "SERVICE_UNAVAILABLE"
    assert [round(d) for d in delays.slept] == [1, 2, 4]
    with (
        ScriptedServer(*[Reply(500, error_body("INTERNAL_ERROR"))] * 4) as server,
        pytest.raises(ServerError) as internal,
    ):
        client(server, Delays()).list_sessions()
    assert type(internal.value) is ServerError and internal.value.status == 500
    record(SECTION, "503 x4: attempts / delays (s)", [server.attempts, [round(d, 3) for d in delays.slept]])


def test_post_can_be_kept_from_retrying_but_a_refused_connection_is_always_retried() -> None:
    unavailable = Reply(503, error_body("SERVICE_UNAVAILABLE"))
    with ScriptedServer(unavailable, unavailable, Reply(200, {"sessions": [], "nextToken": None})) as server:
        with pytest.raises(ServiceUnavailable):
            client(server, retry_post=False).create_session("en")
        assert server.attempts == 1, "a POST that may have created the session is not repeated"
        client(server, retry_post=False).list_sessions()
        assert server.attempts == 3, "a GET is still retried"
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    delays = Delays()
    api = SessionHttpClient(
        f"http://127.0.0.1:{port}", StaticTokenProvider("t"), retry=RetryPolicy(retry_post=False), sleep=delays
    )
    with pytest.raises(TransportError) as unreachable:
        api.create_session("en")
    assert unreachable.value.attempts == 4 and len(delays.slept) == 3
    assert "could not connect" in unreachable.value.message


def test_list_pages_and_iterates_with_next_token() -> None:
    pages = [
        Reply(200, {"sessions": [session_body("a-b-1"), session_body("a-b-2")], "nextToken": "page-2"}),
        Reply(200, {"sessions": [session_body("a-b-3")], "nextToken": None}),
    ]
    with ScriptedServer(*pages) as server:
        ids = [s.session_id for s in client(server).iter_sessions(page_size=2, status="active")]
    assert ids == ["a-b-1", "a-b-2", "a-b-3"]
    assert [r.path for r in server.received] == [
        "/sessions?limit=2&status=active",
        "/sessions?limit=2&nextToken=page-2&status=active",
    ]


def test_token_is_refreshed_before_it_expires() -> None:
    """14.8: 60 s before ``exp`` the provider fetches a new token, without any 401."""
    now = [1_000_000.0]
    issued: list[str] = []

    class Provider(RefreshingTokenProvider):
        def _fetch(self, current: str | None) -> str:
            issued.append(jwt_with_exp(now[0] + 3600, str(len(issued))))
            return issued[-1]

    provider = Provider(clock=lambda: now[0])
    first = provider.token()
    now[0] += 3600 - 61
    assert provider.token() == first, "still 61 s left"
    now[0] += 2
    assert provider.token() != first and provider.fetches == 2
