"""CloudWatch metrics as Embedded Metric Format log lines.

CloudWatch extracts metrics from these lines asynchronously, so emitting costs no API call and
no latency (unlike PutMetricData). Values are buffered per invocation and flushed once.

A metric may be published under several dimension sets at once (EMF's "Dimensions" is a list of
sets): ``rollup=True`` adds the default dimensions alone (Environment), so alarms can watch a
total without summing every Reason/Role/Language series.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Literal, TextIO

Unit = Literal["Count", "Milliseconds", "Seconds", "Bytes", "None"]
_MAX_METRICS_PER_DOCUMENT = 100  # EMF limit
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
        stream = self._stream or sys.stdout
        timestamp = int(time.time() * 1000)
        with self._lock:
            pending, self._pending = self._pending, defaultdict(dict)
        for (dims, sets), metrics in pending.items():
            names = list(metrics)
            for start in range(0, len(names), _MAX_METRICS_PER_DOCUMENT):
                chunk = names[start : start + _MAX_METRICS_PER_DOCUMENT]
                document: dict[str, object] = {
                    "_aws": {
                        "Timestamp": timestamp,
                        "CloudWatchMetrics": [
                            {
                                "Namespace": self.namespace,
                                "Dimensions": [list(s) for s in sets],
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
