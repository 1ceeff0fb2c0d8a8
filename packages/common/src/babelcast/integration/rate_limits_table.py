"""Fixed-window counters in DynamoDB: one conditional ADD per attempt, expired by TTL."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from babelcast.integration.aws import DynamoTable, aws_call, client_error_code

if TYPE_CHECKING:
    pass


class RateLimitsTable(DynamoTable):
    def try_consume(self, key: str, limit: int, window_seconds: int, now_seconds: int) -> int:
        """Count one attempt against ``key`` in the current window.

        Returns 0 when allowed, else the seconds until the window resets. The condition makes
        the check-and-increment atomic, so concurrent attempts can never exceed ``limit``.
        """
        window_start = now_seconds - now_seconds % window_seconds
        window_end = window_start + window_seconds
        try:
            with aws_call(
                "dynamodb",
                "UpdateItem",
                passthrough=lambda e: client_error_code(e) == "ConditionalCheckFailedException",
            ):
                self.client.update_item(
                    TableName=self.table_name,
                    Key={"limitKey": {"S": f"{key}#{window_start}"}},
                    UpdateExpression="ADD #count :one SET #ttl = if_not_exists(#ttl, :ttl)",
                    ConditionExpression="attribute_not_exists(#count) OR #count < :limit",
                    ExpressionAttributeNames={"#count": "attempts", "#ttl": "ttl"},
                    ExpressionAttributeValues={
                        ":one": {"N": "1"},
                        ":limit": {"N": str(limit)},
                        # keep the counter a little past its window so clock skew cannot reset it early
                        ":ttl": {"N": str(window_end + window_seconds)},
                    },
                )
        except ClientError:
            return max(1, window_end - now_seconds)
        return 0
