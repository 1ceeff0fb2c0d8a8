"""EMF limits and the one place metrics are flushed (issue 12, item 7)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from babelcast.metrics import Metrics, flushes_metrics


def documents(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def declared(document: dict[str, Any]) -> list[str]:
    return [m["Name"] for m in document["_aws"]["CloudWatchMetrics"][0]["Metrics"]]


def test_a_metric_with_more_than_100_values_is_split_over_several_documents() -> None:
    stream = io.StringIO()
    metrics = Metrics("Babelcast/Test", {"Environment": "test"}, stream=stream)
    for value in range(250):
        metrics.add("BroadcastDelivered", value)
    metrics.add("BroadcastFailed", 7)
    metrics.flush()

    written = documents(stream)
    assert len(written) == 3
    for document in written:
        assert document["Environment"] == "test"
        for name in declared(document):  # every declared metric is present, within EMF's limit
            values = document[name] if isinstance(document[name], list) else [document[name]]
            assert 1 <= len(values) <= 100
        assert set(declared(document)) == {k for k in document if k not in {"_aws", "Environment"}}
    delivered = [v for d in written if "BroadcastDelivered" in d for v in d["BroadcastDelivered"]]
    assert delivered == [float(v) for v in range(250)], "every value once, in order"
    assert [d.get("BroadcastFailed") for d in written] == [7.0, None, None]


def test_up_to_100_values_stay_in_one_document() -> None:
    stream = io.StringIO()
    metrics = Metrics("Babelcast/Test", {"Environment": "test"}, stream=stream)
    for value in range(100):
        metrics.add("AudioBytes", value, unit="Bytes")
    metrics.flush()
    (document,) = documents(stream)
    assert document["AudioBytes"] == [float(v) for v in range(100)]


def test_a_handler_flushes_its_metrics_once_whether_it_returns_or_raises() -> None:
    stream = io.StringIO()
    metrics = Metrics("Babelcast/Test", {"Environment": "test"}, stream=stream)

    @flushes_metrics(lambda: metrics)
    def handler(fail: bool) -> str:
        metrics.add("Invocations", 1)
        if fail:
            raise RuntimeError("refused")
        return "done"

    assert handler(False) == "done"
    with pytest.raises(RuntimeError):
        handler(True)
    assert [d["Invocations"] for d in documents(stream)] == [1.0, 1.0]
