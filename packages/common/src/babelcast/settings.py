"""Function settings, read from the environment once per process (never at import time).

Each setting declares its environment variable as the field alias; contract tests compare these
names with the environment Terraform sets for the function, so adding a field here without
adding it to Terraform fails the build.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from functools import cache
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

LANGUAGE_CODE_PATTERN = r"^[a-z]{2}$"


class SettingsError(RuntimeError):
    """The function's environment is incomplete or invalid (a deployment bug, not a client error)."""


class HttpApiSettings(BaseModel):
    """Settings of the HTTP session API function."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    sessions_table_name: Annotated[str, Field(alias="SESSIONS_TABLE_NAME", min_length=3)]
    rate_limits_table_name: Annotated[str, Field(alias="RATE_LIMITS_TABLE_NAME", min_length=3)]
    environment: Annotated[str, Field(alias="ENVIRONMENT", min_length=1, max_length=32)]
    service_version: Annotated[str, Field(alias="SERVICE_VERSION", min_length=1)]
    supported_languages: Annotated[tuple[str, ...], Field(alias="SUPPORTED_LANGUAGES", min_length=1)]
    session_ttl_hours: Annotated[int, Field(alias="SESSION_TTL_HOURS", ge=1, le=168)] = 24
    create_rate_limit_per_minute: Annotated[int, Field(alias="CREATE_RATE_LIMIT_PER_MINUTE", ge=1, le=1000)] = 10
    metrics_namespace: Annotated[str, Field(alias="METRICS_NAMESPACE", min_length=1)] = "Babelcast/Sessions"
    log_level: Annotated[Literal["DEBUG", "INFO", "WARNING", "ERROR"], Field(alias="LOG_LEVEL")] = "INFO"

    @field_validator("supported_languages", mode="before")
    @classmethod
    def _split_languages(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(code.strip() for code in value.split(",") if code.strip())
        return value

    @field_validator("supported_languages")
    @classmethod
    def _check_languages(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [code for code in value if not re.fullmatch(LANGUAGE_CODE_PATTERN, code)]
        if bad:
            raise ValueError(f"language codes must be two lowercase letters, got {bad}")
        return value

    @classmethod
    def environment_variables(cls) -> frozenset[str]:
        """Every environment variable this settings class reads."""
        return frozenset(str(field.alias) for field in cls.model_fields.values())

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> HttpApiSettings:
        source = os.environ if environ is None else environ
        values = {name: source[name] for name in cls.environment_variables() if name in source}
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            # Name the variables only; their values may be sensitive.
            fields = sorted({str(err["loc"][0]) for err in exc.errors() if err["loc"]})
            raise SettingsError(f"invalid or missing environment variables: {', '.join(fields)}") from None


@cache
def http_api_settings() -> HttpApiSettings:
    """The process-wide settings, read on first use (warm invocations reuse them)."""
    return HttpApiSettings.from_environment()
