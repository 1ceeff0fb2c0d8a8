"""The connections table's listener join under retries (moto in-process)."""

from __future__ import annotations

import time

import boto3
import pytest
from babelcast.domain.connection_records import ConnectionRecord, ListenerJoinRejected
from babelcast.errors import DependencyUnavailable
from babelcast.integration.connections_table import ConnectionsTable
from botocore.exceptions import ClientError

from tests.support.ws_events import new_connection_id
from tests.support.ws_harness import AwsCalls


def session(session_id: str, status: str = "active") -> None:
    boto3.client("dynamodb", region_name="us-east-1").put_item(
        TableName="t-sessions", Item={"sessionId": {"S": session_id}, "status": {"S": status}}
    )


def listener_count(session_id: str) -> int:
    item = boto3.client("dynamodb", region_name="us-east-1").get_item(
        TableName="t-sessions", Key={"sessionId": {"S": session_id}}, ConsistentRead=True
    )["Item"]
    return int(item.get("listenerCount", {"N": "0"})["N"])


def listener(session_id: str) -> ConnectionRecord:
    now = int(time.time() * 1000)
    return ConnectionRecord(new_connection_id(), "listener", session_id, "es", None, now, now // 1000 + 7200)


def test_a_retried_join_that_had_gone_through_succeeds_and_counts_once(ws_aws: AwsCalls) -> None:
    # botocore retries a timed-out TransactWriteItems; when the first attempt was applied, the
    # retry fails only on "this connection is not stored yet": that is not a missing session (404)
    table = ConnectionsTable("t-connections", "t-sessions")
    session("bench-session")
    record = listener("bench-session")
    table.add_listener(record, 500)
    table.add_listener(record, 500)
    assert listener_count("bench-session") == 1


@pytest.mark.parametrize(("status", "reason"), [("ended", "ended"), (None, "missing")])
def test_a_join_to_an_ended_or_missing_session_is_still_rejected(
    ws_aws: AwsCalls,
    status: str | None,
    reason: str,
) -> None:
    table = ConnectionsTable("t-connections", "t-sessions")
    if status:
        session("bench-session", status)
    with pytest.raises(ListenerJoinRejected) as rejected:
        table.add_listener(listener("bench-session"), 500)
    assert rejected.value.reason == reason


@pytest.mark.parametrize("cause", ["TransactionConflict", "ThrottlingError"])
def test_a_join_cancelled_by_a_conflict_or_a_throttle_is_busy_not_a_missing_session(
    ws_aws: AwsCalls, monkeypatch: pytest.MonkeyPatch, cause: str
) -> None:
    # DynamoDB cancels a transaction that races another one on the same session item (or is
    # throttled): nothing was written and the session exists, so the listener must hear "retry"
    # (503), not "no such session" (404), and nothing may be counted
    table = ConnectionsTable("t-connections", "t-sessions")
    session("bench-session")
    cancelled = ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
            "CancellationReasons": [{"Code": cause}, {"Code": "None"}],
        },
        "TransactWriteItems",
    )

    def cancel(**_: object) -> None:
        raise cancelled

    monkeypatch.setattr(table.client, "transact_write_items", cancel)
    with pytest.raises(DependencyUnavailable):
        table.add_listener(listener("bench-session"), 500)
    assert listener_count("bench-session") == 0
