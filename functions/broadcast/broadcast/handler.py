"""Consumer of the translated-segments stream: each record is delivered to the listeners of one
session and one language. Record data (JSON): {"sessionId", "targetLanguage", "payload": {...}}.

The same function delivers the shards of a large audience that a stream invocation hands to it
(asynchronous invocations, ``{"fanoutShard": {...}}``; babelcast/integration/shard_invoker.py)."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from functools import cache
from typing import Any

from babelcast.domain.broadcast import Broadcaster
from babelcast.domain.catch_up import CatchUp
from babelcast.domain.listeners import ListenerSets
from babelcast.integration import budget
from babelcast.integration.catch_up_table import CatchUpTable
from babelcast.integration.connections_api import ConnectionsApi
from babelcast.integration.connections_table import ConnectionsTable
from babelcast.integration.shard_invoker import LambdaShardDispatcher, is_shard_event, parse_shard
from babelcast.json_input import parse_json, to_json
from babelcast.logging import bind_request_context, get_logger
from babelcast.metrics import Metrics, flushes_metrics
from babelcast.runtime import cold_start
from babelcast.session_ids import is_valid_session_id
from babelcast.settings import BroadcastSettings

ANSWER_RESERVE_SECONDS = 1.0
SETTINGS = BroadcastSettings
_log = get_logger(__name__)


@dataclass(frozen=True)
class Dependencies:
    broadcaster: Broadcaster
    metrics: Metrics
    dispatcher: LambdaShardDispatcher


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


@cache
def dependencies() -> Dependencies:
    settings, metrics = cold_start(BroadcastSettings, "broadcast")
    connections = ConnectionsTable(settings.connections_table_name, settings.sessions_table_name)
    dispatcher = LambdaShardDispatcher("")  # the function itself, named by each invocation's context
    broadcaster = Broadcaster(
        connections,
        ConnectionsApi(settings.connections_endpoint, signed=True),
        metrics,
        CatchUp(CatchUpTable(settings.catch_up_table_name), settings.catch_up_seconds, _now_ms),
        ListenerSets(connections, connections, _now_ms),
        dispatcher,
        settings.fanout_shard_size,
    )
    return Dependencies(broadcaster, metrics, dispatcher)


def _segment(record: dict[str, Any]) -> tuple[str, str, dict[str, Any]] | None:
    try:
        data = parse_json(base64.b64decode(record["kinesis"]["data"]))
        session_id, language, payload = data["sessionId"], data["targetLanguage"], data["payload"]
        to_json(payload)  # it is encoded again for every listener: too deep to encode fails here, once
    except (KeyError, TypeError, ValueError):
        return None
    if not (
        isinstance(session_id, str)
        and is_valid_session_id(session_id)
        and isinstance(language, str)
        and isinstance(payload, dict)
    ):
        return None
    payload.setdefault("type", "translation")
    return session_id, language, payload


def _deliver_shard(deps: Dependencies, event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Never fails: Lambda would retry the whole shard, posting again to listeners that got it.
    What was not delivered is handed on by the broadcaster (or counted as given up)."""
    bind_request_context(correlation_id="", aws_request_id=getattr(context, "aws_request_id", ""))
    parsed = parse_shard(event)
    if parsed is None:
        _log.error("shard_malformed")
        deps.metrics.add("BroadcastMalformedSegments", 1)
        return {"delivered": 0}
    shard, correlation_id = parsed
    bind_request_context(correlation_id=correlation_id, aws_request_id=getattr(context, "aws_request_id", ""))
    try:
        delivery = deps.broadcaster.deliver_shard(shard)
    except Exception as failure:
        _log.error("shard_failed", error_type=type(failure).__name__, listeners=len(shard.listeners))
        return {"delivered": 0}
    return {"delivered": delivery.delivered}


@flushes_metrics(lambda: dependencies().metrics)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    deps = dependencies()
    budget.begin(context, ANSWER_RESERVE_SECONDS)  # a record left undone is retried, not timed out
    # the function itself, as invoked (its alias included): shards run on the same version
    deps.dispatcher.function = getattr(context, "invoked_function_arn", "") or deps.dispatcher.function
    if is_shard_event(event):
        return _deliver_shard(deps, event, context)
    failures = []
    for record in event.get("Records", []):
        sequence = (record.get("kinesis") or {}).get("sequenceNumber")
        bind_request_context(
            correlation_id=str(record.get("eventID", "")), aws_request_id=getattr(context, "aws_request_id", "")
        )
        segment = _segment(record)
        if segment is None:
            # A malformed segment will never succeed: log and skip rather than block the shard.
            _log.error("segment_malformed", sequence_number=sequence)
            deps.metrics.add("BroadcastMalformedSegments", 1)
            continue
        try:
            deps.broadcaster.deliver(*segment, position=str(sequence) if sequence else None)
        except Exception as failure:
            _log.error("broadcast_failed", error_type=type(failure).__name__)
            failures.append({"itemIdentifier": sequence})
            break
    return {"batchItemFailures": failures}
