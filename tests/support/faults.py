"""Fault injection on a botocore client: the next N calls of one operation fail as AWS would
(an error response, or a transport exception such as a read timeout), then calls go through."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ReadTimeoutError

# AWS error messages name resources; none of this may reach a client or a log line.
INTERNAL_NAME = "arn:aws:dynamodb:us-east-1:123456789012:table/babelcast-internal-secret-table"


@dataclass
class Fault:
    operation: str
    remaining: int
    code: str | None = None
    status: int = 400
    timeout: bool = False
    only: Callable[[Mapping[str, Any]], bool] | None = None
    hits: int = 0

    def __call__(self, params: Mapping[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if self.remaining <= 0 or (self.only is not None and not self.only(params)):
            return None  # no response: the real call goes ahead
        self.remaining -= 1
        self.hits += 1
        if self.timeout:
            raise ReadTimeoutError(endpoint_url=f"https://{INTERNAL_NAME}")
        parsed = {
            "Error": {"Code": self.code, "Message": f"{self.code} for {INTERNAL_NAME}"},
            "ResponseMetadata": {"HTTPStatusCode": self.status},
        }
        return AWSResponse(f"https://{INTERNAL_NAME}", self.status, {}, None), parsed  # type: ignore[arg-type]


def inject(
    client: Any,
    operation: str,
    *,
    code: str | None = None,
    status: int = 400,
    timeout: bool = False,
    times: int = 1,
    only: Callable[[Mapping[str, Any]], bool] | None = None,
) -> Fault:
    """Fail the next ``times`` calls of ``operation`` on ``client`` (a ``before-call`` hook that
    answers in place of AWS, so the SDK's own retries are not involved: the fault is what the
    code sees after them)."""
    fault = Fault(operation, times, code, status, timeout, only)
    service = client.meta.service_model.service_id.hyphenize()
    client.meta.events.register(f"before-call.{service}.{operation}", fault)
    return fault


@dataclass
class LostResponse:
    """AWS applied the request, then its response was lost: the SDK's read timeout fires and
    botocore retries the same request (which moto in-process then applies again, as AWS would)."""

    client: Any
    event: str
    remaining: int
    only: Callable[[Any], bool] | None = None
    hits: int = 0

    def __call__(self, request: Any, event_name: str, **_: Any) -> None:
        if event_name != self.event or self.remaining <= 0 or (self.only is not None and not self.only(request)):
            return
        self.remaining -= 1
        self.hits += 1
        raise ReadTimeoutError(endpoint_url=request.url)


def lose_responses(
    client: Any, operation: str, *, times: int = 1, only: Callable[[Any], bool] | None = None
) -> LostResponse:
    """The next ``times`` calls of ``operation`` are applied but answer with a read timeout, inside
    the SDK's retry loop: what a slow dependency does to a write the SDK retries. The hook runs
    after moto's (botocore calls handlers of more specific event names first, so it is registered
    last on the generic event), when moto has applied the request."""
    service = client.meta.service_model.service_id.hyphenize()
    lost = LostResponse(client, f"before-send.{service}.{operation}", times, only)
    client.meta.events.register_last("before-send", lost)
    return lost
