"""What every function does first on a cold start: read its settings, configure logging, and
set up its metrics with the Environment dimension."""

from __future__ import annotations

from typing import TypeVar

from babelcast.logging import configure_logging
from babelcast.metrics import Metrics
from babelcast.settings import FunctionSettings, load_settings

_Settings = TypeVar("_Settings", bound=FunctionSettings)


def cold_start(settings_class: type[_Settings], service: str) -> tuple[_Settings, Metrics]:
    settings = load_settings(settings_class)
    configure_logging(settings.log_level, service=service)
    return settings, Metrics(settings.metrics_namespace, {"Environment": settings.environment})
