"""CloudWatch metrics as Embedded Metric Format log lines.

CloudWatch extracts metrics from these lines asynchronously, so emitting costs no API call and
no latency (unlike PutMetricData). Values are buffered per invocation and flushed once.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Mapping
from typing import Literal, TextIO

Unit = Literal["Count", "Milliseconds", "Seconds", "Bytes", "None"]
_MAX_METRICS_PER_DOCUMENT = 100  # EMF limit


class Metrics:
    def __init__(self, namespace: str, default_dimensions: Mapping[str, str], stream: TextIO | None = None):
        self.namespace = namespace
        self.default_dimensions = dict(default_dimensions)
        self._stream = stream
        # Lambda runs one invocation per process, but a process may host threads (tests, local
        # tools); a lock keeps add/flush consistent for them at negligible cost.
        self._lock = threading.Lock()
        self._pending: dict[tuple[tuple[str, str], ...], dict[str, tuple[Unit, list[float]]]] = defaultdict(dict)

    def add(self, name: str, value: float, unit: Unit = "Count", dimensions: Mapping[str, str] | None = None) -> None:
        key = tuple(sorted({**self.default_dimensions, **(dimensions or {})}.items()))
        with self._lock:
            unit_and_values = self._pending[key].setdefault(name, (unit, []))
            unit_and_values[1].append(float(value))

    def flush(self) -> None:
        stream = self._stream or sys.stdout
        timestamp = int(time.time() * 1000)
        with self._lock:
            pending, self._pending = self._pending, defaultdict(dict)
        for dims, metrics in pending.items():
            names = list(metrics)
            for start in range(0, len(names), _MAX_METRICS_PER_DOCUMENT):
                chunk = names[start : start + _MAX_METRICS_PER_DOCUMENT]
                document: dict[str, object] = {
                    "_aws": {
                        "Timestamp": timestamp,
                        "CloudWatchMetrics": [
                            {
                                "Namespace": self.namespace,
                                "Dimensions": [[name for name, _ in dims]],
                                "Metrics": [{"Name": n, "Unit": metrics[n][0]} for n in chunk],
                            }
                        ],
                    },
                    **dict(dims),
                }
                for n in chunk:
                    values = metrics[n][1]
                    document[n] = values[0] if len(values) == 1 else values
                stream.write(json.dumps(document, separators=(",", ":")) + "\n")
        stream.flush()
