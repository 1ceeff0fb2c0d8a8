"""Typed errors. Catch ``BabelcastError`` for everything, an ``ApiError`` subclass to branch on what the
API said (its ``code`` is the API's stable error code), ``TransportError`` for the network."""

from __future__ import annotations

from typing import Any

# What a person should read for each status when the body does not say better (seed requirement 7.6).
FRIENDLY_MESSAGES = {
    400: "The request is invalid.",
    401: "You are not signed in, or your session has expired: sign in again.",
    403: "You are not authorized to do this (only the session's speaker may).",
    404: "Session not found.",
    409: "The session cannot change to that status (an ended session stays ended).",
    413: "The request is too large.",
    429: "Too many requests: wait a moment and try again.",
    500: "The service had an internal error: try again later.",
    503: "The service is temporarily unavailable: try again shortly.",
}


class BabelcastError(Exception):
    """Base of every error this package raises."""

    def __init__(self, message: str, *, correlation_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.correlation_id = correlation_id

    def one_line(self) -> str:
        """A readable one-line summary (what the CLI prints)."""
        return f"{self.message}" + (f" (correlation id {self.correlation_id})" if self.correlation_id else "")


class ApiError(BabelcastError):
    """The API answered with an error status."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        correlation_id: str | None = None,
        details: list[dict[str, Any]] | None = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(message, correlation_id=correlation_id)
        self.status = status
        self.code = code
        self.details = details or []
        self.attempts = attempts

    def one_line(self) -> str:
        issues = "; ".join(f"{d.get('field')}: {d.get('issue')}" for d in self.details if isinstance(d, dict))
        parts = [f"code {self.code}", f"HTTP {self.status}"]
        if self.correlation_id:
            parts.append(f"correlation id {self.correlation_id}")
        return f"{self.message}{' — ' + issues if issues else ''} ({', '.join(parts)})"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status}, code={self.code!r}, correlation_id={self.correlation_id!r})"
        )


class ValidationFailed(ApiError):
    """400: malformed JSON, invalid fields, a malformed session id or next token."""


class Unauthorized(ApiError):
    """401: no token, or it does not verify (even after one refresh)."""


class Forbidden(ApiError):
    """403: the caller does not own the session (or, on a WebSocket, the session has ended)."""


class NotFound(ApiError):
    """404: no such session."""


class Conflict(ApiError):
    """409: the status change is not allowed (for example ended → active)."""


class PayloadTooLarge(ApiError):
    """413."""


class RateLimited(ApiError):
    """429: too many session creations; ``retry_after`` seconds to wait (None if not given)."""

    def __init__(self, *args: Any, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.retry_after = retry_after


class ServerError(ApiError):
    """5xx after the retries were spent."""


class ServiceUnavailable(ServerError):
    """503 after the retries were spent: a dependency is throttled or unreachable."""


class TransportError(BabelcastError):
    """No HTTP answer (connection refused or reset, DNS, TLS) after the retries were spent."""

    def __init__(self, message: str, *, correlation_id: str | None = None, attempts: int = 1) -> None:
        super().__init__(message, correlation_id=correlation_id)
        self.attempts = attempts


class RequestTimeout(TransportError):
    """The API did not answer within the timeout, on every attempt."""


class WebSocketError(BabelcastError):
    """The WebSocket closed or could not be reopened."""


class AuthenticationError(BabelcastError):
    """The token provider could not obtain a token (wrong password, unknown client id, ...)."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: ValidationFailed,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    429: RateLimited,
    503: ServiceUnavailable,
}

# WebSocket `error` message codes (docs/asyncapi.yaml) → the status the server gives the same error
# (over HTTP, and as the $connect refusal). This package does not depend on the server's, so a
# contract test (tests/contract/test_api_documents.py) holds this table to babelcast.errors.
WEBSOCKET_CODE_STATUS = {
    "INVALID_MESSAGE": 400,
    "UNKNOWN_ACTION": 400,
    "VALIDATION_ERROR": 400,
    "INVALID_AUDIO": 400,
    "INVALID_SESSION_ID": 400,
    "AUDIO_TOO_LARGE": 413,
    "FORBIDDEN": 403,
    "NOT_SPEAKER": 403,
    "NOT_LISTENER": 403,
    "SESSION_ENDED": 403,
    "LEGACY_CREATION_DISABLED": 403,
    "LEGACY_DIALECT_DISABLED": 403,
    "SESSION_NOT_FOUND": 404,
    "NO_SESSION": 409,
    "INVALID_STATUS_TRANSITION": 409,
    "RATE_LIMITED": 429,
    "INTERNAL_ERROR": 500,
    "SERVICE_UNAVAILABLE": 503,
}


def error_class(status: int) -> type[ApiError]:
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    return ServerError if status >= 500 else ApiError


def api_error(
    status: int,
    body: Any,
    *,
    correlation_id: str | None,
    retry_after: float | None = None,
    attempts: int = 1,
) -> ApiError:
    """The typed error for an error response. API Gateway's own 401 body is ``{"message": "Unauthorized"}``
    (no code), so the code falls back to one derived from the status."""
    body = body if isinstance(body, dict) else {}
    code = str(body.get("code") or _default_code(status))
    message = FRIENDLY_MESSAGES.get(status) or str(body.get("message") or f"HTTP {status}")
    if isinstance(body.get("message"), str) and (status == 400 or code == "ROUTE_NOT_FOUND"):
        message = body["message"]  # these say precisely what is wrong
    details = body.get("details") if isinstance(body.get("details"), list) else None
    correlation_id = str(body.get("correlationId") or correlation_id or "") or None
    cls = error_class(status)
    if cls is RateLimited:
        return RateLimited(
            status,
            code,
            message,
            correlation_id=correlation_id,
            details=details,
            attempts=attempts,
            retry_after=retry_after,
        )
    return cls(status, code, message, correlation_id=correlation_id, details=details, attempts=attempts)


def websocket_error(message: dict[str, Any]) -> ApiError:
    """The typed error for a WebSocket ``error`` message."""
    code = str(message.get("code") or "INTERNAL_ERROR")
    status = WEBSOCKET_CODE_STATUS.get(code, 500)
    text = str(message.get("message") or FRIENDLY_MESSAGES.get(status, code))
    details = message.get("details") if isinstance(message.get("details"), list) else None  # VALIDATION_ERROR
    correlation_id = message.get("requestId")
    retry_after = message.get("retryAfter")
    if status == 429 and isinstance(retry_after, int):  # RATE_LIMITED: HTTP's Retry-After
        return RateLimited(status, code, text, correlation_id=correlation_id, retry_after=float(retry_after))
    return error_class(status)(status, code, text, correlation_id=correlation_id, details=details)


def _default_code(status: int) -> str:
    codes = {
        400: "VALIDATION_ERROR",
        401: "UNAUTHORIZED",
        403: "FORBIDDEN",
        404: "SESSION_NOT_FOUND",
        409: "INVALID_STATUS_TRANSITION",
        413: "PAYLOAD_TOO_LARGE",
        429: "RATE_LIMITED",
        503: "SERVICE_UNAVAILABLE",
    }
    return codes.get(status, "INTERNAL_ERROR" if status >= 500 else f"HTTP_{status}")
