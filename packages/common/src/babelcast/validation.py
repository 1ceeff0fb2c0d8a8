"""Validation of client input into pydantic models, shared by the HTTP and WebSocket adapters:
one stable 400 (ValidationFailed) with per-field details, never the offending values."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from babelcast.errors import ValidationFailed

Model = TypeVar("Model", bound=BaseModel)
MAX_DETAILS = 10
_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")  # a key named back in a detail
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
        raise ValidationFailed(details=_details(exc)) from None


def _details(exc: ValidationError) -> list[tuple[str, str]]:
    issues = []
    for error in exc.errors(include_url=False, include_input=False):
        if error["type"] == "extra_forbidden":
            issue = "unknown field"
        elif error["type"] in _NAMES_A_CLASS:  # "... an instance of <Python class>"
            issue = "has the wrong type"
        else:
            issue = error["msg"].removeprefix("Value error, ")
        issues.append((tuple(error["loc"]), issue))
    return bounded_details(issues)


def bounded_details(issues: Iterable[tuple[Sequence[str | int], str]]) -> list[tuple[str, str]]:
    """(field path, issue) pairs as answered: at most MAX_DETAILS entries, since a message with
    thousands of unknown keys must still get an answer that fits a WebSocket reply (128 KB); and a
    client's key is named back only when it is a plain identifier (a typo such as
    ``targetLanguge`` is worth naming; markup or a 9 000-character name is not)."""
    details: list[tuple[str, str]] = []
    unnamed = 0
    for path, issue in issues:
        if not all(isinstance(part, int) or _FIELD.fullmatch(part) for part in path):
            unnamed += 1
            continue
        details.append((".".join(str(part) for part in path) or "body", issue))
    if unnamed:
        details.append(("body", f"{unnamed} unknown field(s) whose names are not shown"))
    if len(details) > MAX_DETAILS:
        listed = details[: MAX_DETAILS - 1]
        details = [*listed, ("body", f"{len(details) - len(listed)} more refused field(s) not listed")]
    return details
