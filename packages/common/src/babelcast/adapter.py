"""What the HTTP and WebSocket adapters share: how routes and actions are declared, and the one
error guard that turns any failure into the domain error to answer with (a bug becomes a 500 and
a log line with its location, never a stack trace in a response)."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from babelcast.errors import DomainError
from babelcast.logging import get_logger

_log = get_logger(__name__)
_Entry = TypeVar("_Entry")
_Decorated = TypeVar("_Decorated", bound=Callable[..., Any])


class Declarations(Generic[_Entry]):
    """The routes (HTTP) or actions (WebSocket) one adapter serves, each declared once, by a
    decorator on its handler; the contract tests compare them with Terraform's routes."""

    kind = "route"

    def __init__(self) -> None:
        self.declared: dict[str, _Entry] = {}

    def _declaring(self, key: str, entry: Callable[[_Decorated], _Entry]) -> Callable[[_Decorated], _Decorated]:
        def register(handler: _Decorated) -> _Decorated:
            if key in self.declared:
                raise ValueError(f"{self.kind} {key} declared twice")
            self.declared[key] = entry(handler)
            return handler

        return register


def answer_for(
    caught: Exception,
    *,
    rejected: str,
    failed: str | None = None,
    with_status: bool = True,
    with_location: bool = True,
    internal: DomainError | None = None,
    **fields: Any,
) -> DomainError:
    """Log ``caught`` once and return the domain error to answer with. A domain error is logged
    as ``rejected`` (info), or as ``failed`` (error) when it is a 5xx and ``failed`` is given;
    anything else is a bug: logged as ``unhandled_error`` and answered with ``internal``."""
    if isinstance(caught, DomainError):
        details = {"code": caught.code, "status": caught.status} if with_status else {"code": caught.code}
        if failed is not None and caught.status >= 500:
            _log.error(failed, **fields, **details)
        else:
            _log.info(rejected, **fields, **details)
        return caught
    located: dict[str, Any] = {}
    if with_location:
        frame = traceback.extract_tb(caught.__traceback__)[-1] if caught.__traceback__ else None
        located["location"] = f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}" if frame else None
    _log.error("unhandled_error", **fields, error_type=type(caught).__name__, **located)
    return internal or DomainError()
