"""The events Lambda delivers: stream records (DynamoDB Streams, Kinesis), EventBridge's scheduled
event, and what a stream mapping's on-failure destination is told about a skipped batch."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from babelcast_devstack.triggers.declarations import EventSourceMapping, Schedule


@dataclass
class StreamRecord:
    """One record read from a stream, as Lambda will deliver it (``event``), with what the poller needs."""

    sequence_number: str
    created: float  # epoch seconds, for maximum_record_age_in_seconds
    event: dict[str, Any]
    size: int
    shard_id: str = ""


def _epoch_seconds(value: Any) -> float:
    return value.timestamp() if isinstance(value, datetime) else float(value)


def _attribute_json(value: Any) -> Any:
    """An attribute value as DynamoDB JSON: boto3 decodes binary (B, BS) to bytes; events carry base64."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    if isinstance(value, Mapping):
        return {key: _attribute_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_attribute_json(item) for item in value]
    return value


def dynamodb_event_record(raw: Mapping[str, Any], event_source_arn: str, region: str) -> dict[str, Any]:
    """A DynamoDB Streams record (as boto3's GetRecords returns it) as Lambda delivers it."""
    stream = raw["dynamodb"]
    body: dict[str, Any] = {}
    if stream.get("ApproximateCreationDateTime") is not None:
        # DynamoDB Streams rounds it down to the second
        body["ApproximateCreationDateTime"] = int(_epoch_seconds(stream["ApproximateCreationDateTime"]))
    for key in ("Keys", "NewImage", "OldImage"):
        if key in stream:
            body[key] = _attribute_json(stream[key])
    body.update(
        SequenceNumber=stream["SequenceNumber"],
        SizeBytes=int(stream["SizeBytes"]),
        StreamViewType=stream["StreamViewType"],
    )
    record = {
        "eventID": raw["eventID"],
        "eventName": raw["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": body,
        "eventSourceARN": event_source_arn,
    }
    identity = raw.get("userIdentity")  # set on deletes made by TTL
    if identity:
        record["userIdentity"] = {"type": identity.get("Type"), "principalId": identity.get("PrincipalId")}
    return record


def kinesis_event_record(
    raw: Mapping[str, Any], shard_id: str, event_source_arn: str, region: str, invoke_identity_arn: str
) -> dict[str, Any]:
    """A Kinesis record (as boto3's GetRecords returns it) as Lambda delivers it."""
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": raw["PartitionKey"],
            "sequenceNumber": raw["SequenceNumber"],
            "data": base64.b64encode(raw["Data"]).decode(),
            "approximateArrivalTimestamp": round(_epoch_seconds(raw["ApproximateArrivalTimestamp"]), 3),
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{shard_id}:{raw['SequenceNumber']}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": invoke_identity_arn,
        "awsRegion": region,
        "eventSourceARN": event_source_arn,
    }


def scheduled_event(rule_arn: str, at: datetime, default_region: str) -> dict[str, Any]:
    """The event EventBridge sends a scheduled rule's targets."""
    parts = rule_arn.split(":")
    region, account = (parts[3], parts[4]) if len(parts) > 5 else (default_region, "123456789012")
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [rule_arn],
        "detail": {},
    }


def target_input(schedule: Schedule, event: Mapping[str, Any]) -> Any:
    """What the target receives: the constant `input`, the `input_path` part, or the event itself."""
    if schedule.input is not None:
        return json.loads(schedule.input)
    selected: Any = event
    for key in (schedule.input_path or "$").removeprefix("$").split(".")[1:]:
        selected = selected.get(key) if isinstance(selected, Mapping) else None
    return selected


def on_failure_record(
    mapping: EventSourceMapping, records: Sequence[StreamRecord], attempts: int, errored: bool
) -> dict[str, Any]:
    """The message Lambda sends a stream mapping's on-failure destination for a skipped batch."""

    def stamp(seconds: float) -> str:
        return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    batch_info = {
        "shardId": records[0].shard_id,
        "startSequenceNumber": records[0].sequence_number,
        "endSequenceNumber": records[-1].sequence_number,
        "approximateArrivalOfFirstRecord": stamp(records[0].created),
        "approximateArrivalOfLastRecord": stamp(records[-1].created),
        "batchSize": len(records),
        "streamArn": mapping.event_source_arn,
    }
    return {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": mapping.function_arn,
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": attempts,
        },
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled" if errored else "",
        },
        "version": "1.0",
        "timestamp": stamp(time.time()),
        "DDBStreamBatchInfo" if mapping.source == "dynamodb" else "KinesisBatchInfo": batch_info,
    }
