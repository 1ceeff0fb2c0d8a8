"""The public data contract: request bodies, session metadata and error bodies (camelCase on the wire)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator


class _WireEnum(StrEnum):
    @classmethod
    def from_wire(cls, value: object, *, optional: bool = False) -> object:
        """JSON only has strings; strict mode refuses a plain string for an enum, so convert
        known values here. Anything else is refused with the values allowed (pydantic's own
        message would name the Python class)."""
        if isinstance(value, str) and value in cls._value2member_map_:
            return cls(value)
        if value is None and optional:
            return None
        raise ValueError(f"must be one of: {', '.join(cls._value2member_map_)}")


class SessionStatus(_WireEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    ENDED = "ended"


class QualityTier(_WireEnum):
    STANDARD = "standard"
    PREMIUM = "premium"


def _check_language(value: str, info: ValidationInfo) -> str:
    supported: tuple[str, ...] = (info.context or {}).get("supported_languages", ())
    if value not in supported:
        raise ValueError(f"unsupported language; supported: {', '.join(supported)}")  # the value is not echoed
    return value


class _RequestBody(BaseModel):
    # strict: "1" is not a number and 1 is not a string; forbid: typos are errors, not ignored.
    model_config = ConfigDict(extra="forbid", strict=True)


class CreateSessionRequest(_RequestBody):
    source_language: Annotated[str, Field(alias="sourceLanguage", max_length=8)]
    quality_tier: Annotated[QualityTier, Field(alias="qualityTier")] = QualityTier.STANDARD

    _language = field_validator("source_language")(_check_language)

    @field_validator("quality_tier", mode="before")
    @classmethod
    def _tier_from_json(cls, value: object) -> object:
        return QualityTier.from_wire(value)


class UpdateSessionRequest(_RequestBody):
    status: SessionStatus | None = None
    source_language: Annotated[str | None, Field(alias="sourceLanguage", max_length=8)] = None
    quality_tier: Annotated[QualityTier | None, Field(alias="qualityTier")] = None

    @field_validator("status", "quality_tier", mode="before")
    @classmethod
    def _enum_from_json(cls, value: object, info: ValidationInfo) -> object:
        enum = SessionStatus if info.field_name == "status" else QualityTier
        return enum.from_wire(value, optional=True)

    @field_validator("source_language")
    @classmethod
    def _language(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else _check_language(value, info)

    @model_validator(mode="before")
    @classmethod
    def _no_nulls_and_not_empty(cls, data: Any) -> Any:
        if isinstance(data, dict):
            if not data:
                raise ValueError("at least one of status, sourceLanguage, qualityTier is required")
            nulls = sorted(key for key, value in data.items() if value is None)
            if nulls:
                raise ValueError(f"fields cannot be null: {', '.join(nulls)}")
        return data


class Session(BaseModel):
    """Session metadata as stored and as returned by the API."""

    model_config = ConfigDict(populate_by_name=True, frozen=True)

    session_id: Annotated[str, Field(alias="sessionId")]
    speaker_id: Annotated[str, Field(alias="speakerId")]
    source_language: Annotated[str, Field(alias="sourceLanguage")]
    quality_tier: Annotated[QualityTier, Field(alias="qualityTier")]
    status: SessionStatus
    listener_count: Annotated[int, Field(alias="listenerCount", ge=0)] = 0
    created_at: Annotated[int, Field(alias="createdAt", description="epoch milliseconds")]
    updated_at: Annotated[int, Field(alias="updatedAt", description="epoch milliseconds")]
    expires_at: Annotated[int, Field(alias="expiresAt", description="epoch milliseconds")]
    ended_at: Annotated[int | None, Field(alias="endedAt", description="epoch milliseconds")] = None
    end_reason: Annotated[str | None, Field(alias="endReason", description="speaker | expired")] = None
    version: Annotated[int, Field(ge=1, description="incremented on every change")] = 1
    listeners_by_language: Annotated[
        dict[str, int],
        Field(alias="listenersByLanguage", description="listeners per target language (only languages with any)"),
    ] = {}

    def to_api(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, mode="json")


class SessionPage(BaseModel):
    sessions: list[Session]
    next_token: str | None = None

    def to_api(self) -> dict[str, Any]:
        return {"sessions": [s.to_api() for s in self.sessions], "nextToken": self.next_token}


class ErrorDetail(BaseModel):
    field: str
    issue: str


class ErrorBody(BaseModel):
    code: str
    message: str
    correlation_id: Annotated[str, Field(alias="correlationId")]
    timestamp: int
    details: list[ErrorDetail] | None = None

    model_config = ConfigDict(populate_by_name=True)

    def to_api(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, mode="json", exclude_none=True)


class CheckResult(BaseModel):
    status: Literal["healthy", "unhealthy"]
    latency_ms: Annotated[float, Field(alias="latencyMs")]
    error: str | None = None

    model_config = ConfigDict(populate_by_name=True)


class SessionAnalytics(BaseModel):
    """``GET /sessions/{sessionId}/analytics``: a session's usage so far (docs/analytics.md)."""

    model_config = ConfigDict(populate_by_name=True, frozen=True)

    session_id: Annotated[str, Field(alias="sessionId")]
    status: SessionStatus
    created_at: Annotated[int, Field(alias="createdAt", description="epoch milliseconds")]
    ended_at: Annotated[int | None, Field(alias="endedAt", description="epoch milliseconds")]
    duration_seconds: Annotated[float, Field(alias="durationSeconds", ge=0)]
    current_listeners: Annotated[int, Field(alias="currentListeners", ge=0)]
    peak_listeners: Annotated[int, Field(alias="peakListeners", ge=0)]
    listener_minutes: Annotated[float, Field(alias="listenerMinutes", ge=0)]
    audio_bytes: Annotated[int, Field(alias="audioBytes", ge=0)]
    audio_seconds: Annotated[float, Field(alias="audioSeconds", ge=0)]

    def to_api(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, mode="json")
