"""The HTTP API's data (camelCase on the wire, snake_case here; times are epoch milliseconds)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class SessionStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    ENDED = "ended"


class QualityTier(StrEnum):
    STANDARD = "standard"
    PREMIUM = "premium"


@dataclass(frozen=True)
class Session:
    session_id: str
    speaker_id: str
    source_language: str
    quality_tier: str
    status: SessionStatus
    listener_count: int
    created_at: int
    updated_at: int
    expires_at: int
    ended_at: int | None = None
    end_reason: str | None = None
    version: int = 1
    # fields a newer API added that this client does not know yet, kept rather than dropped
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    _WIRE = {
        "sessionId": "session_id",
        "speakerId": "speaker_id",
        "sourceLanguage": "source_language",
        "qualityTier": "quality_tier",
        "status": "status",
        "listenerCount": "listener_count",
        "createdAt": "created_at",
        "updatedAt": "updated_at",
        "expiresAt": "expires_at",
        "endedAt": "ended_at",
        "endReason": "end_reason",
        "version": "version",
    }

    @classmethod
    def from_api(cls, body: dict[str, Any]) -> Session:
        known = {attribute: body[name] for name, attribute in cls._WIRE.items() if name in body}
        known["status"] = SessionStatus(known["status"])
        extra = {name: value for name, value in body.items() if name not in cls._WIRE}
        return cls(**known, extra=extra)

    def to_api(self) -> dict[str, Any]:
        body = {name: getattr(self, attribute) for name, attribute in self._WIRE.items()}
        body["status"] = self.status.value
        return {**body, **self.extra}


@dataclass(frozen=True)
class SessionPage:
    sessions: list[Session]
    next_token: str | None


@dataclass(frozen=True)
class SessionUpdate:
    """A PATCH body: only the fields that are set are sent."""

    status: SessionStatus | str | None = None
    source_language: str | None = None
    quality_tier: QualityTier | str | None = None

    def to_api(self) -> dict[str, str]:
        body = {"status": self.status, "sourceLanguage": self.source_language, "qualityTier": self.quality_tier}
        return {name: str(value) for name, value in body.items() if value is not None}
