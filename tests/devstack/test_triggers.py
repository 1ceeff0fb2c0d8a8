"""Event source mappings (DynamoDB Streams, Kinesis) and EventBridge schedules as the local stack runs
them: against the emulator (moto server), with a recording invoker standing in for the functions,
and once end to end through a LocalGateway running real worker processes."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import sys
import threading
import time
import uuid
import zipfile
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from babelcast_devstack.config import FunctionConfig, GatewayConfig
from babelcast_devstack.emulator import moto_server
from babelcast_devstack.gateway import LocalGateway
from babelcast_devstack.invocation import InvocationFailed
from babelcast_devstack.lambda_runtime import LambdaRuntime
from babelcast_devstack.triggers import (
    Cron,
    EventSourceMapping,
    Schedule,
    TriggerRunner,
    rate_seconds,
    triggers_from_terraform_state,
)

REGION, ACCOUNT = "us-east-1", "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/consumer-role"
DEADLINE_SECONDS = 20.0
FIXTURE_HANDLERS = Path(__file__).parent / "fixtures" / "functions" / "basic"


def function_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def rule_arn(name: str) -> str:
    return f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{name}"


CONSUMER = function_arn("consumer")


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


def client(emulator: str, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=emulator,
        region_name=REGION,  # type: ignore[call-overload]
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def new_table(emulator: str) -> tuple[str, str]:
    """A table with a NEW_AND_OLD_IMAGES stream: (name, stream ARN)."""
    name = f"table-{uuid.uuid4().hex[:8]}"
    description = client(emulator, "dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]
    return name, description["LatestStreamArn"]


def new_stream(emulator: str, shards: int = 1) -> tuple[str, str]:
    """A Kinesis data stream: (name, ARN)."""
    name = f"stream-{uuid.uuid4().hex[:8]}"
    kinesis = client(emulator, "kinesis")
    kinesis.create_stream(StreamName=name, ShardCount=shards)
    return name, kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]


def put_records(emulator: str, stream: str, payloads: Sequence[bytes]) -> None:
    """One PutRecords call: the records reach the shard together, so they are read as one batch."""
    records = [{"Data": payload, "PartitionKey": "p"} for payload in payloads]
    assert client(emulator, "kinesis").put_records(StreamName=stream, Records=records)["FailedRecordCount"] == 0


class Recorder:
    """Stands in for the functions: records every invocation; `respond` decides each outcome."""

    def __init__(self, respond: Callable[[str, dict[str, Any]], Any] | None = None) -> None:
        self.calls: list[tuple[str, dict[str, Any], float]] = []
        self.respond = respond

    async def invoke(self, function_arn: str, event: Mapping[str, Any]) -> Any:
        copied = json.loads(json.dumps(event))  # what a function receives is JSON
        self.calls.append((function_arn, copied, time.monotonic()))
        return self.respond(function_arn, copied) if self.respond else None

    def events(self, arn: str = CONSUMER) -> list[dict[str, Any]]:
        return [event for called, event, _ in self.calls if called == arn]

    def batches(self, arn: str = CONSUMER) -> list[list[dict[str, Any]]]:
        return [event["Records"] for event in self.events(arn)]

    def records(self, arn: str = CONSUMER) -> list[dict[str, Any]]:
        return [record for batch in self.batches(arn) for record in batch]


def data(record: Mapping[str, Any]) -> bytes:
    return base64.b64decode(record["kinesis"]["data"])


def failing_on_poison(failure: InvocationFailed) -> Callable[[str, dict[str, Any]], Any]:
    """A response that fails every batch holding a b"poison" record."""

    def respond(_: str, event: dict[str, Any]) -> Any:
        if any(data(record) == b"poison" for record in event["Records"]):
            raise failure
        return None

    return respond


def keys(batch: Sequence[Mapping[str, Any]]) -> list[str]:
    return [record["dynamodb"]["Keys"]["pk"]["S"] for record in batch]


async def until(condition: Callable[[], bool], timeout: float = DEADLINE_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the triggers"
        await asyncio.sleep(0.02)


@asynccontextmanager
async def running(
    emulator: str | None,
    recorder: Recorder,
    *,
    mappings: Sequence[EventSourceMapping] = (),
    schedules: Sequence[Schedule] = (),
    logs: list[str] | None = None,
    override: float | None = None,
) -> AsyncIterator[TriggerRunner]:
    runner = TriggerRunner(
        mappings,
        schedules,
        recorder,
        emulator,
        REGION,
        schedule_interval_override=override,
        log=(logs if logs is not None else []).append,
        poll_interval=0.05,
    )
    await runner.start()
    try:
        yield runner
    finally:
        await runner.stop()


def assert_nothing_left_running() -> None:
    assert asyncio.all_tasks() == {asyncio.current_task()}
    assert not trigger_threads()


def trigger_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith("babelcast-triggers")]


# --- reading the Terraform state ---------------------------------------------------------------------------


def resource(kind: str, name: str, values: dict[str, Any], mode: str = "managed") -> dict[str, Any]:
    return {"address": f"{kind}.{name}", "mode": mode, "type": kind, "name": name, "values": values}


def test_triggers_are_read_from_the_terraform_state() -> None:
    table_stream = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/sessions/stream/2024-03-13T16:00:00.000"
    kinesis = f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/segments"
    sweeper = function_arn("local-sweeper")

    def function(name: str) -> dict[str, Any]:
        return resource(
            "aws_lambda_function",
            "this",
            {"function_name": name, "arn": function_arn(name), "role": f"arn:aws:iam::{ACCOUNT}:role/{name}"},
        )

    state = {
        "values": {
            "root_module": {
                "resources": [
                    resource(
                        "aws_lambda_event_source_mapping",
                        "sessions",
                        {
                            "function_name": function_arn("local-session-events"),
                            "function_arn": function_arn("local-session-events"),
                            "event_source_arn": table_stream,
                            "starting_position": "LATEST",
                            "batch_size": 100,
                            "maximum_batching_window_in_seconds": 0,
                            "enabled": True,
                            "function_response_types": ["ReportBatchItemFailures"],
                            "bisect_batch_on_function_error": True,
                            "maximum_retry_attempts": 3,
                            "maximum_record_age_in_seconds": -1,
                            "destination_config": [
                                {"on_failure": [{"destination_arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:failures"}]}
                            ],
                            "uuid": "0f9e5a2c-0000-4000-8000-000000000001",
                            "id": "0f9e5a2c-0000-4000-8000-000000000001",
                        },
                    ),
                    # by name, read back from an emulator that left the optional settings unset
                    resource(
                        "aws_lambda_event_source_mapping",
                        "segments",
                        {
                            "function_name": "local-broadcast",
                            "function_arn": None,
                            "event_source_arn": kinesis,
                            "starting_position": "TRIM_HORIZON",
                            "batch_size": 0,
                            "maximum_batching_window_in_seconds": None,
                            "enabled": False,
                            "function_response_types": None,
                            "bisect_batch_on_function_error": False,
                            "maximum_retry_attempts": 0,
                            "maximum_record_age_in_seconds": 0,
                            "uuid": "",
                            "id": "esm-2",
                        },
                    ),
                    resource(
                        "aws_cloudwatch_event_rule",
                        "sweep",
                        {
                            "name": "local-sweep",
                            "arn": rule_arn("local-sweep"),
                            "schedule_expression": "rate(5 minutes)",
                            "state": "ENABLED",
                            "event_bus_name": "default",
                        },
                    ),
                    resource(
                        "aws_cloudwatch_event_target",
                        "sweep",
                        {
                            "rule": "local-sweep",
                            "arn": sweeper,
                            "target_id": "sweep",
                            "event_bus_name": "default",
                            "input": "",
                        },
                    ),
                    resource(
                        "aws_cloudwatch_event_target",
                        "sweep_queue",
                        {  # not a Lambda: not run locally
                            "rule": "local-sweep",
                            "arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:sweeps",
                            "target_id": "queue",
                        },
                    ),
                    resource(
                        "aws_cloudwatch_event_rule",
                        "nightly",
                        {
                            "name": "local-nightly",
                            "arn": rule_arn("local-nightly"),
                            "schedule_expression": "cron(0 3 * * ? *)",
                            "is_enabled": False,
                        },
                    ),
                    resource(
                        "aws_cloudwatch_event_target",
                        "nightly",
                        {  # an alias ARN runs the function itself
                            "rule": "local-nightly",
                            "arn": f"{sweeper}:live",
                            "input": '{"mode": "full"}',
                            "input_path": None,
                            "event_bus_name": None,
                        },
                    ),
                    resource(
                        "aws_cloudwatch_event_rule",
                        "on_change",
                        {  # an event pattern, not a schedule
                            "name": "local-on-change",
                            "arn": rule_arn("local-on-change"),
                            "schedule_expression": "",
                            "event_pattern": '{"source": ["aws.dynamodb"]}',
                            "state": "ENABLED",
                        },
                    ),
                    resource("aws_cloudwatch_event_target", "on_change", {"rule": "local-on-change", "arn": sweeper}),
                    resource(
                        "aws_lambda_function", "ignored", {"function_name": "x", "arn": function_arn("x")}, mode="data"
                    ),
                ],
                "child_modules": [
                    {
                        "resources": [function("local-session-events"), function("local-sweeper")],
                        "child_modules": [{"resources": [function("local-broadcast")]}],
                    },
                ],
            }
        }
    }

    mappings, schedules = triggers_from_terraform_state(state)

    assert mappings == [
        EventSourceMapping(
            function_arn=function_arn("local-session-events"),
            event_source_arn=table_stream,
            starting_position="LATEST",
            batch_size=100,
            maximum_batching_window_in_seconds=0.0,
            enabled=True,
            function_response_types=("ReportBatchItemFailures",),
            bisect_batch_on_function_error=True,
            maximum_retry_attempts=3,
            maximum_record_age_in_seconds=-1,
            invoke_identity_arn=f"arn:aws:iam::{ACCOUNT}:role/local-session-events",
            uuid="0f9e5a2c-0000-4000-8000-000000000001",
            on_failure_destination=f"arn:aws:sqs:{REGION}:{ACCOUNT}:failures",
        ),
        EventSourceMapping(
            function_arn=function_arn("local-broadcast"),
            event_source_arn=kinesis,
            starting_position="TRIM_HORIZON",
            batch_size=100,
            enabled=False,
            maximum_retry_attempts=0,
            maximum_record_age_in_seconds=-1,
            invoke_identity_arn=f"arn:aws:iam::{ACCOUNT}:role/local-broadcast",
            uuid="esm-2",
        ),
    ]
    assert mappings[0].source == "dynamodb" and mappings[0].report_batch_item_failures
    assert mappings[1].source == "kinesis" and not mappings[1].report_batch_item_failures
    assert schedules == [
        Schedule("local-sweep", rule_arn("local-sweep"), "rate(5 minutes)", sweeper),
        Schedule(
            "local-nightly",
            rule_arn("local-nightly"),
            "cron(0 3 * * ? *)",
            sweeper,
            enabled=False,
            input='{"mode": "full"}',
        ),
    ]
    assert triggers_from_terraform_state({"values": {"root_module": {}}}) == ([], [])


def test_schedule_expressions() -> None:
    assert rate_seconds("rate(1 minute)") == 60
    assert rate_seconds("rate(5 minutes)") == 300
    assert rate_seconds("rate(2 hours)") == 7200
    assert rate_seconds("rate(1 day)") == 86400
    assert rate_seconds("cron(0 12 * * ? *)") is None
    with pytest.raises(ValueError, match="positive"):
        rate_seconds("rate(0 minutes)")

    def next_after(expression: str, moment: str) -> str | None:
        upcoming = Cron.parse(expression).next_after(datetime.fromisoformat(moment))
        return upcoming.strftime("%Y-%m-%d %H:%M %a") if upcoming else None

    assert next_after("cron(0 12 * * ? *)", "2024-01-01T12:00:00+00:00") == "2024-01-02 12:00 Tue"
    assert next_after("cron(0 12 * * ? *)", "2024-01-01T11:59:59+00:00") == "2024-01-01 12:00 Mon"
    assert next_after("cron(15 10 ? * MON-FRI *)", "2024-03-01T10:15:00+00:00") == "2024-03-04 10:15 Mon"
    assert next_after("cron(0/20 * * * ? *)", "2024-03-01T10:07:30+00:00") == "2024-03-01 10:20 Fri"
    assert next_after("cron(0 8 1 JAN,JUL ? *)", "2024-02-10T00:00:00+00:00") == "2024-07-01 08:00 Mon"
    assert next_after("cron(30 1 ? * 1 *)", "2024-03-04T00:00:00+00:00") == "2024-03-10 01:30 Sun"  # 1 = Sunday
    assert next_after("cron(0 0 29 2 ? 2025-2027)", "2024-01-01T00:00:00+00:00") is None  # no Feb 29th then
    assert next_after("cron(0 9 * * ? *)", "2024-06-01T10:00:00+02:00") == "2024-06-01 09:00 Sat"  # 08:00 UTC
    for unsupported in ("cron(0 18 L * ? *)", "cron(0 9 ? * 2#1 *)", "cron(0 12 * *)", "cron(61 * * * ? *)"):
        with pytest.raises(ValueError):
            Cron.parse(unsupported)


# --- DynamoDB Streams --------------------------------------------------------------------------------------


def test_dynamodb_stream_records_arrive_as_lambda_delivers_them(emulator: str) -> None:
    table, stream_arn = new_table(emulator)
    dynamodb = client(emulator, "dynamodb")
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "before-start"}})  # LATEST: never delivered
    recorder = Recorder()
    new_image = {"pk": {"S": "a"}, "blob": {"B": b"\x00\xff"}, "tags": {"SS": ["x"]}, "n": {"N": "1"}}

    async def scenario() -> None:
        async with running(emulator, recorder, mappings=[EventSourceMapping(CONSUMER, stream_arn)]):
            dynamodb.put_item(TableName=table, Item=new_image)
            dynamodb.update_item(
                TableName=table,
                Key={"pk": {"S": "a"}},
                UpdateExpression="SET n = :two",
                ExpressionAttributeValues={":two": {"N": "2"}},
            )
            dynamodb.delete_item(TableName=table, Key={"pk": {"S": "a"}})
            await until(lambda: len(recorder.records()) >= 3)
        assert_nothing_left_running()

    asyncio.run(scenario())
    assert all(set(event) == {"Records"} for event in recorder.events())
    records = recorder.records()
    assert [record["eventName"] for record in records] == ["INSERT", "MODIFY", "REMOVE"]
    now = time.time()
    for record in records:
        assert list(record) == [
            "eventID",
            "eventName",
            "eventVersion",
            "eventSource",
            "awsRegion",
            "dynamodb",
            "eventSourceARN",
        ]
        assert re.fullmatch(r"[0-9a-f]{32}", record["eventID"])
        assert record["eventVersion"] == "1.1"
        assert record["eventSource"] == "aws:dynamodb"
        assert record["awsRegion"] == REGION
        assert record["eventSourceARN"] == stream_arn
        stream = record["dynamodb"]
        assert stream["Keys"] == {"pk": {"S": "a"}}
        assert isinstance(stream["ApproximateCreationDateTime"], int)  # epoch seconds, rounded down
        assert now - 120 < stream["ApproximateCreationDateTime"] <= now
        assert re.fullmatch(r"\d+", stream["SequenceNumber"])
        assert isinstance(stream["SizeBytes"], int) and stream["SizeBytes"] > 0
        assert stream["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert len({record["eventID"] for record in records}) == 3
    sequence_numbers = [int(record["dynamodb"]["SequenceNumber"]) for record in records]
    assert sequence_numbers == sorted(set(sequence_numbers))
    insert, modify, remove = (record["dynamodb"] for record in records)
    encoded = {**new_image, "blob": {"B": base64.b64encode(b"\x00\xff").decode()}}  # binary travels as base64
    assert list(insert) == [
        "ApproximateCreationDateTime",
        "Keys",
        "NewImage",
        "SequenceNumber",
        "SizeBytes",
        "StreamViewType",
    ]
    assert insert["NewImage"] == encoded
    assert list(modify) == [
        "ApproximateCreationDateTime",
        "Keys",
        "NewImage",
        "OldImage",
        "SequenceNumber",
        "SizeBytes",
        "StreamViewType",
    ]
    assert modify["OldImage"] == encoded
    assert modify["NewImage"] == {**encoded, "n": {"N": "2"}}
    assert "NewImage" not in remove
    assert remove["OldImage"] == {**encoded, "n": {"N": "2"}}


def test_reported_batch_item_failures_retry_from_the_first_failed_record(emulator: str) -> None:
    table, stream_arn = new_table(emulator)
    dynamodb = client(emulator, "dynamodb")
    for number in range(5):  # written before start and read from TRIM_HORIZON: one batch of five
        dynamodb.put_item(TableName=table, Item={"pk": {"S": f"k{number}"}})

    def respond(_: str, event: dict[str, Any]) -> Any:
        batch = event["Records"]
        if len(recorder.calls) == 1:  # the lowest reported sequence number is the checkpoint, in any order
            failed = [batch[3], batch[2]]
            return {"batchItemFailures": [{"itemIdentifier": r["dynamodb"]["SequenceNumber"]} for r in failed]}
        return {"batchItemFailures": []}

    recorder = Recorder(respond)
    mapping = EventSourceMapping(
        CONSUMER,
        stream_arn,
        starting_position="TRIM_HORIZON",
        batch_size=10,
        function_response_types=("ReportBatchItemFailures",),
    )
    logs: list[str] = []

    async def scenario() -> None:
        async with running(emulator, recorder, mappings=[mapping], logs=logs):
            await until(lambda: len(recorder.calls) >= 2)
            dynamodb.put_item(TableName=table, Item={"pk": {"S": "k5"}})  # delivered only once k2..k4 are done
            await until(lambda: len(recorder.calls) >= 3)

    asyncio.run(scenario())
    assert [keys(batch) for batch in recorder.batches()] == [["k0", "k1", "k2", "k3", "k4"], ["k2", "k3", "k4"], ["k5"]]
    assert any("2 record(s) reported failed" in line for line in logs)


# --- Kinesis -----------------------------------------------------------------------------------------------


def test_kinesis_records_arrive_per_shard_in_order_from_the_starting_position(emulator: str) -> None:
    stream, stream_arn = new_stream(emulator, shards=2)
    kinesis = client(emulator, "kinesis")
    early_shard = kinesis.put_record(StreamName=stream, Data=b"early", PartitionKey="p", ExplicitHashKey="0")["ShardId"]
    replay = function_arn("replay")
    recorder = Recorder()
    latest = EventSourceMapping(CONSUMER, stream_arn, batch_size=2, invoke_identity_arn=ROLE)
    trim_horizon = EventSourceMapping(replay, stream_arn, starting_position="TRIM_HORIZON", invoke_identity_arn=ROLE)
    written: dict[str, list[tuple[bytes, str]]] = {}  # shard => (data, sequence number), in write order
    payloads = [b'{"n": 1}', b"\x00\xff binary", b'{"n": 3}', b'{"n": 4}', b'{"n": 5}', b'{"n": 6}', b'{"n": 7}']

    async def scenario() -> None:
        async with running(emulator, recorder, mappings=[latest, trim_horizon]):
            for number, payload in enumerate(payloads):
                hash_key = "0" if number % 3 else str(2**127)  # both shards, several records each
                response = kinesis.put_record(
                    StreamName=stream, Data=payload, PartitionKey=f"key-{number}", ExplicitHashKey=hash_key
                )
                written.setdefault(response["ShardId"], []).append((payload, response["SequenceNumber"]))
            await until(lambda: len(recorder.records()) >= 7 and len(recorder.records(replay)) >= 8)
        assert_nothing_left_running()

    asyncio.run(scenario())
    assert len(written) == 2
    # moto numbers each shard's records 1, 2, ... (AWS's are stream-wide): identify them by their data
    shard_of = {payload: shard for shard, entries in written.items() for payload, _ in entries}
    replayed = [data(r) for r in recorder.records(replay) if r["eventID"].split(":")[0] == early_shard]
    assert replayed[0] == b"early"  # TRIM_HORIZON: from the shard's oldest record
    assert b"early" not in [data(record) for record in recorder.records()]  # LATEST: only what came after start
    assert all(1 <= len(batch) <= 2 for batch in recorder.batches())  # batch_size
    for batch in recorder.batches() + recorder.batches(replay):  # a batch never mixes shards
        assert len({record["eventID"].split(":")[0] for record in batch}) == 1
    for shard, entries in written.items():  # in order within each shard
        delivered = [
            (data(r), r["kinesis"]["sequenceNumber"]) for r in recorder.records() if r["eventID"].split(":")[0] == shard
        ]
        assert delivered == entries
    now = time.time()
    for number, record in enumerate(sorted(recorder.records(), key=lambda r: payloads.index(data(r)))):
        sequence = record["kinesis"]["sequenceNumber"]
        assert list(record) == [
            "kinesis",
            "eventSource",
            "eventVersion",
            "eventID",
            "eventName",
            "invokeIdentityArn",
            "awsRegion",
            "eventSourceARN",
        ]
        assert list(record["kinesis"]) == [
            "kinesisSchemaVersion",
            "partitionKey",
            "sequenceNumber",
            "data",
            "approximateArrivalTimestamp",
        ]
        assert record["kinesis"]["kinesisSchemaVersion"] == "1.0"
        assert record["kinesis"]["partitionKey"] == f"key-{number}"
        assert record["kinesis"]["data"] == base64.b64encode(payloads[number]).decode()
        assert isinstance(record["kinesis"]["approximateArrivalTimestamp"], float)
        assert now - 120 < record["kinesis"]["approximateArrivalTimestamp"] <= now
        assert record["eventSource"] == "aws:kinesis"
        assert record["eventVersion"] == "1.0"
        assert record["eventID"] == f"{shard_of[payloads[number]]}:{sequence}"
        assert re.fullmatch(r"shardId-\d{12}:\d+", record["eventID"])
        assert record["eventName"] == "aws:kinesis:record"
        assert record["invokeIdentityArn"] == ROLE
        assert record["awsRegion"] == REGION
        assert record["eventSourceARN"] == stream_arn


def test_failed_batch_is_retried_whole_then_skipped(emulator: str) -> None:
    stream, stream_arn = new_stream(emulator)
    put_records(emulator, stream, [b"a", b"poison", b"c"])

    recorder = Recorder(failing_on_poison(InvocationFailed("handler_error", "ValueError", "cannot handle poison")))
    mapping = EventSourceMapping(CONSUMER, stream_arn, starting_position="TRIM_HORIZON", maximum_retry_attempts=2)
    logs: list[str] = []

    async def scenario() -> None:
        async with running(emulator, recorder, mappings=[mapping], logs=logs):
            await until(lambda: len(recorder.calls) >= 3)
            put_records(emulator, stream, [b"d"])  # the shard moves on past the skipped batch
            await until(lambda: len(recorder.calls) >= 4)

    asyncio.run(scenario())
    batches = [[data(record) for record in batch] for batch in recorder.batches()]
    assert batches == [[b"a", b"poison", b"c"]] * 3 + [[b"d"]]  # the first attempt and two retries
    assert sum("handler_error ValueError: cannot handle poison" in line for line in logs) == 3
    assert any("skipping 3 record(s)" in line and "after 2 retries" in line for line in logs)


def test_a_skipped_batch_is_reported_to_the_on_failure_queue(emulator: str) -> None:
    sqs = client(emulator, "sqs")
    queue_url = sqs.create_queue(QueueName=f"failures-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    stream, stream_arn = new_stream(emulator)
    put_records(emulator, stream, [b"a", b"poison"])

    recorder = Recorder(failing_on_poison(InvocationFailed("handler_error", "ValueError", "cannot handle poison")))
    mapping = EventSourceMapping(
        CONSUMER,
        stream_arn,
        starting_position="TRIM_HORIZON",
        maximum_retry_attempts=1,
        on_failure_destination=queue_arn,
    )

    async def scenario() -> None:
        async with running(emulator, recorder, mappings=[mapping]):
            await until(lambda: len(recorder.calls) >= 2)
            await until(
                lambda: (
                    int(
                        sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"])[
                            "Attributes"
                        ]["ApproximateNumberOfMessages"]
                    )
                    >= 1
                )
            )

    asyncio.run(scenario())
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 1
    report = json.loads(messages[0]["Body"])
    sequences = [record["kinesis"]["sequenceNumber"] for record in recorder.calls[0][1]["Records"]]
    assert report["requestContext"]["functionArn"] == CONSUMER
    assert report["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert report["requestContext"]["approximateInvokeCount"] == 2  # the first attempt and one retry
    assert report["responseContext"]["functionError"] == "Unhandled"
    info = report["KinesisBatchInfo"]
    assert info["streamArn"] == stream_arn and info["batchSize"] == 2
    assert [info["startSequenceNumber"], info["endSequenceNumber"]] == sequences
    assert info["shardId"] == recorder.calls[0][1]["Records"][0]["eventID"].split(":")[0]
    assert base64.b64encode(b"poison").decode() not in messages[0]["Body"]  # where the records are, not what


def test_invalid_batch_item_failures_fail_the_whole_batch(emulator: str) -> None:
    stream, stream_arn = new_stream(emulator)
    put_records(emulator, stream, [b"a", b"b", b"c"])
    recorder = Recorder(
        lambda _, __: (
            {"batchItemFailures": [{"itemIdentifier": "not-in-the-batch"}]}
            if len(recorder.calls) == 1
            else {"batchItemFailures": None}
        )
    )
    mapping = EventSourceMapping(
        CONSUMER, stream_arn, starting_position="TRIM_HORIZON", function_response_types=("ReportBatchItemFailures",)
    )

    async def scenario() -> None:
        async with running(emulator, recorder, mappings=[mapping]):
            await until(lambda: len(recorder.calls) >= 2)
            put_records(emulator, stream, [b"d"])
            await until(lambda: len(recorder.calls) >= 3)

    asyncio.run(scenario())
    assert [[data(record) for record in batch] for batch in recorder.batches()] == [[b"a", b"b", b"c"]] * 2 + [[b"d"]]


def test_bisecting_isolates_the_failing_record(emulator: str) -> None:
    stream, stream_arn = new_stream(emulator)
    put_records(emulator, stream, [b"a", b"b", b"poison", b"d"])

    recorder = Recorder(
        failing_on_poison(InvocationFailed("timeout", "Sandbox.Timedout", "Task timed out after 3.00 seconds"))
    )
    mapping = EventSourceMapping(
        CONSUMER,
        stream_arn,
        starting_position="TRIM_HORIZON",
        bisect_batch_on_function_error=True,
        maximum_retry_attempts=1,
    )

    async def scenario() -> None:
        async with running(emulator, recorder, mappings=[mapping]):
            await until(lambda: len(recorder.calls) >= 6)

    asyncio.run(scenario())
    batches = [b" ".join(data(record) for record in batch) for batch in recorder.batches()]
    # splits do not count as retries; the lone failing record is retried once, then skipped
    assert batches == [b"a b poison d", b"a b", b"poison d", b"poison", b"poison", b"d"]


# --- schedules ---------------------------------------------------------------------------------------------


def test_schedules_fire_at_the_overridden_interval_with_the_scheduled_event(emulator: str) -> None:
    names = ("every", "constant", "off", "cron", "flaky")
    every, constant, disabled, cron, flaky = (function_arn(name) for name in names)
    schedules = [
        Schedule("every", rule_arn("every"), "rate(5 minutes)", every),
        Schedule("constant", rule_arn("constant"), "rate(1 hour)", constant, input='{"task": "sweep"}'),
        Schedule("off", rule_arn("off"), "rate(1 minute)", disabled, enabled=False),
        Schedule("cron", rule_arn("cron"), "cron(0 18 L * ? *)", cron),  # not evaluable, but overridden
        Schedule("flaky", rule_arn("flaky"), "rate(1 day)", flaky),
    ]

    def respond(arn: str, _: dict[str, Any]) -> Any:
        if arn == flaky and len(recorder.events(flaky)) == 1:
            raise InvocationFailed("handler_error", "RuntimeError", "first attempt fails")
        return None

    recorder = Recorder(respond)
    logs: list[str] = []
    interval = 0.25

    async def scenario() -> float:
        started = time.monotonic()
        async with running(emulator, recorder, schedules=schedules, logs=logs, override=interval):
            await until(
                lambda: (
                    len(recorder.events(every)) >= 4
                    and bool(recorder.events(constant))
                    and bool(recorder.events(cron))
                    and len(recorder.events(flaky)) >= 3
                )
            )
        assert_nothing_left_running()
        return started

    started = asyncio.run(scenario())
    firings = [at for arn, _, at in recorder.calls if arn == every]
    for number, at in enumerate(firings, 1):  # never early (late is possible on a loaded machine)
        assert at - started >= number * interval - 0.01
    assert len(firings) <= (firings[-1] - started) / interval + 1
    now = datetime.now(UTC)
    for event in recorder.events(every):
        assert list(event) == [
            "version",
            "id",
            "detail-type",
            "source",
            "account",
            "time",
            "region",
            "resources",
            "detail",
        ]
        assert event["version"] == "0"
        assert str(uuid.UUID(event["id"])) == event["id"]
        assert event["detail-type"] == "Scheduled Event"
        assert event["source"] == "aws.events"
        assert event["account"] == ACCOUNT
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", event["time"])
        assert 0 <= (now - datetime.fromisoformat(event["time"].replace("Z", "+00:00"))).total_seconds() < 120
        assert event["region"] == REGION
        assert event["resources"] == [rule_arn("every")]
        assert event["detail"] == {}
    assert len({event["id"] for event in recorder.events(every)}) == len(firings)
    assert recorder.events(constant)[0] == {"task": "sweep"}  # the target's constant input replaces the event
    assert recorder.events(cron)[0]["resources"] == [rule_arn("cron")]
    assert recorder.events(disabled) == []
    assert any("rule off (rate(1 minute)) -> off: disabled" in line for line in logs)
    # an asynchronous invocation that fails is retried with the same event, as Lambda does
    first, *later = recorder.events(flaky)
    assert first["id"] in [event["id"] for event in later]
    assert any("flaky: invocation failed (handler_error RuntimeError); retrying in 0.25 s" in line for line in logs)


def test_unsupported_cron_is_logged_and_not_scheduled() -> None:
    logs: list[str] = []
    recorder = Recorder()
    schedules = [
        Schedule("last-day", rule_arn("last-day"), "cron(0 18 L * ? *)", CONSUMER),
        Schedule("daily", rule_arn("daily"), "cron(0 3 * * ? *)", CONSUMER),
    ]

    async def scenario() -> None:
        async with running(None, recorder, schedules=schedules, logs=logs) as runner:
            assert [task.get_name() for task in runner._tasks] == ["rule daily (cron(0 3 * * ? *)) -> consumer"]
        assert_nothing_left_running()

    asyncio.run(scenario())
    unsupported = "rule last-day (cron(0 18 L * ? *)) -> consumer: not scheduled locally:"
    assert any(line.startswith(unsupported) for line in logs)
    assert "rule daily (cron(0 3 * * ? *)) -> consumer: on its cron schedule (UTC)" in logs
    assert recorder.calls == []


# --- lifecycle ---------------------------------------------------------------------------------------------


def test_stop_cancels_pollers_schedules_and_invocations_in_flight(emulator: str) -> None:
    _, stream_arn = new_stream(emulator, shards=2)
    _, table_stream_arn = new_table(emulator)
    cancelled: list[str] = []
    started = asyncio.Event()

    class Blocking(Recorder):
        async def invoke(self, function_arn: str, event: Mapping[str, Any]) -> Any:
            await super().invoke(function_arn, event)
            started.set()
            try:
                await asyncio.Event().wait()  # a function that never returns
            except asyncio.CancelledError:
                cancelled.append(function_arn)
                raise

    logs: list[str] = []
    mappings = [
        EventSourceMapping(CONSUMER, stream_arn),
        EventSourceMapping(CONSUMER, table_stream_arn),
        EventSourceMapping(CONSUMER, f"arn:aws:sqs:{REGION}:{ACCOUNT}:queue"),  # not polled locally
        EventSourceMapping(CONSUMER, stream_arn, enabled=False),
    ]
    schedule = Schedule("sweep", rule_arn("sweep"), "rate(1 minute)", function_arn("sweeper"))

    async def scenario() -> None:
        runner = TriggerRunner(
            mappings,
            [schedule],
            Blocking(),
            emulator,
            REGION,
            schedule_interval_override=0.05,
            log=logs.append,
            poll_interval=0.05,
        )
        await runner.start()
        assert len(runner._tasks) == (2 + 1) + (1 + 1) + 1  # per stream its shards and a shard watcher; the schedule
        await asyncio.wait_for(started.wait(), DEADLINE_SECONDS)
        await runner.stop()
        assert cancelled and set(cancelled) == {function_arn("sweeper")}
        assert runner._tasks == set()
        assert_nothing_left_running()
        await runner.stop()  # stopping twice is harmless

    asyncio.run(scenario())
    assert any("only DynamoDB and Kinesis streams are polled locally" in line for line in logs)
    assert any("disabled in Terraform, not polled" in line for line in logs)


def test_stop_ends_a_poller_whose_invocation_lost_the_cancellation(emulator: str) -> None:
    """Python 3.11's asyncio.wait_for returns a result that arrives together with a cancellation (the
    local Lambda runtime awaits one): the poller must still end instead of polling on forever."""
    stream, stream_arn = new_stream(emulator)
    put_records(emulator, stream, [b"a"])
    result: asyncio.Future[None] | None = None

    class ResultWithTheCancellation(Recorder):
        async def invoke(self, function_arn: str, event: Mapping[str, Any]) -> Any:
            nonlocal result
            await super().invoke(function_arn, event)
            result = asyncio.get_running_loop().create_future()
            return await asyncio.wait_for(result, DEADLINE_SECONDS)

    recorder = ResultWithTheCancellation()

    async def scenario() -> None:
        runner = TriggerRunner(
            [EventSourceMapping(CONSUMER, stream_arn, starting_position="TRIM_HORIZON")],
            [],
            recorder,
            emulator,
            REGION,
            log=lambda line: None,
            poll_interval=0.05,
        )
        await runner.start()
        await until(lambda: result is not None)
        assert result is not None
        result.set_result(None)  # completes in the same turn of the loop as stop()'s cancel
        await asyncio.wait_for(runner.stop(), DEADLINE_SECONDS)
        assert_nothing_left_running()

    asyncio.run(scenario())
    assert len(recorder.calls) == 1


def test_local_gateway_runs_triggers_on_its_functions(emulator: str, tmp_path: Path) -> None:
    """Through the gateway: real worker processes, the same FunctionInvoker as the APIs use."""
    stream, stream_arn = new_stream(emulator)
    archive = tmp_path / "basic.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(FIXTURE_HANDLERS / "handlers.py", "handlers.py")
    functions = {
        function_arn(name): FunctionConfig(
            name=name,
            arn=function_arn(name),
            handler="handlers.chatty",
            runtime="python3.12",
            timeout_seconds=10,
            memory_mb=128,
            environment={},
            zip_path=archive,
        )
        for name in ("stream-consumer", "sweeper")
    }
    config = GatewayConfig(region=REGION, account_id=ACCOUNT, apis=(), functions=functions)
    logs: list[tuple[str, str]] = []
    triggers = (
        [EventSourceMapping(function_arn("stream-consumer"), stream_arn)],
        [Schedule("sweep", rule_arn("sweep"), "rate(1 day)", function_arn("sweeper"))],
    )

    def handled(name: str) -> bool:
        return (name, "hello from the handler") in logs

    async def scenario() -> None:
        gateway = LocalGateway(
            config,
            LambdaRuntime(sys.executable, log_sink=lambda name, line: logs.append((name, line))),
            functions_dir=tmp_path / "functions",
            emulator_endpoint=emulator,
            log=lambda line: None,
            triggers=triggers,
            schedule_interval_override=0.2,
        )
        await gateway.start()
        runner = gateway.trigger_runner
        try:
            assert runner is not None
            put_records(emulator, stream, [b"hello"])
            await until(lambda: handled("stream-consumer") and handled("sweeper"))
        finally:
            await gateway.stop()
        # (the runtime's own tasks are its business: only what the triggers started is checked here)
        assert runner._tasks == set()
        assert not trigger_threads()

    asyncio.run(scenario())
