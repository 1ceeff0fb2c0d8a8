"""Fixed-window counters in DynamoDB: one conditional ADD per attempt, expired by TTL."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from babelcast.errors import DomainError
from babelcast.integration.aws import DynamoTable, aws_call, client_error_code
from babelcast.logging import get_logger

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

_log = get_logger(__name__)


class RateLimitsTable(DynamoTable):
    def try_consume(self, key: str, limit: int, window_seconds: int, now_seconds: int) -> int:
        """Count one attempt against ``key`` in the current window.

        Returns 0 when allowed, else the seconds until the window resets. The condition makes
        the check-and-increment atomic, so concurrent attempts can never exceed ``limit``.
        """
        window_start = now_seconds - now_seconds % window_seconds
        window_end = window_start + window_seconds
        try:
            self._update(
                f"{key}#{window_start}",
                "ADD #count :one SET #ttl = if_not_exists(#ttl, :ttl)",
                "attribute_not_exists(#count) OR #count < :limit",
                {"#count": "attempts", "#ttl": "ttl"},
                # keep the counter a little past its window so clock skew cannot reset it early
                {":one": {"N": "1"}, ":limit": {"N": str(limit)}, ":ttl": {"N": str(window_end + window_seconds)}},
            )
        except ClientError:
            return max(1, window_end - now_seconds)
        return 0

    def release(self, key: str, window_seconds: int, now_seconds: int) -> None:
        """Give back an attempt counted by ``try_consume`` in this window (the attempt failed on
        our side). Best effort: when DynamoDB is the reason it failed, this may fail too."""
        window_start = now_seconds - now_seconds % window_seconds
        try:
            self._update(f"{key}#{window_start}", "ADD #count :minus", "#count > :zero", {"#count": "attempts"},
                         {":minus": {"N": "-1"}, ":zero": {"N": "0"}})  # fmt: skip
        except (ClientError, DomainError):
            _log.warning("rate_limit_release_failed")

    def _update(
        self,
        limit_key: str,
        expression: str,
        condition: str,
        names: dict[str, str],
        values: dict[str, AttributeValueTypeDef],
    ) -> None:
        """One conditional write to a counter; a failed condition is raised as ClientError."""
        with aws_call(
            "dynamodb", "UpdateItem", passthrough=lambda e: client_error_code(e) == "ConditionalCheckFailedException"
        ):
            self.client.update_item(
                TableName=self.table_name, Key={"limitKey": {"S": limit_key}}, UpdateExpression=expression,
                ConditionExpression=condition, ExpressionAttributeNames=names, ExpressionAttributeValues=values,
            )  # fmt: skip
