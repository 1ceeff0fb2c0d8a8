"""DynamoDB access for sessions. Every write that can race is conditional; every query pages."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from babelcast.integration.aws import DynamoTable, aws_call, client_error_code
from babelcast.logging import current_correlation_id
from babelcast.models import QualityTier, Session, SessionStatus

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

SPEAKER_INDEX = "by-speaker"
DEPENDENCY = "dynamodb"
# The correlation id of the request behind the item's latest write; never returned by the API
# (``from_item`` ignores it). The change stream's consumer binds it, so the fan-out a DELETE or a
# pause causes logs under the id of that DELETE or pause.
CORRELATION_ATTRIBUTE = "correlationId"
UNKNOWN_CORRELATION = "unknown"  # a write made outside any request (none bound)


def correlation_value() -> AttributeValueTypeDef:
    return {"S": current_correlation_id() or UNKNOWN_CORRELATION}


class WriteRejected(Exception):
    """A conditional write failed; ``current`` is the item as it was (None if absent)."""

    def __init__(self, current: Session | None) -> None:
        super().__init__("conditional write rejected")
        self.current = current


@dataclass(frozen=True)
class SessionsPage:
    sessions: list[Session]
    last_key: dict[str, str] | None


def _is_condition_failure(error: ClientError) -> bool:
    return client_error_code(error) == "ConditionalCheckFailedException"


def to_item(session: Session) -> dict[str, AttributeValueTypeDef]:
    item: dict[str, AttributeValueTypeDef] = {
        "sessionId": {"S": session.session_id},
        "speakerId": {"S": session.speaker_id},
        "sourceLanguage": {"S": session.source_language},
        "qualityTier": {"S": session.quality_tier.value},
        "status": {"S": session.status.value},
        "listenerCount": {"N": str(session.listener_count)},
        "createdAt": {"N": str(session.created_at)},
        "updatedAt": {"N": str(session.updated_at)},
        "expiresAt": {"N": str(session.expires_at)},
        # DynamoDB TTL wants epoch seconds; the API speaks milliseconds.
        "ttl": {"N": str(session.expires_at // 1000)},
        "version": {"N": str(session.version)},
    }
    if session.ended_at is not None:
        item["endedAt"] = {"N": str(session.ended_at)}
    if session.end_reason is not None:
        item["endReason"] = {"S": session.end_reason}
    return item


def from_item(item: Mapping[str, Any]) -> Session:
    def number(name: str) -> int | None:
        return int(item[name]["N"]) if name in item else None

    return Session(
        session_id=item["sessionId"]["S"],
        speaker_id=item["speakerId"]["S"],
        source_language=item["sourceLanguage"]["S"],
        quality_tier=QualityTier(item["qualityTier"]["S"]),
        status=SessionStatus(item["status"]["S"]),
        listener_count=max(0, number("listenerCount") or 0),
        created_at=number("createdAt") or 0,
        updated_at=number("updatedAt") or 0,
        expires_at=number("expiresAt") or 0,
        ended_at=number("endedAt"),
        end_reason=item["endReason"]["S"] if "endReason" in item else None,
        version=number("version") or 1,
    )


@dataclass(frozen=True)
class AudioState:
    """What the audio path needs of a session, read consistently in one call."""

    session: Session
    buffer_depth: int
    buffer_bytes: int
    buffer_next: int
    sample_rate: int
    encoding: str


def audio_state_from_item(item: Mapping[str, Any]) -> AudioState:
    def number(name: str, default: int) -> int:
        return int(item[name]["N"]) if name in item else default

    return AudioState(
        session=from_item(item),
        buffer_depth=max(0, number("bufferDepth", 0)),
        buffer_bytes=max(0, number("bufferBytes", 0)),
        buffer_next=number("bufferNext", 0),
        sample_rate=number("sampleRate", 16_000),
        encoding=item["audioEncoding"]["S"] if "audioEncoding" in item else "pcm_s16le",
    )


@dataclass(frozen=True)
class SessionUsage:
    """The usage counters kept on the session item (see docs/analytics.md).

    ``listener_connected_sum`` is the sum of the open listeners' connect times: with
    ``listener_count`` it gives their time so far (count * now - sum) without listing them."""

    listener_count: int
    peak_listeners: int
    listener_ms: int
    listener_connected_sum: int
    audio_bytes: int
    sample_rate: int


def usage_from_item(item: Mapping[str, Any]) -> SessionUsage:
    def number(name: str, default: int = 0) -> int:
        return int(item[name]["N"]) if name in item else default

    return SessionUsage(
        listener_count=max(0, number("listenerCount")),
        peak_listeners=max(0, number("peakListeners")),
        listener_ms=max(0, number("listenerMs")),
        listener_connected_sum=number("listenerConnectedSum"),
        audio_bytes=max(0, number("audioBytes")),
        sample_rate=number("sampleRate", 16_000),
    )


class AudioNotForwardable(Exception):
    """The chunk cannot go straight to the stream: ``current`` (None when absent) says why —
    paused, still draining a buffer, ended, or not this speaker's session."""

    def __init__(self, current: AudioState | None) -> None:
        super().__init__("audio not forwardable")
        self.current = current


