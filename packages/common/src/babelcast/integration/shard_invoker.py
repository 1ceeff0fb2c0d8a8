"""Handing shards of a segment's listeners to invocations of the broadcast function itself:
asynchronous ``Invoke`` (``InvocationType=Event``), one per shard, in parallel.

The event is ``{"fanoutShard": {"sessionId", "language", "payload", "connections": [[id,
connectedAt], ...], "attempt", "correlationId"}}``: what posting and a 410's clean-up need, and
the stream record's correlation id for the logs. Lambda
accepts at most 256 KB per asynchronous event; a shard whose event would be larger is split in
two until it fits (a single listener with a payload that large cannot be posted anyway:
@connections refuses messages above 128 KB). It is decoded by ``parse_shard`` in the handler,
strictly: the events come only from this function, and anything else is logged and skipped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError

from babelcast.domain.connection_records import Listener, Shard
from babelcast.integration import budget
from babelcast.integration.aws import client_error_code, lambda_client
from babelcast.logging import current_correlation_id, get_logger, with_request_context
from babelcast.session_ids import is_valid_session_id

SHARD_EVENT_KEY = "fanoutShard"
MAX_EVENT_BYTES = 256 * 1024 - 1024  # Lambda's asynchronous payload limit, less a margin
DISPATCH_WORKERS = 16
_CORRELATION_ID = re.compile(r"^[A-Za-z0-9:._-]{0,128}$")  # a Kinesis eventID: shardId-…:<sequence>
_log = get_logger(__name__)


def _correlation_id() -> str:
    """The segment's correlation id, when it is one a shard event accepts (else none)."""
    value = current_correlation_id() or ""
    return value if _CORRELATION_ID.fullmatch(value) else ""


def shard_event(shard: Shard) -> bytes:
    return json.dumps(
        {
            SHARD_EVENT_KEY: {
                "sessionId": shard.session_id,
                "language": shard.language,
                "payload": shard.payload,
                "connections": [[listener.connection_id, listener.connected_at] for listener in shard.listeners],
                "attempt": shard.attempt,
                "correlationId": _correlation_id(),  # the stream record's, for the logs
            }
        },
        separators=(",", ":"),
    ).encode()


class _ShardEvent(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    session_id: Annotated[StrictStr, Field(alias="sessionId")]
    language: Annotated[StrictStr, Field(pattern=r"^[A-Za-z0-9-]{1,35}$")]
    payload: dict[str, Any]
    connections: Annotated[
        list[tuple[Annotated[StrictStr, Field(pattern=r"^[A-Za-z0-9_=+/-]{1,128}$")], StrictInt]],
        Field(min_length=1),
    ]
    attempt: Annotated[StrictInt, Field(ge=0, le=10)]
    correlation_id: Annotated[StrictStr, Field(alias="correlationId", pattern=_CORRELATION_ID.pattern)] = ""


def is_shard_event(event: Any) -> bool:
    return isinstance(event, dict) and SHARD_EVENT_KEY in event


def parse_shard(event: dict[str, Any]) -> tuple[Shard, str] | None:
    """The shard an event carries and the correlation id of the segment, or None when it is not
    one this function sent."""
    try:
        parsed = _ShardEvent.model_validate(event[SHARD_EVENT_KEY])
    except (ValidationError, TypeError):
        return None
    if not is_valid_session_id(parsed.session_id):
        return None
    listeners = tuple(Listener(connection_id, connected_at) for connection_id, connected_at in parsed.connections)
    return Shard(parsed.session_id, parsed.language, parsed.payload, listeners, parsed.attempt), parsed.correlation_id


def _fitting(shard: Shard) -> list[tuple[Shard, bytes]] | None:
    """The shard as events under Lambda's limit (split in halves as needed); None if one
    listener's event is too large."""
    data = shard_event(shard)
    if len(data) <= MAX_EVENT_BYTES:
        return [(shard, data)]
    if len(shard.listeners) < 2:
        return None
    half = len(shard.listeners) // 2
    parts = []
    for listeners in (shard.listeners[:half], shard.listeners[half:]):
        fitting = _fitting(Shard(shard.session_id, shard.language, shard.payload, listeners, shard.attempt))
        if fitting is None:
            return None
        parts.extend(fitting)
    return parts


class LambdaShardDispatcher:
    """``ShardDispatcher`` on Lambda: ``function`` is the invoked function's ARN (with its alias,
    so a shard runs on the same version, provisioned concurrency included) or name."""

    def __init__(self, function: str) -> None:
        self.function = function

    def dispatch(self, shards: Sequence[Shard]) -> list[Shard]:
        events: list[tuple[Shard, bytes]] = []
        refused: list[Shard] = []
        for shard in shards:
            fitting = _fitting(shard)
            if fitting is None:
                refused.append(shard)
            else:
                events.extend(fitting)
        if not events:
            return refused

        def invoke(item: tuple[Shard, bytes]) -> Shard | None:
            shard, data = item
            try:
                lambda_client().invoke(FunctionName=self.function, InvocationType="Event", Payload=data)
            except ClientError as error:
                _log.error("shard_dispatch_failed", error_type=client_error_code(error))
                return shard
            except BotoCoreError as error:
                _log.error("shard_dispatch_failed", error_type=type(error).__name__)
                return shard
            return None

        # handing on what a shard could not deliver comes last in its invocation: it may use the
        # reserve kept for answering
        with budget.answering(), ThreadPoolExecutor(max_workers=min(DISPATCH_WORKERS, len(events))) as pool:
            refused.extend(s for s in pool.map(with_request_context(invoke), events) if s is not None)
        return refused
