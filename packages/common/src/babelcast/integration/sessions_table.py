"""DynamoDB access for sessions. Every write that can race is conditional; every query pages.

The item's shape is in session_items, the usage counters' writes in session_counters."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from babelcast.domain.session_records import InsertOutcome, Quota, SessionsPage, WriteRejected
from babelcast.errors import DependencyUnavailable
from babelcast.integration.aws import aws_call, is_condition_failure, is_transaction_cancelled, probe_dynamodb_client
from babelcast.integration.session_counters import SessionCounters
from babelcast.integration.session_items import (
    CORRELATION_ATTRIBUTE,
    DEPENDENCY,
    WriteToken,
    correlation_value,
    from_item,
    to_item,
)
from babelcast.models import Session, SessionStatus

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

SPEAKER_INDEX = "by-speaker"
# a page of one status reads up to FILTERED_READS x FILTERED_READ_SIZE sessions (1 000) to fill up
FILTERED_READS = 10
FILTERED_READ_SIZE = 100


class SessionsTable(SessionCounters):
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
        put: dict[str, Any] = {
            "TableName": self.table_name,
            "Item": item,
            "ConditionExpression": "attribute_not_exists(sessionId)",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        if quota is None:
            try:
                with aws_call(DEPENDENCY, "PutItem", passthrough=is_condition_failure):
                    self.client.put_item(**put)
            except ClientError as error:
                found: Any = error.response.get("Item")
                return InsertOutcome.CREATED if token.applied_to(found) else InsertOutcome.ID_TAKEN
            return InsertOutcome.CREATED
        if self.quotas_table_name is None:
            raise RuntimeError("a quota needs the rate-limits table")
        count: dict[str, Any] = {
            "TableName": self.quotas_table_name,
            "Key": {"limitKey": {"S": f"{quota.key}#{quota.window_start}"}},
            "UpdateExpression": "ADD #count :one SET #ttl = if_not_exists(#ttl, :ttl)",
            "ConditionExpression": "attribute_not_exists(#count) OR #count < :limit",
            "ExpressionAttributeNames": {"#count": "attempts", "#ttl": "ttl"},
            # kept a window past its own so that clock skew between functions cannot reset it early
            "ExpressionAttributeValues": {
                ":one": {"N": "1"},
                ":limit": {"N": str(quota.limit)},
                ":ttl": {"N": str(quota.window_end + quota.window_seconds)},
            },
        }
        items: list[dict[str, Any]] = [{"Put": put}, {"Update": count}]
        if quota.call_key is not None:  # the client's call: its own retry finds this session
            items.append({"Put": self._call_record(quota.call_key, session)})
        for _ in range(3):  # a concurrent create of the same speaker holds the counter: try again
            try:
                with aws_call(DEPENDENCY, "TransactWriteItems", passthrough=is_transaction_cancelled):
                    self.client.transact_write_items(TransactItems=items)  # type: ignore[arg-type]
            except ClientError as error:
                reasons: list[dict[str, Any]] = error.response.get("CancellationReasons", [])  # type: ignore[assignment]
                codes = [reason.get("Code") for reason in reasons]
                if reasons and token.applied_to(reasons[0].get("Item")):
                    return InsertOutcome.CREATED  # our own earlier attempt, resent by the SDK
                if codes[2:3] == ["ConditionalCheckFailed"]:
                    return InsertOutcome.RESENT  # an earlier attempt of the client's call made one
                if codes[1:2] == ["ConditionalCheckFailed"]:
                    return InsertOutcome.LIMITED
                if codes[:1] == ["ConditionalCheckFailed"]:
                    return InsertOutcome.ID_TAKEN
                time.sleep(0.05)
                continue
            return InsertOutcome.CREATED
        raise DependencyUnavailable()

    def _call_record(self, call_key: str, session: Session) -> dict[str, Any]:
        """Which session a client's creation call made, kept Quota.CALL_SECONDS (TTL)."""
        return {
            "TableName": self.quotas_table_name,
            "Item": {
                "limitKey": {"S": f"create-call#{call_key}"},
                "sessionId": {"S": session.session_id},
                "ttl": {"N": str(session.created_at // 1000 + Quota.CALL_SECONDS)},
            },
            "ConditionExpression": "attribute_not_exists(limitKey)",
        }

    def created_by(self, call_key: str) -> str | None:
        if self.quotas_table_name is None:
            return None
        with aws_call(DEPENDENCY, "GetItem"):
            response = self.client.get_item(
                TableName=self.quotas_table_name,
                Key={"limitKey": {"S": f"create-call#{call_key}"}},
                ConsistentRead=True,
            )
        item: Any = response.get("Item")
        return str(item["sessionId"]["S"]) if item and "sessionId" in item else None

    def get(self, session_id: str) -> Session | None:
        with aws_call(DEPENDENCY, "GetItem"):
            response = self.client.get_item(TableName=self.table_name, Key={"sessionId": {"S": session_id}})
        item = response.get("Item")
        return from_item(item) if item else None

    def update_owned(
        self,
        session_id: str,
        speaker_id: str,
        changes: Mapping[str, str | int],
        now_ms: int,
        write_id: str | None = None,
    ) -> Session:
        """Apply ``changes`` in one conditional write: the session must exist, belong to
        ``speaker_id`` and not be ended. Raises WriteRejected with the current item otherwise.
        Only the given attributes are SET, so concurrent updates of different fields both land.
        ``write_id`` names a client's call: its retries find the first attempt's effect."""
        token: WriteToken = WriteToken.new(now_ms, write_id)
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
            with aws_call(DEPENDENCY, "UpdateItem", passthrough=is_condition_failure):
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
        """One page of a speaker's sessions, newest first. DynamoDB applies ``Limit`` before a
        filter, so a page of one status reads on (at most FILTERED_READS queries) until it holds
        ``limit`` sessions: otherwise a speaker with many ended sessions would get empty pages of
        active ones that still carry a nextToken."""
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": SPEAKER_INDEX,
            "KeyConditionExpression": "speakerId = :speaker",
            "ExpressionAttributeValues": {":speaker": {"S": speaker_id}},
            "ScanIndexForward": False,
            "Limit": limit if status is None else FILTERED_READ_SIZE,
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
        items: list[dict[str, Any]] = []
        for _ in range(FILTERED_READS if status is not None else 1):
            with aws_call(DEPENDENCY, "Query"):
                response = self.client.query(**kwargs)
            found: list[dict[str, Any]] = list(response.get("Items", []))
            last: Any = response.get("LastEvaluatedKey")
            if len(items) + len(found) > limit:  # a full page in the middle of this read
                items += found[: limit - len(items)]
                return SessionsPage([from_item(item) for item in items], _cursor(items[-1]))
            items += found
            if not last or len(items) == limit:
                break
            kwargs["ExclusiveStartKey"] = last
        return SessionsPage([from_item(item) for item in items], _cursor(last) if last else None)

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

    def end_if_expired(self, session_id: str, now_ms: int) -> bool:
        token: WriteToken = WriteToken.new(now_ms)
        try:
            with aws_call(DEPENDENCY, "UpdateItem", passthrough=is_condition_failure):
                self.client.update_item(
                    TableName=self.table_name,
                    Key={"sessionId": {"S": session_id}},
                    UpdateExpression="SET #status = :ended, endedAt = :now, updatedAt = :now, endReason = :expired, "
                    f"correlationId = :correlation ADD version :one, {token.add} "
                    f"REMOVE {token.stale}",
                    ConditionExpression=f"#status <> :ended AND expiresAt < :now AND {token.condition}",
                    ExpressionAttributeNames={"#status": "status", **token.names},
                    ExpressionAttributeValues={
                        ":ended": {"S": SessionStatus.ENDED.value},
                        ":now": {"N": str(now_ms)},
                        ":expired": {"S": "expired"},
                        ":one": {"N": "1"},
                        ":correlation": correlation_value(),
                        **token.values,
                    },
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
        except ClientError as error:
            old: Any = error.response.get("Item")
            return token.applied_to(old)  # True: the SDK resent our applied write
        return True


def _cursor(key: Mapping[str, Any]) -> dict[str, str]:
    """Where the next page starts: the index's and the table's key of the last item read."""
    return {
        "sessionId": str(key["sessionId"]["S"]),
        "speakerId": str(key["speakerId"]["S"]),
        "createdAt": str(key["createdAt"]["N"]),
    }
