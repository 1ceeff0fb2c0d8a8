"""Function settings, read from the environment once per process (never at import time).

Each setting declares its environment variable as the field alias; contract tests compare these
names with the environment Terraform sets for the function, so adding a field here without
adding it to Terraform fails the build.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Annotated, Literal, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

LANGUAGE_CODE_PATTERN = r"^[a-z]{2}$"


class SettingsError(RuntimeError):
    """The function's environment is incomplete or invalid (a deployment bug, not a client error)."""


Level = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
TableName = Annotated[str, Field(min_length=3, max_length=255)]


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return tuple(code.strip() for code in value.split(",") if code.strip())
    return value


class FunctionSettings(BaseModel):
    """What every function reads. Subclasses add their own variables; the contract tests compare
    ``environment_variables()`` of each function's class with what Terraform sets for it."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    environment: Annotated[str, Field(alias="ENVIRONMENT", min_length=1, max_length=32)]
    service_version: Annotated[str, Field(alias="SERVICE_VERSION", min_length=1)]
    metrics_namespace: Annotated[str, Field(alias="METRICS_NAMESPACE", min_length=1)] = "Babelcast/Sessions"
    log_level: Annotated[Level, Field(alias="LOG_LEVEL")] = "INFO"

    @classmethod
    def environment_variables(cls) -> frozenset[str]:
        """Every environment variable this settings class reads."""
        return frozenset(str(field.alias) for field in cls.model_fields.values())

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Self:
        source = os.environ if environ is None else environ
        values = {name: source[name] for name in cls.environment_variables() if name in source}
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            # Name the variables only; their values may be sensitive.
            fields = sorted({str(err["loc"][0]) for err in exc.errors() if err["loc"]})
            raise SettingsError(f"invalid or missing environment variables: {', '.join(fields)}") from None


class _Languages(BaseModel):
    supported_languages: Annotated[tuple[str, ...], Field(alias="SUPPORTED_LANGUAGES", min_length=1)]

    @field_validator("supported_languages", mode="before")
    @classmethod
    def _split_languages(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("supported_languages")
    @classmethod
    def _check_languages(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [code for code in value if not re.fullmatch(LANGUAGE_CODE_PATTERN, code)]
        if bad:
            raise ValueError(f"language codes must be two lowercase letters, got {bad}")
        return value


class _SessionCreation(_Languages):
    rate_limits_table_name: Annotated[str, Field(alias="RATE_LIMITS_TABLE_NAME", min_length=3)]
    session_ttl_hours: Annotated[int, Field(alias="SESSION_TTL_HOURS", ge=1, le=168)] = 24
    create_rate_limit_per_minute: Annotated[int, Field(alias="CREATE_RATE_LIMIT_PER_MINUTE", ge=1, le=1000)] = 10


class HttpApiSettings(FunctionSettings, _SessionCreation):
    """The HTTP session API function."""

    sessions_table_name: Annotated[str, Field(alias="SESSIONS_TABLE_NAME", min_length=3)]
    # Keys of the list cursors, newest first: the first signs, all verify (docs/operating.md).
    cursor_signing_keys: Annotated[tuple[SecretStr, ...], Field(alias="CURSOR_SIGNING_KEYS", min_length=1)]

    @field_validator("cursor_signing_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("cursor_signing_keys")
    @classmethod
    def _check_keys(cls, value: tuple[SecretStr, ...]) -> tuple[SecretStr, ...]:
        if any(len(key.get_secret_value()) < 32 for key in value):
            raise ValueError("each cursor signing key must be at least 32 characters")
        return value


class AuthorizerSettings(FunctionSettings):
    """The WebSocket $connect REQUEST authorizer: verifies speakers' Cognito tokens."""

    jwt_issuer: Annotated[str, Field(alias="JWT_ISSUER", pattern=r"^https://")]
    jwt_audience: Annotated[tuple[str, ...], Field(alias="JWT_AUDIENCE", min_length=1)]
    jwks_url: Annotated[str, Field(alias="JWKS_URL", pattern=r"^https?://")]

    @field_validator("jwt_audience", mode="before")
    @classmethod
    def _split_audience(cls, value: object) -> object:
        return _split_csv(value)


class _Connections(FunctionSettings):
    sessions_table_name: Annotated[str, Field(alias="SESSIONS_TABLE_NAME", min_length=3)]
    connections_table_name: Annotated[str, Field(alias="CONNECTIONS_TABLE_NAME", min_length=3)]


class _Posting(_Connections):
    connections_endpoint: Annotated[str, Field(alias="CONNECTIONS_ENDPOINT", pattern=r"^https?://")]


class _Audio(_Posting):
    audio_buffer_table_name: Annotated[str, Field(alias="AUDIO_BUFFER_TABLE_NAME", min_length=3)]
    audio_stream_name: Annotated[str, Field(alias="AUDIO_STREAM_NAME", min_length=1)]


class _CatchUp(BaseModel):
    catch_up_table_name: Annotated[str, Field(alias="CATCH_UP_TABLE_NAME", min_length=3)]
    catch_up_seconds: Annotated[int, Field(alias="CATCH_UP_SECONDS", ge=5, le=3600)] = 60


class ConnectSettings(_Connections, _Languages):
    """The WebSocket $connect function."""

    max_listeners_per_session: Annotated[int, Field(alias="MAX_LISTENERS_PER_SESSION", ge=1, le=100_000)] = 10_000
    legacy_creation_enabled: Annotated[bool, Field(alias="LEGACY_CREATION_ENABLED")] = True


class DisconnectSettings(_Connections):
    """The WebSocket $disconnect function."""


class MessageSettings(_Audio, _SessionCreation, _CatchUp):
    """The function behind every WebSocket message route."""

    legacy_creation_enabled: Annotated[bool, Field(alias="LEGACY_CREATION_ENABLED")] = True
    legacy_dialect_enabled: Annotated[bool, Field(alias="LEGACY_DIALECT_ENABLED")] = True
    audio_buffer_seconds: Annotated[int, Field(alias="AUDIO_BUFFER_SECONDS", ge=1, le=300)] = 30


class SessionEventsSettings(_Audio):
    """The consumer of the sessions table's change stream (fan-out of status changes)."""

    legacy_dialect_enabled: Annotated[bool, Field(alias="LEGACY_DIALECT_ENABLED")] = True


class BroadcastSettings(_Posting, _CatchUp):
    """The consumer of the translated-segments stream (delivery to listeners)."""

    # listeners per shard: the largest that fits Lambda's 256 KB asynchronous event beside a
    # 128 KB payload is ~2 000 (docs/architecture.md#fan-out)
    fanout_shard_size: Annotated[int, Field(alias="FANOUT_SHARD_SIZE", ge=10, le=2000)] = 250


class SweeperSettings(_Posting):
    """The periodic sweep of stale connections and expired sessions."""

    connection_refresh_after_seconds: Annotated[
        int, Field(alias="CONNECTION_REFRESH_AFTER_SECONDS", ge=60, lt=7200)
    ] = 6600


_Settings = TypeVar("_Settings", bound=FunctionSettings)
_loaded: dict[type[FunctionSettings], FunctionSettings] = {}


def load_settings(cls: type[_Settings]) -> _Settings:
    """The process-wide settings of a function, read on first use (warm invocations reuse them)."""
    if cls not in _loaded:
        _loaded[cls] = cls.from_environment()
    loaded = _loaded[cls]
    assert isinstance(loaded, cls)
    return loaded


def forget_settings() -> None:
    """Tests change the environment between cases."""
    _loaded.clear()
