"""DynamoDB access for sessions. Every write that can race is conditional; every query pages."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from babelcast.errors import DependencyUnavailable
from babelcast.integration.aws import DynamoTable, aws_call, client_error_code, probe_dynamodb_client
from babelcast.logging import current_correlation_id
from babelcast.models import QualityTier, Session, SessionStatus

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
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


@dataclass(frozen=True)
class WriteToken:
    """The id of one logical write, stored on the item it changes, so that the SDK's retry of a
    write whose answer was lost (botocore resends it after a read timeout) finds its own effect
    instead of applying it twice (``version`` counted twice; an end reported as 409).

    Tokens are kept in a string set per minute (``writes<minute>``); every write removes the sets
    of the minutes before the previous one. A retry resends the very same request, so it checks
    the same minute's set, and retries end within a function's timeout (at most a minute)."""

    value: str
    minute: int

    @classmethod
    def new(cls, now_ms: int) -> WriteToken:
        return cls(uuid.uuid4().hex[:16], now_ms // 60_000)

    @property
    def attribute(self) -> str:
        return f"writes{self.minute}"

    condition = "NOT contains(#writes, :token)"
    add = "#writes :tokens"

    @property
    def stale(self) -> str:
        return ", ".join(f"#stale{age}" for age in range(2, 7))

    @property
    def names(self) -> dict[str, str]:
        return {"#writes": self.attribute, **{f"#stale{age}": f"writes{self.minute - age}" for age in range(2, 7)}}

    @property
    def values(self) -> dict[str, AttributeValueTypeDef]:
        return {":token": {"S": self.value}, ":tokens": {"SS": [self.value]}}

    def applied_to(self, item: Mapping[str, Any] | None) -> bool:
        return item is not None and self.value in item.get(self.attribute, {}).get("SS", [])


@dataclass(frozen=True)
class Quota:
    """A fixed-window limit: at most ``limit`` counted events per window under ``key``."""

    key: str
    limit: int
    window_start: int  # epoch seconds
    window_seconds: int

    @property
    def window_end(self) -> int:
        return self.window_start + self.window_seconds


class InsertOutcome(Enum):
    CREATED = "created"
    ID_TAKEN = "id taken"
    LIMITED = "limited"


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
    # which sequences have been accepted (babelcast.integration.audio_ledger)
    newest_sequence: int | None = None
    gaps: frozenset[int] = frozenset()
    gaps_revision: int | None = None


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
        newest_sequence=int(item["audioSeq"]["N"]) if "audioSeq" in item else None,
        gaps=frozenset(int(n) for n in item.get("audioGaps", {}).get("NS", [])),
        gaps_revision=int(item["audioGapsRev"]["N"]) if "audioGapsRev" in item else None,
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


def _equals_or_absent(name: str, placeholder: str, value: int) -> str:
    """A counter never written reads as 0 (ADD creates it), so 0 also matches its absence."""
    return f"(attribute_not_exists({name}) OR {name} = {placeholder})" if value == 0 else f"{name} = {placeholder}"


class SessionsTable(DynamoTable):
    def __init__(
        self, table_name: str, client: DynamoDBClient | None = None, *, quotas_table_name: str | None = None
    ) -> None:
        super().__init__(table_name, client)
        self.quotas_table_name = quotas_table_name

    def insert(self, session: Session, quota: Quota | None = None) -> InsertOutcome:
        """Create-if-absent, and count it against ``quota`` (the rate-limits table) in the same
        transaction: a session exists if and only if it was counted, so nothing needs giving back
        when a create fails, and a retried transaction counts once (DynamoDB's client request
        token; where that is not honoured, the retry is cancelled and recognised by its token)."""
        token: WriteToken = WriteToken.new(session.created_at)
        item = {**to_item(session), CORRELATION_ATTRIBUTE: correlation_value(), token.attribute: {"SS": [token.value]}}
        put: dict[str, Any] = {"TableName": self.table_name, "Item": item,
                               "ConditionExpression": "attribute_not_exists(sessionId)",
                               "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}  # fmt: skip
        if quota is None:
            try:
                with aws_call(DEPENDENCY, "PutItem", passthrough=_is_condition_failure):
                    self.client.put_item(**put)
            except ClientError as error:
                found: Any = error.response.get("Item")
                return InsertOutcome.CREATED if token.applied_to(found) else InsertOutcome.ID_TAKEN
            return InsertOutcome.CREATED
        if self.quotas_table_name is None:
            raise RuntimeError("a quota needs the rate-limits table")
        count: dict[str, Any] = {
            "TableName": self.quotas_table_name, "Key": {"limitKey": {"S": f"{quota.key}#{quota.window_start}"}},
            "UpdateExpression": "ADD #count :one SET #ttl = if_not_exists(#ttl, :ttl)",
            "ConditionExpression": "attribute_not_exists(#count) OR #count < :limit",
            "ExpressionAttributeNames": {"#count": "attempts", "#ttl": "ttl"},
            # kept a window past its own so that clock skew between functions cannot reset it early
            "ExpressionAttributeValues": {":one": {"N": "1"}, ":limit": {"N": str(quota.limit)},
                                          ":ttl": {"N": str(quota.window_end + quota.window_seconds)}},
        }  # fmt: skip
        for _ in range(3):  # a concurrent create of the same speaker holds the counter: try again
            try:
                with aws_call(DEPENDENCY, "TransactWriteItems", passthrough=_is_transaction_cancelled):
                    self.client.transact_write_items(TransactItems=[{"Put": put}, {"Update": count}])  # type: ignore[typeddict-item]
            except ClientError as error:
                reasons: list[dict[str, Any]] = error.response.get("CancellationReasons", [])  # type: ignore[assignment]
                codes = [reason.get("Code") for reason in reasons]
                if reasons and token.applied_to(reasons[0].get("Item")):
                    return InsertOutcome.CREATED  # our own earlier attempt, resent by the SDK
                if codes[1:2] == ["ConditionalCheckFailed"]:
                    return InsertOutcome.LIMITED
                if codes[:1] == ["ConditionalCheckFailed"]:
                    return InsertOutcome.ID_TAKEN
                time.sleep(0.05)
                continue
            return InsertOutcome.CREATED
        raise DependencyUnavailable()

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
        token: WriteToken = WriteToken.new(now_ms)
        names: dict[str, str] = {"#updatedAt": "updatedAt", "#version": "version", "#status": "status", **token.names}
        values: dict[str, AttributeValueTypeDef] = {
            ":now": {"N": str(now_ms)},
            ":one": {"N": "1"},
            ":speaker": {"S": speaker_id},
            ":ended": {"S": SessionStatus.ENDED.value},
            ":correlation": correlation_value(),
            **token.values,
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
                    UpdateExpression=f"SET {', '.join(assignments)} ADD #version :one, {token.add} "
                    f"REMOVE {token.stale}",
                    ConditionExpression="attribute_exists(sessionId) AND speakerId = :speaker AND #status <> :ended "
                    f"AND {token.condition}",
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=values,
                    ReturnValues="ALL_NEW",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
        except ClientError as error:
            # ReturnValuesOnConditionCheckFailure puts the current item in the error response,
            # so we can tell "absent", "not yours" and "ended" apart without a second read.
            old: Any = error.response.get("Item")
            if token.applied_to(old):
                return from_item(old)  # the SDK resent a write that had been applied
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
            (self._client or probe_dynamodb_client()).get_item(
                TableName=self.table_name,
                Key={"sessionId": {"S": "health-check-probe"}},
                ProjectionExpression="sessionId",
            )
        return (time.perf_counter() - started) * 1000

    # --- ending and expiry (the WebSocket half) ---------------------------------------------------

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
        token: WriteToken = WriteToken.new(now_ms)
        try:
            with aws_call(DEPENDENCY, "UpdateItem", passthrough=_is_condition_failure):
                self.client.update_item(
                    TableName=self.table_name, Key={"sessionId": {"S": session_id}},
                    UpdateExpression="SET #status = :ended, endedAt = :now, updatedAt = :now, endReason = :expired, "
                                     f"correlationId = :correlation ADD version :one, {token.add} "
                                     f"REMOVE {token.stale}",
                    ConditionExpression=f"#status <> :ended AND expiresAt < :now AND {token.condition}",
                    ExpressionAttributeNames={"#status": "status", **token.names},
                    ExpressionAttributeValues={":ended": {"S": SessionStatus.ENDED.value}, ":now": {"N": str(now_ms)},
                                               ":expired": {"S": "expired"}, ":one": {"N": "1"},
                                               ":correlation": correlation_value(), **token.values},
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )  # fmt: skip
        except ClientError as error:
            old: Any = error.response.get("Item")
            return token.applied_to(old)  # True: the SDK resent our applied write
        return True


def _is_transaction_cancelled(error: ClientError) -> bool:
    return client_error_code(error) == "TransactionCanceledException"
