"""The retry budget fits in the function (issue 10, failure 5): with DynamoDB stalled, a function
answers in its own shape (a stable code, the correlation id; a failed chunk named by its
sequence) before Lambda's timeout, and GET /health reports the failing check within ~2 s.

A stall is simulated without waiting for it: each stalled attempt moves the budget's clock on
by the client's read timeout, then fails as a read timeout would (botocore's backoff between
attempts is real time, and counts too). The answer's time on that clock is what Lambda would see.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from babelcast.integration import aws as aws_clients
from babelcast.integration import budget
from botocore.exceptions import ReadTimeoutError
from http_api import handler as http_handler
from ws_message import handler as message_handler

from tests.support.http_events import http_event
from tests.support.http_harness import Api
from tests.support.ws_events import message_event
from tests.support.ws_harness import Ws, chunk

FUNCTION_TIMEOUT_MS = 10_000  # http_api's and ws_message's timeout (terraform/functions.tf)


@dataclass
class Context:
    remaining_ms: int = FUNCTION_TIMEOUT_MS
    aws_request_id: str = "budget-test"
    started: float = field(default_factory=lambda: budget.clock())  # noqa: PLW0108 - patched by tests

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self.remaining_ms - round(self.elapsed() * 1000))

    def elapsed(self) -> float:
        return budget.clock() - self.started


@dataclass
class Stall:
    """DynamoDB answers nothing: every attempt that reaches it waits out the read timeout."""

    offset: float = 0.0
    attempts: list[str] = field(default_factory=list)

    def clock(self) -> float:
        return time.monotonic() + self.offset

    def hook(self, client: Any) -> Any:
        def stalled(request: Any, event_name: str, **_: Any) -> None:
            self.attempts.append(event_name.rsplit(".", 1)[-1])
            # the read timeout the budget gave this attempt (the client's own on an older botocore)
            self.offset += float(request.context.get("read_timeout") or client.meta.config.read_timeout)
            raise ReadTimeoutError(endpoint_url=request.url)

        return stalled


@pytest.fixture
def stall(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stall]:
    stalled = Stall()
    monkeypatch.setattr(budget, "clock", stalled.clock)
    yield stalled


def stall_dynamodb(stalled: Stall, *clients: Any) -> None:
    # after the budget's gate (first on the same event), before moto (on the generic event)
    for client in clients:
        client.meta.events.register("before-send.dynamodb", stalled.hook(client))


def call_http(route: str, path: str, context: Context, **kwargs: Any) -> tuple[int, dict[str, Any], float]:
    raw = http_handler.lambda_handler(http_event(route, path, **kwargs), context)
    return raw["statusCode"], json.loads(raw["body"]), context.elapsed()


def test_a_stalled_read_gets_the_attempts_that_fit_then_answers_503_itself(api: Api, stall: Stall) -> None:
    """10 s function, 0.8 s kept to answer: the first attempt may read for 5 s, a retry starts
    only if its worst backoff (1 s) and 1 s of connect and 1 s of reading fit, and reads for what
    is left. The function answers itself before its timeout."""
    session_id = api.create().body["sessionId"]
    stall_dynamodb(stall, aws_clients.dynamodb_client())
    status, body, elapsed = call_http("GET /sessions/{sessionId}", f"/sessions/{session_id}", Context(), sub=None)
    assert (status, body["code"]) == (503, "SERVICE_UNAVAILABLE")
    assert body["correlationId"]
    assert stall.attempts == ["GetItem"] * 2
    assert elapsed < FUNCTION_TIMEOUT_MS / 1000 - budget.HARD_MARGIN_SECONDS


def test_a_call_that_cannot_end_in_time_is_not_started(api: Api, stall: Stall) -> None:
    stall_dynamodb(stall, aws_clients.dynamodb_client())
    status, body, elapsed = call_http(
        "POST /sessions", "/sessions", Context(remaining_ms=2_500), body={"sourceLanguage": "en"}
    )
    assert (status, body["code"]) == (503, "SERVICE_UNAVAILABLE")
    assert stall.attempts == [], "1 s to connect and 1 s to read do not fit in 2.5 s less the reserves"
    assert elapsed < 0.5


def test_health_reports_a_stalled_dynamodb_within_two_seconds(api: Api, stall: Stall) -> None:
    stall_dynamodb(stall, aws_clients.dynamodb_client(), aws_clients.probe_dynamodb_client())
    status, body, elapsed = call_http("GET /health", "/health", Context(), sub=None)
    assert status == 503
    assert body["status"] == "unhealthy"
    assert body["checks"]["dynamodb"]["status"] == "unhealthy"
    assert body["checks"]["dynamodb"]["error"] == "SERVICE_UNAVAILABLE"
    assert elapsed < 2.0
    assert stall.attempts == ["GetItem"]


def test_a_chunk_failing_on_a_stalled_dynamodb_is_named_in_time(ws: Ws, stall: Stall) -> None:
    """The speaker hears which chunk failed, from the function, before its 10 s are over."""
    speaker = ws.speaker(ws.session())
    stall_dynamodb(stall, aws_clients.dynamodb_client())
    context = Context()
    event = message_event(speaker.id, {"action": "sendAudio", "audioData": chunk(), "sequence": 41}, speaker.authorizer)
    message_handler.lambda_handler(event, context)
    [error] = ws.api.posted[speaker.id]
    assert (error["code"], error["sequence"], error["action"]) == ("SERVICE_UNAVAILABLE", 41, "sendAudio")
    assert context.elapsed() < FUNCTION_TIMEOUT_MS / 1000 - budget.HARD_MARGIN_SECONDS
    # the acceptance (10 s less the reply's 2.6 s and the give-back's 3.5 s leaves one attempt),
    # then the give-back
    assert stall.attempts == ["UpdateItem", "UpdateItem"]