def _equals_or_absent(name: str, placeholder: str, value: int) -> str:
    """A counter never written reads as 0 (ADD creates it), so 0 also matches its absence."""
    return f"(attribute_not_exists({name}) OR {name} = {placeholder})" if value == 0 else f"{name} = {placeholder}"


class SessionsTable(DynamoTable):
    def insert(self, session: Session) -> bool:
        """Create-if-absent. Returns False when the id is taken (the caller picks another)."""
        try:
            with aws_call(DEPENDENCY, "PutItem", passthrough=_is_condition_failure):
                self.client.put_item(
                    TableName=self.table_name,
                    Item={**to_item(session), CORRELATION_ATTRIBUTE: correlation_value()},
                    ConditionExpression="attribute_not_exists(sessionId)",
                )
        except ClientError:
            return False
        return True

    def get(self, session_id: str) -> Session | None:
        with aws_call(DEPENDENCY, "GetItem"):
            response = self.client.get_item(TableName=self.table_name, Key={"sessionId": {"S": session_id}})
        item = response.get("Item")
        return from_item(item) if item else None

    def usage(self, session_id: str) -> tuple[Session, SessionUsage] | None:
        """The session and its usage counters, in one strongly consistent read."""
        with aws_call(DEPENDENCY, "GetItem"):
            item = self.client.get_item(
                TableName=self.table_name, Key={"sessionId": {"S": session_id}}, ConsistentRead=True
            ).get("Item")
        return (from_item(item), usage_from_item(item)) if item else None

    def record_peak(self, session_id: str, listeners: int) -> bool:
        """Raise ``peakListeners`` to ``listeners`` unless it is already that high."""
        try:
            with aws_call(DEPENDENCY, "UpdateItem", passthrough=_is_condition_failure):
                self.client.update_item(
                    TableName=self.table_name, Key={"sessionId": {"S": session_id}},
                    UpdateExpression="SET peakListeners = :n, correlationId = :correlation",
                    ConditionExpression="attribute_exists(sessionId) AND "
                                        "(attribute_not_exists(peakListeners) OR peakListeners < :n)",
                    ExpressionAttributeValues={":n": {"N": str(listeners)}, ":correlation": correlation_value()},
                )  # fmt: skip
        except ClientError:
            return False
        return True

    def update_owned(
        self,
        session_id: str,
        speaker_id: str,
        changes: Mapping[str, str | int],
        now_ms: int,
    ) -> Session:
        """Apply ``changes`` in one conditional write: the session must exist, belong to
        ``speaker_id`` and not be ended. Raises WriteRejected with the current item otherwise.
        Only the given attributes are SET, so concurrent updates of different fields both land."""
        names: dict[str, str] = {"#updatedAt": "updatedAt", "#version": "version", "#status": "status"}
        values: dict[str, AttributeValueTypeDef] = {
            ":now": {"N": str(now_ms)},
            ":one": {"N": "1"},
            ":speaker": {"S": speaker_id},
            ":ended": {"S": SessionStatus.ENDED.value},
            ":correlation": correlation_value(),
        }
        assignments = ["#updatedAt = :now", f"{CORRELATION_ATTRIBUTE} = :correlation"]
        for index, (attribute, value) in enumerate(sorted(changes.items())):
            names[f"#a{index}"] = attribute
            values[f":v{index}"] = {"N": str(value)} if isinstance(value, int) else {"S": value}
            assignments.append(f"#a{index} = :v{index}")
        try:
            with aws_call(DEPENDENCY, "UpdateItem", passthrough=_is_condition_failure):
                response = self.client.update_item(
                    TableName=self.table_name,
                    Key={"sessionId": {"S": session_id}},
                    UpdateExpression=f"SET {', '.join(assignments)} ADD #version :one",
                    ConditionExpression=("attribute_exists(sessionId) AND speakerId = :speaker AND #status <> :ended"),
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=values,
                    ReturnValues="ALL_NEW",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
        except ClientError as error:
            # ReturnValuesOnConditionCheckFailure puts the current item in the error response,
            # so we can tell "absent", "not yours" and "ended" apart without a second read.
            old: Any = error.response.get("Item")
            raise WriteRejected(from_item(old) if old else None) from None
        return from_item(response["Attributes"])

    def list_by_speaker(
        self,
        speaker_id: str,
        limit: int,
        start_key: Mapping[str, str] | None,
        status: SessionStatus | None,
    ) -> SessionsPage:
        """One page of a speaker's sessions, newest first."""
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": SPEAKER_INDEX,
            "KeyConditionExpression": "speakerId = :speaker",
            "ExpressionAttributeValues": {":speaker": {"S": speaker_id}},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if status is not None:
            kwargs["FilterExpression"] = "#status = :status"
            kwargs["ExpressionAttributeNames"] = {"#status": "status"}
            kwargs["ExpressionAttributeValues"][":status"] = {"S": status.value}
        if start_key is not None:
            kwargs["ExclusiveStartKey"] = {
                "sessionId": {"S": start_key["sessionId"]},
                "speakerId": {"S": start_key["speakerId"]},
                "createdAt": {"N": start_key["createdAt"]},
            }
        with aws_call(DEPENDENCY, "Query"):
            response = self.client.query(**kwargs)
        last = response.get("LastEvaluatedKey")
        last_key = None
        if last:
            last_key = {
                "sessionId": str(last["sessionId"]["S"]),
                "speakerId": str(last["speakerId"]["S"]),
                "createdAt": str(last["createdAt"]["N"]),
            }
        return SessionsPage([from_item(item) for item in response.get("Items", [])], last_key)

    def ping(self) -> float:
        """Round-trip a cheap read; returns its latency in ms. Raises a domain error on failure."""
        started = time.perf_counter()
        with aws_call(DEPENDENCY, "GetItem"):
            self.client.get_item(
                TableName=self.table_name,
                Key={"sessionId": {"S": "health-check-probe"}},
                ProjectionExpression="sessionId",
            )
        return (time.perf_counter() - started) * 1000

    # --- audio buffering, ending, expiry (the WebSocket half) ----------------------------------

    def forward_audio(self, session_id: str, speaker_id: str, size: int) -> AudioState:
        """Count ``size`` bytes of audio if it can go straight to the stream: the session is the
        speaker's, active and has nothing buffered. One write that also returns what the record
        needs; raises AudioNotForwardable with the current state otherwise (no second read)."""
        try:
            with aws_call(DEPENDENCY, "UpdateItem", passthrough=_is_condition_failure):
                item = self.client.update_item(
                    TableName=self.table_name, Key={"sessionId": {"S": session_id}},
                    UpdateExpression="ADD audioBytes :size SET correlationId = :correlation",
                    ConditionExpression="attribute_exists(sessionId) AND speakerId = :speaker AND #status = :active "
                                        "AND (attribute_not_exists(bufferDepth) OR bufferDepth <= :zero)",
                    ExpressionAttributeNames={"#status": "status"},
                    ExpressionAttributeValues={":size": {"N": str(size)}, ":speaker": {"S": speaker_id},
                                               ":active": {"S": SessionStatus.ACTIVE.value}, ":zero": {"N": "0"},
                                               ":correlation": correlation_value()},
                    ReturnValues="ALL_NEW", ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )["Attributes"]  # fmt: skip
        except ClientError as error:
            old: Any = error.response.get("Item")
            raise AudioNotForwardable(audio_state_from_item(old) if old else None) from None
        return audio_state_from_item(item)

    def uncount_audio(self, session_id: str, size: int) -> None:
        """Take back bytes ``forward_audio`` counted that never reached the stream."""
        with aws_call(DEPENDENCY, "UpdateItem"):
            self.client.update_item(
                TableName=self.table_name, Key={"sessionId": {"S": session_id}},
                UpdateExpression="ADD audioBytes :minus", ConditionExpression="attribute_exists(sessionId)",
                ExpressionAttributeValues={":minus": {"N": str(-size)}},
            )  # fmt: skip

    def audio_state(self, session_id: str) -> AudioState | None:
        with aws_call(DEPENDENCY, "GetItem"):
            item = self.client.get_item(
                TableName=self.table_name, Key={"sessionId": {"S": session_id}}, ConsistentRead=True
            ).get("Item")
        return audio_state_from_item(item) if item else None

    def reserve_buffer_slot(self, session_id: str, size: int) -> AudioState | None:
        """Count one more buffered chunk; returns the state after (its ``bufferNext`` is the
        chunk's position), or None when the session has ended meanwhile."""
        try:
            with aws_call(DEPENDENCY, "UpdateItem", passthrough=_is_condition_failure):
                item = self.client.update_item(
                    TableName=self.table_name, Key={"sessionId": {"S": session_id}},
                    UpdateExpression="ADD bufferNext :one, bufferDepth :one, bufferBytes :size",
                    ConditionExpression="attribute_exists(sessionId) AND #status <> :ended",
                    ExpressionAttributeNames={"#status": "status"},
                    ExpressionAttributeValues={":one": {"N": "1"}, ":size": {"N": str(size)},
                                               ":ended": {"S": SessionStatus.ENDED.value}},
                    ReturnValues="ALL_NEW",
                )["Attributes"]  # fmt: skip
        except ClientError:
            return None
        return audio_state_from_item(item)

    def buffer_drained(self, session_id: str, chunks: int, size: int, *, forwarded: bool = False) -> None:
        """Uncount chunks leaving the buffer; ``forwarded`` ones (sent to the stream, not dropped)
        are added to the session's audio total in the same write."""
        values: dict[str, AttributeValueTypeDef] = {":chunks": {"N": str(-chunks)}, ":size": {"N": str(-size)}}
        update = "ADD bufferDepth :chunks, bufferBytes :size"
        if forwarded:
            update += ", audioBytes :sent"
            values[":sent"] = {"N": str(size)}
        with aws_call(DEPENDENCY, "UpdateItem"):
            self.client.update_item(
                TableName=self.table_name, Key={"sessionId": {"S": session_id}},
                UpdateExpression=update, ConditionExpression="attribute_exists(sessionId)",
                ExpressionAttributeValues=values,
            )  # fmt: skip

    def acquire_flush_lease(self, session_id: str, owner: str, now_ms: int, lease_ms: int) -> bool:
        """One flusher at a time per session, and only while it is active."""
        try:
            with aws_call(DEPENDENCY, "UpdateItem", passthrough=_is_condition_failure):
                self.client.update_item(
                    TableName=self.table_name, Key={"sessionId": {"S": session_id}},
                    UpdateExpression="SET flushOwner = :owner, flushLeaseUntil = :until",
                    ConditionExpression=(
                        "#status = :active AND (attribute_not_exists(flushLeaseUntil) OR flushLeaseUntil < :now)"
                    ),
                    ExpressionAttributeNames={"#status": "status"},
                    ExpressionAttributeValues={":owner": {"S": owner}, ":until": {"N": str(now_ms + lease_ms)},
                                               ":now": {"N": str(now_ms)},
                                               ":active": {"S": SessionStatus.ACTIVE.value}},
                )  # fmt: skip
        except ClientError:
            return False
        return True

    def release_flush_lease(self, session_id: str, owner: str, *, force: bool = False) -> bool:
        """Release only when the buffer is empty; False means chunks arrived meanwhile. ``force``
        releases it whatever is buffered (a flush that failed, so that a retry need not wait)."""
        condition = "flushOwner = :owner"
        values: dict[str, AttributeValueTypeDef] = {":owner": {"S": owner}}
        if not force:
            condition += " AND (attribute_not_exists(bufferDepth) OR bufferDepth <= :zero)"
            values[":zero"] = {"N": "0"}
        try:
            with aws_call(DEPENDENCY, "UpdateItem", passthrough=_is_condition_failure):
                self.client.update_item(
                    TableName=self.table_name, Key={"sessionId": {"S": session_id}},
                    UpdateExpression="REMOVE flushOwner, flushLeaseUntil", ConditionExpression=condition,
                    ExpressionAttributeValues=values,
                )  # fmt: skip
        except ClientError:
            return False
        return True

    def finish_end(self, session_id: str, seen: SessionUsage, open_listener_ms: int) -> SessionUsage | None:
        """After an end: no listeners, no buffer, and the listeners still connected at the end
        (``open_listener_ms``, computed from ``seen``) folded into ``listenerMs``. Applies only if
        the listener counters are still as ``seen``; returns the usage after, or None when they
        changed meanwhile (re-read and retry) or the item is gone or not ended."""
        condition = " AND ".join(
            ["#status = :ended", _equals_or_absent("listenerCount", ":count", seen.listener_count),
             _equals_or_absent("listenerConnectedSum", ":sum", seen.listener_connected_sum)]
        )  # fmt: skip
        try:
            with aws_call(DEPENDENCY, "UpdateItem", passthrough=_is_condition_failure):
                item = self.client.update_item(
                    TableName=self.table_name, Key={"sessionId": {"S": session_id}},
                    UpdateExpression="SET listenerCount = :zero, listenerConnectedSum = :zero, bufferDepth = :zero, "
                                     "bufferBytes = :zero, correlationId = :correlation ADD listenerMs :open",
                    ConditionExpression=condition,
                    ExpressionAttributeNames={"#status": "status"},
                    ExpressionAttributeValues={":zero": {"N": "0"}, ":ended": {"S": SessionStatus.ENDED.value},
                                               ":count": {"N": str(seen.listener_count)},
                                               ":sum": {"N": str(seen.listener_connected_sum)},
                                               ":open": {"N": str(max(0, open_listener_ms))},
                                               ":correlation": correlation_value()},
                    ReturnValues="ALL_NEW",
                )["Attributes"]  # fmt: skip
        except ClientError:
            return None
        return usage_from_item(item)

    def end_if_expired(self, session_id: str, now_ms: int) -> bool:
        try:
            with aws_call(DEPENDENCY, "UpdateItem", passthrough=_is_condition_failure):
                self.client.update_item(
                    TableName=self.table_name, Key={"sessionId": {"S": session_id}},
                    UpdateExpression="SET #status = :ended, endedAt = :now, updatedAt = :now, endReason = :expired, "
                                     "correlationId = :correlation ADD version :one",
                    ConditionExpression="#status <> :ended AND expiresAt < :now",
                    ExpressionAttributeNames={"#status": "status"},
                    ExpressionAttributeValues={":ended": {"S": SessionStatus.ENDED.value}, ":now": {"N": str(now_ms)},
                                               ":expired": {"S": "expired"}, ":one": {"N": "1"},
                                               ":correlation": correlation_value()},
                )  # fmt: skip
        except ClientError:
            return False
        return True
