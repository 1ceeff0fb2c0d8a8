"""HTTP responses, and the one place where domain errors become HTTP errors."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from babelcast.errors import DomainError
from babelcast.models import ErrorBody, ErrorDetail

HttpResponse = dict[str, Any]


def json_response(
    status: int, body: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None
) -> HttpResponse:
    response_headers = {"Cache-Control": "no-store", **(headers or {})}
    if body is not None:
        response_headers["Content-Type"] = "application/json"
    return {
        "statusCode": status,
        "headers": response_headers,
        "body": json.dumps(body, separators=(",", ":")) if body is not None else "",
        "isBase64Encoded": False,
    }


def error_response(error: DomainError, correlation_id: str) -> HttpResponse:
    body = ErrorBody(
        code=error.code,
        message=error.message,
        correlation_id=correlation_id,
        timestamp=time.time_ns() // 1_000_000,
        details=[ErrorDetail(field=f, issue=i) for f, i in error.details] or None,
    )
    # ``error`` repeats the message for clients written to the original API ({"error", "timestamp"})
    return json_response(error.status, {**body.to_api(), "error": error.message}, error.headers)
