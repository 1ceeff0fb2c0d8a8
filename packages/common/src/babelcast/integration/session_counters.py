"""The usage counters on a session's item (docs/analytics.md): read with the session, the peak
raised by the change stream's consumer, and settled when the session ends."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from babelcast.domain.session_records import SessionUsage
from babelcast.integration.aws import DynamoTable, aws_call, is_condition_failure
from babelcast.integration.session_items import (
    DEPENDENCY,
    correlation_value,
    equals_or_absent,
    from_item,
    language_attribute,
    usage_from_item,
)
from babelcast.models import Session, SessionStatus


class SessionCounters(DynamoTable):
    """The counter reads and writes of the sessions table (SessionsTable inherits them)."""

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
            with aws_call(DEPENDENCY, "UpdateItem", passthrough=is_condition_failure):
                self.client.update_item(
                    TableName=self.table_name,
                    Key={"sessionId": {"S": session_id}},
                    UpdateExpression="SET peakListeners = :n, correlationId = :correlation",
                    ConditionExpression="attribute_exists(sessionId) AND "
                    "(attribute_not_exists(peakListeners) OR peakListeners < :n)",
                    ExpressionAttributeValues={":n": {"N": str(listeners)}, ":correlation": correlation_value()},
                )
        except ClientError:
            return False
        return True

    def mark_audience(self, session_id: str, key: str, now_ms: int, interval_ms: int) -> int | None:
        """Claim this second for the audienceUpdate saying ``key`` (babelcast.domain.audience):
        refused when that was the last one sent, or another went out less than ``interval_ms``
        ago. Leaves correlationId alone: the change it announces keeps its own."""
        try:
            with aws_call(DEPENDENCY, "UpdateItem", passthrough=is_condition_failure):
                self.client.update_item(
                    TableName=self.table_name,
                    Key={"sessionId": {"S": session_id}},
                    UpdateExpression="SET audienceSent = :key, audienceSentAt = :now",
                    ConditionExpression="attribute_exists(sessionId) AND "
                    "(attribute_not_exists(audienceSent) OR audienceSent <> :key) AND "
                    "(attribute_not_exists(audienceSentAt) OR audienceSentAt <= :cutoff)",
                    ExpressionAttributeValues={
                        ":key": {"S": key},
                        ":now": {"N": str(now_ms)},
                        ":cutoff": {"N": str(now_ms - interval_ms)},
                    },
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
        except ClientError as error:
            old: Any = error.response.get("Item")
            if not old or old.get("audienceSent", {}).get("S") == key:
                return 0
            return max(1, int(old["audienceSentAt"]["N"]) + interval_ms - now_ms)
        return None

    def finish_end(self, session_id: str, seen: SessionUsage, open_listener_ms: int) -> SessionUsage | None:
        """After an end: no listeners, no buffer, and the listeners still connected at the end
        (``open_listener_ms``, computed from ``seen``) folded into ``listenerMs``. Applies only if
        the listener counters are still as ``seen``; returns the usage after, or None when they
        changed meanwhile (re-read and retry) or the item is gone or not ended."""
        condition = " AND ".join(
            [
                "#status = :ended",
                equals_or_absent("listenerCount", ":count", seen.listener_count),
                equals_or_absent("listenerConnectedSum", ":sum", seen.listener_connected_sum),
            ]
        )
        # the per-language counters go with listenerCount (their sum): none is left behind
        languages = {f"#language{n}": language_attribute(lang) for n, lang in enumerate(seen.languages)}
        remove = f" REMOVE {', '.join(languages)}" if languages else ""
        try:
            with aws_call(DEPENDENCY, "UpdateItem", passthrough=is_condition_failure):
                item = self.client.update_item(
                    TableName=self.table_name,
                    Key={"sessionId": {"S": session_id}},
                    UpdateExpression="SET listenerCount = :zero, listenerConnectedSum = :zero, bufferDepth = :zero, "
                    "bufferBytes = :zero, correlationId = :correlation "
                    "ADD listenerMs :open, audienceVersion :one" + remove,
                    ConditionExpression=condition,
                    ExpressionAttributeNames={"#status": "status", **languages},
                    ExpressionAttributeValues={
                        ":zero": {"N": "0"},
                        ":one": {"N": "1"},
                        ":ended": {"S": SessionStatus.ENDED.value},
                        ":count": {"N": str(seen.listener_count)},
                        ":sum": {"N": str(seen.listener_connected_sum)},
                        ":open": {"N": str(max(0, open_listener_ms))},
                        ":correlation": correlation_value(),
                    },
                    ReturnValues="ALL_NEW",
                )["Attributes"]
        except ClientError:
            return None
        return usage_from_item(item)
