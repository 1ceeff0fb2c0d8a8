"""Parsing of API Gateway HTTP API payload-2.0 events."""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from babelcast.errors import MalformedJson, PayloadTooLarge, Unauthorized, ValidationFailed
from babelcast.json_input import parse_json

MAX_BODY_BYTES = 16 * 1024  # session bodies are tiny; anything bigger is a client bug or abuse
CORRELATION_HEADER = "x-correlation-id"
_CORRELATION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$")


def lower_headers(event: Mapping[str, Any]) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}


def correlation_id_from(headers: Mapping[str, str]) -> str:
    """Honour a well-formed client correlation id, otherwise mint one (never echo junk back)."""
    candidate = headers.get(CORRELATION_HEADER, "")
    return candidate if _CORRELATION_ID.fullmatch(candidate) else str(uuid.uuid4())


@dataclass(frozen=True)
class HttpRequest:
    route_key: str
    method: str
    path: str
    path_parameters: Mapping[str, str]
    query: Mapping[str, str]
    headers: Mapping[str, str]
    raw_body: bytes | None
    claims: Mapping[str, Any]
    request_id: str
    correlation_id: str
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def resend_key(self) -> str | None:
        """The client's own correlation id, which our clients keep across the retries of one
        call: a write sent again with it is recognised as the same write. None when minted here."""
        return self.correlation_id if self.headers.get(CORRELATION_HEADER) == self.correlation_id else None

    @classmethod
    def from_event(cls, event: Mapping[str, Any], correlation_id: str) -> HttpRequest:
        """``correlation_id``: the one the app minted or honoured for this request (one per request:
        it is in every log line and the response, so the request must not mint another)."""
        headers = lower_headers(event)
        context = event.get("requestContext") or {}
        http = context.get("http") or {}
        body = event.get("body")
        raw: bytes | None = None
        if body is not None:
            if event.get("isBase64Encoded"):
                try:
                    raw = base64.b64decode(body, validate=True)
                except (binascii.Error, ValueError):
                    raise MalformedJson() from None
            else:
                raw = str(body).encode()
        claims = ((context.get("authorizer") or {}).get("jwt") or {}).get("claims") or {}
        return cls(
            route_key=str(event.get("routeKey", "")),
            method=str(http.get("method", "")).upper(),
            path=str(event.get("rawPath") or http.get("path") or ""),
            path_parameters=dict(event.get("pathParameters") or {}),
            query=dict(event.get("queryStringParameters") or {}),
            headers=headers,
            raw_body=raw,
            claims=dict(claims),
            request_id=str(context.get("requestId", "")),
            correlation_id=correlation_id,
        )

    @property
    def user_id(self) -> str:
        """The caller's Cognito ``sub``. API Gateway's JWT authorizer has verified the token; a
        missing claim means a route was deployed without it, so refuse rather than trust."""
        sub = self.claims.get("sub")
        if not isinstance(sub, str) or not sub:
            raise Unauthorized()
        return sub

    def json_object(self) -> dict[str, Any]:
        if self.raw_body is None or not self.raw_body.strip():
            raise MalformedJson("A JSON request body is required.")
        if len(self.raw_body) > MAX_BODY_BYTES:
            raise PayloadTooLarge(f"The request body exceeds {MAX_BODY_BYTES} bytes.")
        try:
            parsed = parse_json(self.raw_body)
        except ValueError:
            raise MalformedJson() from None
        if not isinstance(parsed, dict):
            raise ValidationFailed(
                "The request body must be a JSON object.", details=[("body", "must be a JSON object")]
            )
        return parsed
