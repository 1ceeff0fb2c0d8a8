"""DynamoDB access for WebSocket connections and the listener count they imply.

A listener's connection record and the session's ``listenerCount`` change together in one
transaction, so the count always equals the number of listener records, whatever interleaving
of connects and disconnects happens. The same write bumps the session's ``audienceVersion``,
which tells the broadcast function when the listener set it keeps is out of date
(babelcast/domain/listeners.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from babelcast.domain.connection_records import SPEAKER_CHANNEL, ConnectionRecord, ListenerJoinRejected
from babelcast.errors import DependencyUnavailable, SessionNotFound
from babelcast.integration.aws import DynamoTable, aws_call, is_condition_failure, is_transaction_cancelled
from babelcast.integration.session_items import correlation_value, language_attribute
from babelcast.logging import get_logger

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

SESSION_INDEX = "by-session"
DEPENDENCY = "dynamodb"
_log = get_logger(__name__)


def to_item(record: ConnectionRecord) -> dict[str, AttributeValueTypeDef]:
    item: dict[str, AttributeValueTypeDef] = {
        "connectionId": {"S": record.connection_id},
        "role": {"S": record.role},
        "connectedAt": {"N": str(record.connected_at)},
        "ttl": {"N": str(record.expires_at // 1000)},
    }
    if record.session_id:
        item["sessionId"] = {"S": record.session_id}
    if record.channel:
        item["channel"] = {"S": record.channel}
    if record.user_id:
        item["userId"] = {"S": record.user_id}
    return item


def from_item(item: Mapping[str, Any]) -> ConnectionRecord:
    def text(name: str) -> str | None:
        return str(item[name]["S"]) if name in item else None

    role = text("role")
    return ConnectionRecord(
        connection_id=str(item["connectionId"]["S"]),
        role="speaker" if role == "speaker" else "listener",
        session_id=text("sessionId"),
        channel=text("channel"),
        user_id=text("userId"),
        connected_at=int(item["connectedAt"]["N"]) if "connectedAt" in item else 0,
        expires_at=int(item["ttl"]["N"]) * 1000 if "ttl" in item else 0,
        refresh_sent_at=int(item["refreshSentAt"]["N"]) if "refreshSentAt" in item else None,
    )


def _cancellation_reasons(error: ClientError) -> list[dict[str, Any]]:
    reasons: list[dict[str, Any]] = error.response.get("CancellationReasons", [])  # type: ignore[assignment]
    return reasons


class ConnectionsTable(DynamoTable):
    def __init__(self, table_name: str, sessions_table_name: str, client: DynamoDBClient | None = None) -> None:
        super().__init__(table_name, client)
        self.sessions_table_name = sessions_table_name

    def get(self, connection_id: str) -> ConnectionRecord | None:
        with aws_call(DEPENDENCY, "GetItem"):
            item = self.client.get_item(TableName=self.table_name, Key={"connectionId": {"S": connection_id}}).get(
                "Item"
            )
        return from_item(item) if item else None

    def add_speaker(self, record: ConnectionRecord) -> None:
        with aws_call(DEPENDENCY, "PutItem"):
            self.client.put_item(TableName=self.table_name, Item=to_item(record))

    def add_listener(self, record: ConnectionRecord, max_listeners: int) -> None:
        """Store the listener and count it, atomically; refuses when the session is full or ended."""
        assert record.session_id is not None and record.channel is not None
        transact = [
            {
                "Update": {
                    "TableName": self.sessions_table_name,
                    "Key": {"sessionId": {"S": record.session_id}},
                    # listenerConnectedSum: with the count, the open listeners' time (docs/analytics.md)
                    "UpdateExpression": "ADD listenerCount :one, #language :one, listenerConnectedSum :at, "
                    "audienceVersion :one SET correlationId = :cid",
                    "ConditionExpression": (
                        "attribute_exists(sessionId) AND #status <> :ended "
                        "AND (attribute_not_exists(listenerCount) OR listenerCount < :max)"
                    ),
                    "ExpressionAttributeNames": {"#status": "status", "#language": language_attribute(record.channel)},
                    "ExpressionAttributeValues": {
                        ":one": {"N": "1"},
                        ":ended": {"S": "ended"},
                        ":max": {"N": str(max_listeners)},
                        ":at": {"N": str(record.connected_at)},
                        ":cid": correlation_value(),
                    },
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            },
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": to_item(record),
                    "ConditionExpression": "attribute_not_exists(connectionId)",
                }
            },
        ]
        try:
            with aws_call(DEPENDENCY, "TransactWriteItems", passthrough=is_transaction_cancelled):
                self.client.transact_write_items(TransactItems=transact)  # type: ignore[arg-type]
        except ClientError as error:
            reasons = _cancellation_reasons(error)
            codes = [reason.get("Code") for reason in reasons]
            if codes[1:2] == ["ConditionalCheckFailed"] and codes[0] in (None, "None"):
                # Only the record's own "not yet stored" check failed: this very join was already
                # applied (a retry after a timeout whose first attempt went through). It is counted.
                return
            if codes[:1] != ["ConditionalCheckFailed"]:
                # Cancelled for another reason (a concurrent transaction on the session item, a
                # throttle): nothing was written, and the session was not found wanting. A retry
                # may succeed, so the client gets 503, not a refusal.
                _log.warning("listener_join_cancelled", reasons=[str(code) for code in codes])
                raise DependencyUnavailable() from None
            old = reasons[0].get("Item") if reasons else None
            if not old:
                raise ListenerJoinRejected("missing") from None
            if old.get("status", {}).get("S") == "ended":
                raise ListenerJoinRejected("ended") from None
            raise ListenerJoinRejected("full") from None

    def remove(self, record: ConnectionRecord, now_ms: int | None = None) -> bool:
        """Delete a connection record (and uncount a listener, adding its time to the session's
        listenerMs) exactly once; False if it was gone."""
        if record.role == "listener" and record.session_id:
            now = time.time_ns() // 1_000_000 if now_ms is None else now_ms
            listened = {
                ":minus": {"N": "-1"},
                ":one": {"N": "1"},
                ":zero": {"N": "0"},
                ":cid": correlation_value(),
                ":since": {"N": str(-record.connected_at)},
                ":listened": {"N": str(max(0, now - record.connected_at))},
            }
            transact = [
                {
                    "Delete": {
                        "TableName": self.table_name,
                        "Key": {"connectionId": {"S": record.connection_id}},
                        "ConditionExpression": "attribute_exists(connectionId)",
                    }
                },
                {
                    "Update": {
                        "TableName": self.sessions_table_name,
                        "Key": {"sessionId": {"S": record.session_id}},
                        "UpdateExpression": "ADD listenerCount :minus, #language :minus, listenerConnectedSum :since, "
                        "listenerMs :listened, audienceVersion :one SET correlationId = :cid",
                        "ConditionExpression": "attribute_exists(sessionId) AND listenerCount > :zero",
                        "ExpressionAttributeNames": {"#language": language_attribute(record.channel or "")},
                        "ExpressionAttributeValues": listened,
                    }
                },
            ]
            try:
                with aws_call(DEPENDENCY, "TransactWriteItems", passthrough=is_transaction_cancelled):
                    self.client.transact_write_items(TransactItems=transact)  # type: ignore[arg-type]
                return True
            except ClientError as error:
                reasons = _cancellation_reasons(error)
                if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                    return False  # already removed: $disconnect is idempotent
                # the session is gone or already reset to 0 (ended): just drop the record
        return self.delete(record.connection_id)

    def delete(self, connection_id: str) -> bool:
        try:
            with aws_call(DEPENDENCY, "DeleteItem", passthrough=is_condition_failure):
                self.client.delete_item(
                    TableName=self.table_name,
                    Key={"connectionId": {"S": connection_id}},
                    ConditionExpression="attribute_exists(connectionId)",
                )
        except ClientError:
            return False
        return True

    def delete_many(self, connection_ids: Sequence[str]) -> None:
        """Forget many connections at once (a session's end); BatchWriteItem, 25 at a time."""
        for start in range(0, len(connection_ids), 25):
            requests: Mapping[str, Any] = {
                self.table_name: [
                    {"DeleteRequest": {"Key": {"connectionId": {"S": c}}}} for c in connection_ids[start : start + 25]
                ]
            }
            for _ in range(5):  # throttled requests come back as UnprocessedItems
                with aws_call(DEPENDENCY, "BatchWriteItem"):
                    result = self.client.batch_write_item(RequestItems=requests)
                requests = result.get("UnprocessedItems") or {}
                if not requests:
                    break

    def attach_session(self, connection_id: str, session_id: str) -> str:
        """A legacy speaker connection gets its session after ``createSession``, once: returns the
        connection's session (``session_id``, or the one a concurrent createSession attached)."""
        try:
            with aws_call(DEPENDENCY, "UpdateItem", passthrough=is_condition_failure):
                self.client.update_item(
                    TableName=self.table_name,
                    Key={"connectionId": {"S": connection_id}},
                    UpdateExpression="SET sessionId = :session, channel = :speaker",
                    ConditionExpression="attribute_exists(connectionId) AND "
                    "(attribute_not_exists(sessionId) OR sessionId = :session)",
                    ExpressionAttributeValues={":session": {"S": session_id}, ":speaker": {"S": SPEAKER_CHANNEL}},
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
        except ClientError as error:
            old: Any = error.response.get("Item") or {}
            if "sessionId" not in old:
                raise SessionNotFound(session_id) from None  # the connection is gone
            return str(old["sessionId"]["S"])
        return session_id

    def change_language(self, connection_id: str, session_id: str, language: str, previous: str | None) -> None:
        """Move a listener to ``language`` and its count from the old language's counter to the new
        one's, in one transaction. ``previous`` is the language it is believed to have (its
        $connect's): when wrong, the refusal names the stored one and the move is tried again. A
        resent move finds the listener already there and changes nothing."""
        for _ in range(4):
            if previous == language:
                try:
                    with aws_call(DEPENDENCY, "UpdateItem", passthrough=is_condition_failure):
                        self.client.update_item(
                            TableName=self.table_name,
                            Key={"connectionId": {"S": connection_id}},
                            UpdateExpression="SET channel = :channel",
                            ConditionExpression="attribute_exists(connectionId) AND channel = :channel",
                            ExpressionAttributeValues={":channel": {"S": language}},
                            ReturnValuesOnConditionCheckFailure="ALL_OLD",
                        )
                    return
                except ClientError as error:
                    old: Any = error.response.get("Item")
            else:
                transact: list[Any] = [
                    {
                        "Update": {
                            "TableName": self.table_name,
                            "Key": {"connectionId": {"S": connection_id}},
                            "UpdateExpression": "SET channel = :channel",
                            "ConditionExpression": "attribute_exists(connectionId) AND channel = :previous",
                            "ExpressionAttributeValues": {
                                ":channel": {"S": language},
                                ":previous": {"S": previous or ""},
                            },
                            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self.sessions_table_name,
                            "Key": {"sessionId": {"S": session_id}},
                            "UpdateExpression": "ADD #from :minus, #to :one, audienceVersion :one "
                            "SET correlationId = :cid",
                            "ConditionExpression": "attribute_exists(sessionId)",
                            "ExpressionAttributeNames": {
                                "#from": language_attribute(previous or ""),
                                "#to": language_attribute(language),
                            },
                            "ExpressionAttributeValues": {
                                ":minus": {"N": "-1"},
                                ":one": {"N": "1"},
                                ":cid": correlation_value(),
                            },
                        }
                    },
                ]
                try:
                    with aws_call(DEPENDENCY, "TransactWriteItems", passthrough=is_transaction_cancelled):
                        self.client.transact_write_items(TransactItems=transact)
                    return
                except ClientError as error:
                    codes = [reason.get("Code") for reason in _cancellation_reasons(error)]
                    if codes[1:2] == ["ConditionalCheckFailed"] and codes[0] in (None, "None"):
                        self._set_channel(connection_id, language)  # the session item is gone: no count
                        return
                    if codes[:1] != ["ConditionalCheckFailed"]:
                        continue  # a conflicting transaction on the session item: try again
                    old = _cancellation_reasons(error)[0].get("Item")
            if not old or "channel" not in old:
                raise SessionNotFound(session_id)  # the connection is gone
            if previous != language and old["channel"]["S"] == language:
                return  # already there (a resent move, or a change to the language it has)
            previous = str(old["channel"]["S"])
        raise DependencyUnavailable()

    def _set_channel(self, connection_id: str, channel: str) -> None:
        with aws_call(DEPENDENCY, "UpdateItem"):
            self.client.update_item(
                TableName=self.table_name,
                Key={"connectionId": {"S": connection_id}},
                UpdateExpression="SET channel = :channel",
                ConditionExpression="attribute_exists(connectionId)",
                ExpressionAttributeValues={":channel": {"S": channel}},
            )

    def mark_refresh_sent(self, connection_id: str, now_ms: int) -> None:
        with aws_call(DEPENDENCY, "UpdateItem"):
            self.client.update_item(
                TableName=self.table_name,
                Key={"connectionId": {"S": connection_id}},
                UpdateExpression="SET refreshSentAt = :now",
                ExpressionAttributeValues={":now": {"N": str(now_ms)}},
            )

    def audience_version(self, session_id: str) -> int | None:
        """The session's ``audienceVersion`` (bumped by every write above that adds, removes or
        moves a listener): one strongly consistent, projected read. None when the session is gone."""
        with aws_call(DEPENDENCY, "GetItem"):
            item = self.client.get_item(
                TableName=self.sessions_table_name,
                Key={"sessionId": {"S": session_id}},
                ProjectionExpression="audienceVersion, sessionId",
                ConsistentRead=True,
            ).get("Item")
        if not item:
            return None
        return int(item["audienceVersion"]["N"]) if "audienceVersion" in item else 0

    def of_session(self, session_id: str, channel: str | None = None) -> Iterator[ConnectionRecord]:
        """Every connection of a session (speaker included), or of one channel; all pages."""
        values: dict[str, AttributeValueTypeDef] = {":session": {"S": session_id}}
        condition = "sessionId = :session"
        if channel is not None:
            condition += " AND channel = :channel"
            values[":channel"] = {"S": channel}
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": SESSION_INDEX,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
        }
        while True:
            with aws_call(DEPENDENCY, "Query"):
                page = self.client.query(**kwargs)
            yield from (from_item(item) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def scan(self) -> Iterator[ConnectionRecord]:
        kwargs: dict[str, Any] = {"TableName": self.table_name}
        while True:
            with aws_call(DEPENDENCY, "Scan"):
                page = self.client.scan(**kwargs)
            yield from (from_item(item) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
