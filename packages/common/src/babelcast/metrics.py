"""CloudWatch metrics as Embedded Metric Format log lines.

CloudWatch extracts metrics from these lines asynchronously, so emitting costs no API call and
no latency (unlike PutMetricData). Values are buffered per invocation and flushed once.

A metric may be published under several dimension sets at once (EMF's "Dimensions" is a list of
sets): ``rollup=True`` adds the default dimensions alone (Environment), so alarms can watch a
total without summing every Reason/Role/Language series.
"""

from __future__ import annotations

import functools
import json
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, TextIO, TypeVar

Unit = Literal["Count", "Milliseconds", "Seconds", "Bytes", "None"]
_MAX_METRICS_PER_DOCUMENT = 100  # EMF limits: metrics per document,
_MAX_VALUES_PER_METRIC = 100  # and values in one metric's array
# (dimension name/value pairs, dimension sets as tuples of names)
_Key = tuple[tuple[tuple[str, str], ...], tuple[tuple[str, ...], ...]]


class Metrics:
    def __init__(self, namespace: str, default_dimensions: Mapping[str, str], stream: TextIO | None = None):
        self.namespace = namespace
        self.default_dimensions = dict(default_dimensions)
        self._stream = stream
        # Lambda runs one invocation per process, but a process may host threads (tests, local
        # tools); a lock keeps add/flush consistent for them at negligible cost.
        self._lock = threading.Lock()
        self._pending: dict[_Key, dict[str, tuple[Unit, list[float]]]] = defaultdict(dict)

    def add(
        self,
        name: str,
        value: float,
        unit: Unit = "Count",
        dimensions: Mapping[str, str] | None = None,
        *,
        rollup: bool = False,
        dimension_sets: Sequence[Sequence[str]] = (),
    ) -> None:
        """Buffer one value. It is published under all of its dimensions, plus the default
        dimensions alone when ``rollup``, plus any ``dimension_sets`` (names among its dimensions)."""
        merged = {**self.default_dimensions, **(dimensions or {})}
        sets = [tuple(merged)]
        if rollup:
            sets.append(tuple(self.default_dimensions))
        for extra in dimension_sets:
            unknown = set(extra) - set(merged)
            if unknown:
                raise ValueError(f"dimension set names unknown dimensions: {sorted(unknown)}")
            sets.append(tuple(extra))
        unique = tuple(dict.fromkeys(tuple(sorted(s)) for s in sets))
        key: _Key = (tuple(sorted(merged.items())), unique)
        with self._lock:
            unit_and_values = self._pending[key].setdefault(name, (unit, []))
            unit_and_values[1].append(float(value))

    def flush(self) -> None:
        """Write what was buffered as EMF documents (at most 100 metrics per document and 100 values
        per metric: more go into further documents) and forget it."""
        stream = self._stream or sys.stdout
        timestamp = int(time.time() * 1000)
        with self._lock:
            pending, self._pending = self._pending, defaultdict(dict)
        for (dims, sets), metrics in pending.items():
            names = list(metrics)
            for start in range(0, len(names), _MAX_METRICS_PER_DOCUMENT):
                chunk = names[start : start + _MAX_METRICS_PER_DOCUMENT]
                longest = max(len(metrics[n][1]) for n in chunk)
                for first in range(0, longest, _MAX_VALUES_PER_METRIC):
                    part = {n: metrics[n][1][first : first + _MAX_VALUES_PER_METRIC] for n in chunk}
                    carried = [n for n in chunk if part[n]]
                    document: dict[str, object] = {
                        "_aws": {
                            "Timestamp": timestamp,
                            "CloudWatchMetrics": [
                                {
                                    "Namespace": self.namespace,
                                    "Dimensions": [list(s) for s in sets],
                                    "Metrics": [{"Name": n, "Unit": metrics[n][0]} for n in carried],
                                }
                            ],
                        },
                        **dict(dims),
                    }
                    for n in carried:
                        values = part[n]
                        document[n] = values[0] if len(values) == 1 else values
                    stream.write(json.dumps(document, separators=(",", ":")) + "\n")
        stream.flush()


_Handler = TypeVar("_Handler", bound=Callable[..., Any])


def flushes_metrics(metrics_of: Callable[[], Metrics]) -> Callable[[_Handler], _Handler]:
    """Decorate a Lambda handler: the metrics its invocation buffered are flushed once, when it
    returns or raises (the one place metrics are flushed)."""

    def decorate(handler: _Handler) -> _Handler:
        @functools.wraps(handler)
        def invoke(*args: Any, **kwargs: Any) -> Any:
            metrics = metrics_of()
            try:
                return handler(*args, **kwargs)
            finally:
                metrics.flush()

        return invoke  # type: ignore[return-value]

    return decorate
