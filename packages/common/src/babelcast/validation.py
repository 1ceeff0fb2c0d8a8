"""Validation of client input into pydantic models, shared by the HTTP and WebSocket adapters:
one stable 400 (ValidationFailed) with per-field details, never the offending values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from babelcast.errors import ValidationFailed

Model = TypeVar("Model", bound=BaseModel)
# pydantic error types whose message names a Python class: an internal name, never answered
_NAMES_A_CLASS = frozenset(
    {"is_instance_of", "is_subclass_of", "model_type", "model_attributes_type", "dataclass_type"}
)


def parse_model(model: type[Model], data: Mapping[str, Any], context: Mapping[str, Any] | None = None) -> Model:
    """Validate ``data`` into ``model``, turning pydantic's errors into a stable 400 with per-field
    details (the offending input values are not echoed back)."""
    try:
        return model.model_validate(data, context=dict(context or {}))
    except ValidationError as exc:
        details = []
        for error in exc.errors(include_url=False, include_input=False):
            location = ".".join(str(part) for part in error["loc"]) or "body"
            if error["type"] == "extra_forbidden":
                issue = "unknown field"
            elif error["type"] in _NAMES_A_CLASS:  # "... an instance of <Python class>"
                issue = "has the wrong type"
            else:
                issue = error["msg"].removeprefix("Value error, ")
            details.append((location, issue))
        raise ValidationFailed(details=details) from None
