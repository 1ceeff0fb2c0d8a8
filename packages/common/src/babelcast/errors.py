"""Domain errors. Each carries a stable code and HTTP status; handlers map them to responses in
one place (``babelcast.http.responses``). Messages are written for end users and must never
contain AWS error text, table names or tokens."""

from __future__ import annotations

from collections.abc import Sequence


class DomainError(Exception):
    status: int = 500
    code: str = "INTERNAL_ERROR"
    default_message: str = "Something went wrong on our side. Please retry later."

    def __init__(
        self,
        message: str | None = None,
        *,
        details: Sequence[tuple[str, str]] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.details = tuple(details)
        self.headers = dict(headers or {})
        super().__init__(self.message)


class MalformedJson(DomainError):
    status, code = 400, "MALFORMED_JSON"
    default_message = "The request body is not valid JSON."


class ValidationFailed(DomainError):
    status, code = 400, "VALIDATION_ERROR"
    default_message = "The request is invalid."


class InvalidSessionId(DomainError):
    status, code = 400, "INVALID_SESSION_ID"
    default_message = "Session ids look like 'blessed-shepherd-427'."


class InvalidNextToken(DomainError):
    status, code = 400, "INVALID_NEXT_TOKEN"
    default_message = "The nextToken is invalid or was issued for another user."


class Unauthorized(DomainError):
    status, code = 401, "UNAUTHORIZED"
    default_message = "A valid access token is required."


class NotSessionOwner(DomainError):
    status, code = 403, "FORBIDDEN"
    default_message = "Only the speaker who created this session can change it."


class SessionNotFound(DomainError):
    status, code = 404, "SESSION_NOT_FOUND"

    def __init__(self, session_id: str) -> None:
        super().__init__(f"Session '{session_id}' does not exist or has expired.")


class RouteNotFound(DomainError):
    status, code = 404, "ROUTE_NOT_FOUND"
    default_message = "No such endpoint."


class InvalidStatusTransition(DomainError):
    status, code = 409, "INVALID_STATUS_TRANSITION"
    default_message = "The session has ended; an ended session cannot be changed."


class PayloadTooLarge(DomainError):
    status, code = 413, "PAYLOAD_TOO_LARGE"


class RateLimited(DomainError):
    status, code = 429, "RATE_LIMITED"

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(
            f"Too many sessions created; retry in {retry_after_seconds} s.",
            headers={"Retry-After": str(retry_after_seconds)},
        )
        self.retry_after_seconds = retry_after_seconds


class SessionIdsExhausted(DomainError):
    status, code = 503, "SERVICE_UNAVAILABLE"
    default_message = "Could not allocate a session id. Please retry."


class DependencyFailure(DomainError):
    """A backing service failed in a way a retry is unlikely to fix soon."""

    status, code = 500, "INTERNAL_ERROR"


class DependencyUnavailable(DomainError):
    """A backing service throttled us or could not be reached; a retry may succeed."""

    status, code = 503, "SERVICE_UNAVAILABLE"
    default_message = "The service is busy. Please retry shortly."


# --- the WebSocket half ---------------------------------------------------------------------------


class MissingSessionId(DomainError):
    status, code = 400, "MISSING_SESSION_ID"
    default_message = "Connect with ?sessionId=<id> (listeners also need &targetLanguage=<code>)."


class SessionEnded(DomainError):
    status, code = 403, "SESSION_ENDED"
    default_message = "The session has ended."


class SessionFull(DomainError):
    status, code = 429, "SESSION_FULL"
    default_message = "The session has reached its listener limit."


class LegacyCreationDisabled(DomainError):
    status, code = 403, "LEGACY_CREATION_DISABLED"
    default_message = "Create sessions with POST /sessions, then connect with ?sessionId=<id>."


class LegacyDialectDisabled(DomainError):
    status, code = 403, "LEGACY_DIALECT_DISABLED"
    default_message = "This message belongs to the retired legacy dialect: see docs/migrating-from-legacy.md."


class NotSpeaker(DomainError):
    status, code = 403, "NOT_SPEAKER"
    default_message = "Only the session's speaker can do this."


class NotListener(DomainError):
    status, code = 403, "NOT_LISTENER"
    default_message = "Only listeners can do this."


class UnknownAction(DomainError):
    status, code = 400, "UNKNOWN_ACTION"
    default_message = (
        "Unknown action. Use sendAudio, heartbeat, pauseBroadcast, resumeBroadcast, changeLanguage, "
        "getSessionStatus or createSession."
    )


class InvalidMessage(DomainError):
    status, code = 400, "INVALID_MESSAGE"
    default_message = "Messages are JSON objects with an 'action' field."


class InvalidAudio(DomainError):
    status, code = 400, "INVALID_AUDIO"
    default_message = "audioData must be base64-encoded audio."


class AudioTooLarge(DomainError):
    status, code = 413, "AUDIO_TOO_LARGE"
    default_message = "An audio chunk may not exceed 1 MB once decoded."


class NoSessionYet(DomainError):
    status, code = 409, "NO_SESSION"
    default_message = "This connection has no session yet: send createSession first."
