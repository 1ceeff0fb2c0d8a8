"""DynamoDB access for catch-up (babelcast.domain.catch_up): one item per kept segment and one
counter per session and language, in the catch-up table.

Key: ``channel`` = ``<sessionId>#<language>``, ``sequence`` (number). The counter is the item of
sequence 0: ``lastSequence`` and ``lastPosition``, the stream position of the record that took it
(zero-padded, so that positions compare as strings in the order of the shard). Taking a sequence
is one conditional UpdateItem: it adds 1 only for a record past ``lastPosition``; the refusal
returns the counter, so a retried record finds its own sequence (``lastPosition`` equal) with no
second call. Items expire by TTL; reads also skip what is past the window, since DynamoDB deletes
expired items only eventually.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from babelcast.domain.catch_up import MAX_KEPT_PAYLOAD_BYTES, Retained, Sequenced
from babelcast.integration.aws import DynamoTable, aws_call, is_condition_failure
from babelcast.json_input import to_json

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

DEPENDENCY = "dynamodb"
POSITION_DIGITS = 130  # Kinesis sequence numbers have at most 129 digits
COUNTER_TTL_SECONDS = 8 * 24 * 3600  # outlives any session (session_ttl_hours <= 168)
EXPIRY_SLACK_SECONDS = 60


def _key(session_id: str, language: str, sequence: int) -> dict[str, AttributeValueTypeDef]:
    return {"channel": {"S": f"{session_id}#{language}"}, "sequence": {"N": str(sequence)}}


class CatchUpTable(DynamoTable):
    def take_sequence(self, session_id: str, language: str, position: str, now_ms: int) -> Sequenced | None:
        padded = position.zfill(POSITION_DIGITS)
        try:
            with aws_call(DEPENDENCY, "UpdateItem", passthrough=is_condition_failure):
                answer = self.client.update_item(
                    TableName=self.table_name,
                    Key=_key(session_id, language, 0),
                    UpdateExpression="ADD lastSequence :one SET lastPosition = :position, #ttl = :ttl",
                    ConditionExpression="attribute_not_exists(lastPosition) OR lastPosition < :position",
                    ExpressionAttributeNames={"#ttl": "ttl"},
                    ExpressionAttributeValues={
                        ":one": {"N": "1"},
                        ":position": {"S": padded},
                        ":ttl": {"N": str(now_ms // 1000 + COUNTER_TTL_SECONDS)},
                    },
                    ReturnValues="UPDATED_NEW",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
        except ClientError as error:
            # typed: the IAM analysis (tests/support/iam_usage.py) reads .get on an untyped
            # receiver as a possible ConnectionsTable.get
            response: Mapping[str, Any] = error.response
            old: Mapping[str, Mapping[str, str]] = response.get("Item", {})
            last_position: Mapping[str, str] = old.get("lastPosition") or {}
            if last_position.get("S") == padded:
                return Sequenced(int(old["lastSequence"]["N"]), fresh=False)
            return None
        return Sequenced(int(answer["Attributes"]["lastSequence"]["N"]), fresh=True)

    def keep(
        self,
        session_id: str,
        language: str,
        sequence: int,
        payload: Mapping[str, Any],
        *,
        now_ms: int,
        window_seconds: int,
    ) -> None:
        encoded = to_json(payload)
        if len(encoded.encode()) > MAX_KEPT_PAYLOAD_BYTES:
            return
        with aws_call(DEPENDENCY, "PutItem"):  # the same item again for a retried record
            self.client.put_item(
                TableName=self.table_name,
                Item={
                    **_key(session_id, language, sequence),
                    "payload": {"S": encoded},
                    "at": {"N": str(now_ms)},
                    "ttl": {"N": str(now_ms // 1000 + window_seconds + EXPIRY_SLACK_SECONDS)},
                },
            )

    def last_sequence(self, session_id: str, language: str) -> int:
        with aws_call(DEPENDENCY, "GetItem"):
            item = self.client.get_item(
                TableName=self.table_name,
                Key=_key(session_id, language, 0),
                ConsistentRead=True,
                ProjectionExpression="lastSequence",
            ).get("Item")
        return int(item["lastSequence"]["N"]) if item else 0

    def since(self, session_id: str, language: str, after: int, not_before_ms: int) -> list[Retained]:
        """Newest first, stopping at the first segment older than the window (expired items that
        DynamoDB has not deleted yet are never read past that)."""
        kept: list[Retained] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "channel = :channel AND #sequence > :after",
            "ExpressionAttributeNames": {"#sequence": "sequence"},
            "ExpressionAttributeValues": {":channel": {"S": f"{session_id}#{language}"}, ":after": {"N": str(after)}},
            "ScanIndexForward": False,
            "ConsistentRead": True,
        }
        while True:
            with aws_call(DEPENDENCY, "Query"):
                page = self.client.query(**kwargs)
            for item in page.get("Items", []):
                at = int(item["at"]["N"])
                if at < not_before_ms:
                    return kept[::-1]
                kept.append(Retained(int(item["sequence"]["N"]), json.loads(item["payload"]["S"]), at))
            if "LastEvaluatedKey" not in page:
                return kept[::-1]
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
