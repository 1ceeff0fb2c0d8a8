"""The other two ways our Lambdas are triggered, run locally the way AWS Lambda runs them.

Event source mappings: Lambda polls every shard of a DynamoDB stream or Kinesis data stream and
invokes the function with batches of records, in order, one batch at a time per shard, retrying
(or bisecting) failed batches. Scheduled rules: EventBridge invokes the target function with a
"Scheduled Event" on a rate or cron schedule. Both are read from the applied Terraform state and
run against the emulator, so a function sees locally the events it would see on AWS.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import json
import re
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal, TypeVar, cast

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from babelcast_devstack.config import _first, _resources
from babelcast_devstack.emulator import emulator_client
from babelcast_devstack.invocation import InvocationFailed, Invoker

T = TypeVar("T")
InvokeFunction = Callable[[str, Mapping[str, Any]], Awaitable[Any]]

MAX_PAYLOAD_BYTES = 6 * 1024 * 1024  # a synchronous invocation's limit: Lambda trims batches to fit
MAX_RETRY_DELAY_SECONDS = 5.0
ASYNC_RETRY_DELAYS_SECONDS = (60.0, 120.0)  # Lambda retries a failed asynchronous invocation twice
SHARD_DISCOVERY_SECONDS = 1.0


@dataclass(frozen=True)
class EventSourceMapping:
    """An aws_lambda_event_source_mapping on a DynamoDB or Kinesis stream; defaults are AWS's."""

    function_arn: str
    event_source_arn: str
    starting_position: str = "LATEST"
    batch_size: int = 100
    maximum_batching_window_in_seconds: float = 0.0
    enabled: bool = True
    function_response_types: tuple[str, ...] = ()
    bisect_batch_on_function_error: bool = False
    maximum_retry_attempts: int = -1  # -1: retried until the record expires
    maximum_record_age_in_seconds: int = -1
    invoke_identity_arn: str = ""  # the function's execution role: Kinesis records carry it
    uuid: str = ""
    on_failure_destination: str = ""  # SQS queue ARN told about each batch given up on

    @property
    def source(self) -> Literal["dynamodb", "kinesis"] | None:
        service = self.event_source_arn.split(":")[2:3]
        if service == ["dynamodb"] and "/stream/" in self.event_source_arn:
            return "dynamodb"
        return "kinesis" if service == ["kinesis"] else None

    @property
    def report_batch_item_failures(self) -> bool:
        return "ReportBatchItemFailures" in self.function_response_types


@dataclass(frozen=True)
class Schedule:
    """A scheduled aws_cloudwatch_event_rule and one of its Lambda targets."""

    rule_name: str
    rule_arn: str
    schedule_expression: str
    function_arn: str
    enabled: bool = True
    input: str | None = None  # constant JSON the target sends instead of the event
    input_path: str | None = None  # "$.detail"-style path: the target sends that part of the event


Triggers = tuple[list[EventSourceMapping], list[Schedule]]


# --- reading the Terraform state -----------------------------------------------------------------


def _optional_int(value: Any, default: int) -> int:
    return default if value is None else int(value)


def triggers_from_terraform_state(state: Mapping[str, Any]) -> Triggers:
    """Event source mappings and scheduled Lambda targets declared in `terraform show -json` output."""
    root = (state.get("values") or {}).get("root_module") or {}
    by_type: dict[str, list[Mapping[str, Any]]] = {}
    for resource in _resources(root):
        if resource.get("mode") == "managed":
            by_type.setdefault(resource["type"], []).append(resource.get("values") or {})
    functions = {str(v["function_name"]): str(v["arn"]) for v in by_type.get("aws_lambda_function", [])}
    roles = {str(v["arn"]): str(v.get("role") or "") for v in by_type.get("aws_lambda_function", [])}

    def resolve(reference: str, near_arn: str) -> str:
        # A name, an ARN, a partial ARN (account:function:name) or any of them with a version or
        # alias: the local stack runs one unqualified function per name.
        parts = reference.split(":")
        name = parts[parts.index("function") + 1] if "function" in parts[:-1] else parts[0]
        if name in functions:
            return functions[name]
        if reference.startswith("arn:"):
            return ":".join(parts[:7])
        near = near_arn.split(":")
        region, account = (near[3], near[4]) if len(near) > 4 else ("us-east-1", "123456789012")
        return f"arn:aws:lambda:{region}:{account}:function:{name}"

    mappings = []
    for values in by_type.get("aws_lambda_event_source_mapping", []):
        source_arn = values.get("event_source_arn") or ""
        function_arn = resolve(values.get("function_arn") or values.get("function_name") or "", source_arn)
        record_age = _optional_int(values.get("maximum_record_age_in_seconds"), -1)
        destination = _first((_first(values.get("destination_config")) or {}).get("on_failure")) or {}
        mappings.append(
            EventSourceMapping(
                function_arn=function_arn,
                event_source_arn=source_arn,
                starting_position=values.get("starting_position") or "LATEST",
                batch_size=int(values.get("batch_size") or 100),
                maximum_batching_window_in_seconds=float(values.get("maximum_batching_window_in_seconds") or 0),
                enabled=values.get("enabled") is not False,
                function_response_types=tuple(values.get("function_response_types") or ()),
                bisect_batch_on_function_error=bool(values.get("bisect_batch_on_function_error")),
                maximum_retry_attempts=_optional_int(values.get("maximum_retry_attempts"), -1),
                # 0 is not a valid age on AWS (-1 or 60..604800): it is what an unset value reads back as
                maximum_record_age_in_seconds=record_age if record_age > 0 else -1,
                invoke_identity_arn=roles.get(function_arn, ""),
                uuid=values.get("uuid") or values.get("id") or "",
                on_failure_destination=destination.get("destination_arn") or "",
            )
        )

    rules = {
        (v.get("event_bus_name") or "default", v.get("name")): v for v in by_type.get("aws_cloudwatch_event_rule", [])
    }
    schedules = []
    for target in by_type.get("aws_cloudwatch_event_target", []):
        rule = rules.get((target.get("event_bus_name") or "default", target.get("rule")))
        target_arn = target.get("arn") or ""
        if not rule or not rule.get("schedule_expression") or ":lambda:" not in target_arn:
            continue  # event-pattern rules and non-Lambda targets are not run locally
        state_value = rule.get("state")
        enabled = state_value != "DISABLED" if state_value else rule.get("is_enabled") is not False
        schedules.append(
            Schedule(
                rule_name=rule["name"],
                rule_arn=rule.get("arn") or "",
                schedule_expression=rule["schedule_expression"],
                function_arn=resolve(target_arn, rule.get("arn") or ""),
                enabled=enabled,
                input=target.get("input") or None,
                input_path=target.get("input_path") or None,
            )
        )
    return mappings, schedules


# --- schedule expressions ------------------------------------------------------------------------

_RATE = re.compile(r"rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {name: number for number, name in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1)}  # fmt: skip
_WEEKDAYS = {name: number for number, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), 1)}


def rate_seconds(expression: str) -> float | None:
    """The interval of `rate(N unit)`; None for anything else (a cron expression)."""
    match = _RATE.fullmatch(expression.strip())
    if match is None:
        return None
    value = int(match.group(1))
    if value < 1:
        raise ValueError(f"invalid schedule expression {expression!r}: the value must be positive")
    return float(value * _UNIT_SECONDS[match.group(2).removesuffix("s")])


def _cron_field(text: str, low: int, high: int, names: Mapping[str, int] | None = None) -> frozenset[int] | None:
    if text == "?":
        return None

    def value(token: str) -> int:
        # int() rejects what is not evaluated locally (L, W, #) with a ValueError
        return names[token.upper()] if names and token.upper() in names else int(token)

    values: set[int] = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if base == "*":
            start, end = low, high
        else:
            first, _, last = base.partition("-")
            start = value(first)
            end = value(last) if last else (high if step_text else start)
        if not low <= start <= end <= high or step < 1:
            raise ValueError(f"{part!r} is out of range {low}-{high}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class Cron:
    """EventBridge's six-field cron (minutes hours day-of-month month day-of-week year), in UTC."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int] | None  # None: "?"
    months: frozenset[int]
    days_of_week: frozenset[int] | None  # 1 = SUN ... 7 = SAT
    years: frozenset[int] | None

    @classmethod
    def parse(cls, expression: str) -> Cron:
        """Raises ValueError for malformed expressions and for L, W and # (not evaluated locally)."""
        match = re.fullmatch(r"cron\((.*)\)", expression.strip())
        fields = match.group(1).split() if match else []
        if len(fields) != 6:
            raise ValueError(f"{expression!r} is not a six-field cron(...) expression")
        minutes, hours, days_of_month, months, days_of_week = (
            _cron_field(fields[0], 0, 59), _cron_field(fields[1], 0, 23), _cron_field(fields[2], 1, 31),
            _cron_field(fields[3], 1, 12, _MONTHS), _cron_field(fields[4], 1, 7, _WEEKDAYS),
        )  # fmt: skip
        if minutes is None or hours is None or months is None:
            raise ValueError(f"{expression!r}: only day-of-month or day-of-week may be '?'")
        return cls(minutes, hours, days_of_month, months, days_of_week, _cron_field(fields[5], 1970, 2199))

    def _matches(self, day: date) -> bool:
        weekday = (day.weekday() + 1) % 7 + 1  # Python's Monday=0 to cron's SUN=1
        return (
            day.month in self.months
            and (self.years is None or day.year in self.years)
            and (self.days_of_month is None or day.day in self.days_of_month)
            and (self.days_of_week is None or weekday in self.days_of_week)
        )

    def next_after(self, moment: datetime) -> datetime | None:
        """The first matching minute strictly after `moment` (within 8 years), in UTC."""
        start = (moment.astimezone(UTC) + timedelta(minutes=1)).replace(second=0, microsecond=0)
        day = start.date()
        for _ in range(366 * 8):
            if self._matches(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        candidate = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
                        if candidate >= start:
                            return candidate
            day += timedelta(days=1)
        return None


# --- Lambda events ---------------------------------------------------------------------------------


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
        SequenceNumber=stream["SequenceNumber"], SizeBytes=int(stream["SizeBytes"]),
        StreamViewType=stream["StreamViewType"],
    )  # fmt: skip
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


# --- the pollers ---------------------------------------------------------------------------------


@dataclass
class _Record:
    sequence_number: str
    created: float  # epoch seconds, for maximum_record_age_in_seconds
    event: dict[str, Any]
    size: int
    shard_id: str = ""


@dataclass(frozen=True)
class _Shard:
    id: str
    parent: str | None
    closed: bool


@dataclass
class _Stream:
    """One mapping's event source, read through the emulator's API (blocking calls: run on threads)."""

    mapping: EventSourceMapping
    client: Any
    region: str
    pollers: dict[str, asyncio.Task[None] | None] = field(default_factory=dict)

    max_limit = 1000  # GetRecords' largest Limit

    @property
    def name(self) -> str:
        # table/<name>/stream/<label> or stream/<name>[/consumer/...] (a stream label has colons)
        return self.mapping.event_source_arn.split(":", 5)[-1].split("/")[1]

    @property
    def label(self) -> str:
        return f"{self.mapping.source} {self.name} -> {_function_name(self.mapping.function_arn)}"

    def shards(self) -> list[_Shard]:
        raise NotImplementedError

    def iterator(self, shard_id: str, position: str, after: str | None = None) -> str:
        raise NotImplementedError

    def read(self, iterator: str, limit: int) -> tuple[list[Mapping[str, Any]], str | None]:
        raise NotImplementedError

    def record(self, raw: Mapping[str, Any], shard_id: str) -> _Record:
        raise NotImplementedError


class _DynamoDBStream(_Stream):
    def shards(self) -> list[_Shard]:
        shards: list[_Shard] = []
        arguments: dict[str, Any] = {"StreamArn": self.mapping.event_source_arn}
        while True:
            description = self.client.describe_stream(**arguments)["StreamDescription"]
            shards += [
                _Shard(shard["ShardId"], shard.get("ParentShardId"),
                       "EndingSequenceNumber" in shard.get("SequenceNumberRange", {}))
                for shard in description.get("Shards", [])
            ]  # fmt: skip
            if not description.get("LastEvaluatedShardId"):
                return shards
            arguments["ExclusiveStartShardId"] = description["LastEvaluatedShardId"]

    def iterator(self, shard_id: str, position: str, after: str | None = None) -> str:
        arguments = {"StreamArn": self.mapping.event_source_arn, "ShardId": shard_id, "ShardIteratorType": position}
        if after is not None:
            arguments.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=after)
        return str(self.client.get_shard_iterator(**arguments)["ShardIterator"])

    def read(self, iterator: str, limit: int) -> tuple[list[Mapping[str, Any]], str | None]:
        response = self.client.get_records(ShardIterator=iterator, Limit=limit)
        return response.get("Records", []), response.get("NextShardIterator")

    def record(self, raw: Mapping[str, Any], shard_id: str) -> _Record:
        event = dynamodb_event_record(raw, self.mapping.event_source_arn, self.region)
        created = float(event["dynamodb"].get("ApproximateCreationDateTime") or time.time())
        return _Record(event["dynamodb"]["SequenceNumber"], created, event, len(json.dumps(event)), shard_id)


class _KinesisStream(_Stream):
    max_limit = 10000

    def shards(self) -> list[_Shard]:
        shards: list[_Shard] = []
        arguments: dict[str, Any] = {"StreamName": self.name}
        while True:
            response = self.client.list_shards(**arguments)
            shards += [
                _Shard(shard["ShardId"], shard.get("ParentShardId"),
                       "EndingSequenceNumber" in shard.get("SequenceNumberRange", {}))
                for shard in response.get("Shards", [])
            ]  # fmt: skip
            if not response.get("NextToken"):
                return shards
            arguments = {"NextToken": response["NextToken"]}  # ListShards takes one or the other

    def iterator(self, shard_id: str, position: str, after: str | None = None) -> str:
        arguments = {"StreamName": self.name, "ShardId": shard_id, "ShardIteratorType": position}
        if after is not None:
            arguments.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=after)
        return str(self.client.get_shard_iterator(**arguments)["ShardIterator"])

    def read(self, iterator: str, limit: int) -> tuple[list[Mapping[str, Any]], str | None]:
        response = self.client.get_records(ShardIterator=iterator, Limit=limit)
        return response.get("Records", []), response.get("NextShardIterator")

    def record(self, raw: Mapping[str, Any], shard_id: str) -> _Record:
        mapping = self.mapping
        event = kinesis_event_record(raw, shard_id, mapping.event_source_arn, self.region, mapping.invoke_identity_arn)
        created = float(event["kinesis"]["approximateArrivalTimestamp"])
        return _Record(raw["SequenceNumber"], created, event, len(json.dumps(event)), shard_id)


def _function_name(arn: str) -> str:
    return arn.split(":")[6] if arn.count(":") >= 6 else arn


def on_failure_record(
    mapping: EventSourceMapping, records: Sequence[_Record], attempts: int, errored: bool
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


def _describe(records: Sequence[_Record]) -> str:
    first, last = records[0].sequence_number, records[-1].sequence_number
    return f"{len(records)} record(s) {first}" + (f"..{last}" if last != first else "")


class TriggerRunner:
    """Runs event source mappings and schedules until `stop()`; every invocation goes through `invoker`
    (a gateway FunctionInvoker, or any `async def invoke(function_arn, event)`)."""

    def __init__(
        self,
        mappings: Sequence[EventSourceMapping],
        schedules: Sequence[Schedule],
        invoker: Invoker | InvokeFunction,
        emulator_endpoint: str | None,
        region: str,
        *,
        schedule_interval_override: float | None = None,
        log: Callable[[str], None] = print,
        poll_interval: float = 0.2,
    ) -> None:
        if schedule_interval_override is not None and schedule_interval_override <= 0:
            raise ValueError("schedule_interval_override must be a positive number of seconds")
        self.mappings = list(mappings)
        self.schedules = list(schedules)
        self._invoke = cast(InvokeFunction, getattr(invoker, "invoke", invoker))
        self.emulator_endpoint = emulator_endpoint
        self.region = region
        self.schedule_interval_override = schedule_interval_override
        self.log = log
        self.poll_interval = poll_interval
        self._tasks: set[asyncio.Task[None]] = set()
        self._executor: ThreadPoolExecutor | None = None
        self._stopping = False

    # lifecycle

    async def start(self) -> None:
        """Starts polling and scheduling. Returns once every LATEST shard iterator is taken, so what is
        written afterwards is delivered."""
        if self._executor is not None or self._stopping:
            raise RuntimeError("a trigger runner starts once")
        self._executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="babelcast-triggers")
        streams = [stream for mapping in self.mappings if (stream := await self._stream_for(mapping))]
        await asyncio.gather(*(self._discover(stream, initial=True) for stream in streams))
        for stream in streams:
            self._spawn(self._watch_shards(stream), f"shards {stream.label}")
        for schedule in self.schedules:
            self._start_schedule(schedule)

    async def stop(self) -> None:
        """Cancels every poller, schedule and invocation in flight, and waits for them and the threads."""
        self._stopping = True
        while self._tasks:
            tasks = set(self._tasks)
            for task in tasks:
                task.cancel()
            # Cancel again what is still running after a while: code we await can lose a cancellation
            # (Python 3.11's asyncio.wait_for returns a result that arrives with it). The loops below
            # also check `_stopping`, so a task that lost one ends at its next turn.
            await asyncio.wait(tasks, timeout=0.5)
        if self._executor is not None:
            executor, self._executor = self._executor, None
            # an API call cannot be interrupted; it ends within the client's timeouts
            await asyncio.to_thread(executor.shutdown, wait=True, cancel_futures=True)

    def _spawn(self, coroutine: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None] | None:
        if self._stopping:
            coroutine.close()
            return None
        task = asyncio.get_running_loop().create_task(coroutine, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.log(f"{task.get_name()}: stopped by an internal error: {task.exception()!r}")

    async def _call(self, function: Callable[..., T], *args: Any) -> T:
        assert self._executor is not None
        return await asyncio.get_running_loop().run_in_executor(self._executor, functools.partial(function, *args))

    # event source mappings

    async def _stream_for(self, mapping: EventSourceMapping) -> _Stream | None:
        label = f"{mapping.event_source_arn} -> {_function_name(mapping.function_arn)}"
        if not mapping.enabled:
            self.log(f"{label}: disabled in Terraform, not polled")
            return None
        if mapping.source is None:
            self.log(f"{label}: only DynamoDB and Kinesis streams are polled locally")
            return None
        if self.emulator_endpoint is None:
            self.log(f"{label}: not polled (no AWS emulator endpoint)")
            return None
        parts = mapping.event_source_arn.split(":", 5)
        region = parts[3] if len(parts) > 5 and parts[3] else self.region
        service = "dynamodbstreams" if mapping.source == "dynamodb" else "kinesis"
        client = await self._call(self._client, service, region)
        kind = _DynamoDBStream if mapping.source == "dynamodb" else _KinesisStream
        stream = kind(mapping, client, region)
        self.log(
            f"{stream.label}: polling from {mapping.starting_position}, batches of up to {mapping.batch_size}"
            + (", reporting batch item failures" if mapping.report_batch_item_failures else "")
        )
        return stream

    def _client(self, service: str, region: str) -> Any:
        return emulator_client(
            self.emulator_endpoint, region, service,
            config=Config(connect_timeout=2, read_timeout=10, retries={"max_attempts": 2, "mode": "standard"}),
        )  # fmt: skip

    async def _discover(self, stream: _Stream, *, initial: bool) -> None:
        """Starts a poller for every shard not seen yet. Shards found at start begin at the mapping's
        starting position; shards that appear later (resharding) hold only newer records, from their start."""
        try:
            shards = await self._call(stream.shards)
        except (BotoCoreError, ClientError) as error:
            if initial:
                self.log(f"{stream.label}: cannot list the shards yet ({error}); retrying")
            return
        for shard in shards:
            if shard.id in stream.pollers:
                continue
            position = stream.mapping.starting_position if initial else "TRIM_HORIZON"
            if shard.closed and position == "LATEST":
                stream.pollers[shard.id] = None  # nothing will ever come after its latest record
                continue
            try:
                iterator = await self._call(stream.iterator, shard.id, position)
            except (BotoCoreError, ClientError) as error:
                self.log(f"{stream.label}: cannot read shard {shard.id} ({error}); retrying")
                continue
            parent = stream.pollers.get(shard.parent) if shard.parent else None
            stream.pollers[shard.id] = self._spawn(
                self._poll(stream, shard.id, iterator, position, parent), f"{stream.label} {shard.id}"
            )

    async def _watch_shards(self, stream: _Stream) -> None:
        while not self._stopping:
            await asyncio.sleep(SHARD_DISCOVERY_SECONDS)
            await self._discover(stream, initial=False)

    async def _poll(
        self, stream: _Stream, shard_id: str, iterator: str, position: str, parent: asyncio.Task[None] | None
    ) -> None:
        if parent is not None:
            await asyncio.wait({parent})  # a child shard's records come after all of its parent's
        mapping, loop = stream.mapping, asyncio.get_running_loop()
        pending: deque[_Record] = deque()
        next_iterator: str | None = iterator
        last_read: str | None = None
        gathering_since: float | None = None
        failing = False
        while next_iterator is not None or pending:
            if self._stopping:
                return
            if next_iterator is not None and len(pending) < mapping.batch_size:
                limit = min(stream.max_limit, mapping.batch_size - len(pending))
                try:
                    raw_records, next_iterator = await self._call(stream.read, next_iterator, limit)
                except (BotoCoreError, ClientError) as error:
                    if not failing:
                        self.log(f"{stream.label}: reading shard {shard_id} failed ({error}); retrying")
                    failing = True
                    if isinstance(error, ClientError) and "Expired" in error.response.get("Error", {}).get("Code", ""):
                        # held too long (a batch retried for minutes): continue after the last record read
                        with contextlib.suppress(BotoCoreError, ClientError):
                            next_iterator = await self._call(stream.iterator, shard_id, position, last_read)
                    await asyncio.sleep(self.poll_interval)
                    continue
                failing = False
                for raw in raw_records:
                    record = stream.record(raw, shard_id)
                    pending.append(record)
                    last_read = record.sequence_number
            if not pending:
                await asyncio.sleep(self.poll_interval)
                continue
            now = loop.time()
            gathering_since = now if gathering_since is None else gathering_since
            waited = now - gathering_since
            window = mapping.maximum_batching_window_in_seconds
            if next_iterator is not None and len(pending) < mapping.batch_size and waited < window:
                await asyncio.sleep(min(self.poll_interval, window - waited))
                continue
            await self._process(stream, self._take_batch(pending, mapping.batch_size))
            gathering_since = None
        self.log(f"{stream.label}: shard {shard_id} is closed and fully processed")

    @staticmethod
    def _take_batch(pending: deque[_Record], batch_size: int) -> list[_Record]:
        batch = [pending.popleft()]
        size = batch[0].size
        while pending and len(batch) < batch_size and size + pending[0].size + 16 < MAX_PAYLOAD_BYTES:
            size += pending[0].size
            batch.append(pending.popleft())
        return batch

    async def _process(self, stream: _Stream, batch: list[_Record]) -> None:
        """Delivers one batch: on failure retries it (or, after a reported partial failure, its tail
        from the first failed record), bisecting if configured, then skips what still fails."""
        mapping = stream.mapping
        work: deque[tuple[list[_Record], int]] = deque([(batch, 0)])
        while work and not self._stopping:
            records, retries = work.popleft()
            records = self._unexpired(stream, records)
            if not records:
                continue
            failed_from, errored = await self._invoke_batch(stream, records)
            if failed_from is None:
                continue
            if errored and mapping.bisect_batch_on_function_error and len(records) > 1:
                # splitting does not count as a retry: each half starts with the same count
                half = len(records) // 2
                work.extendleft([(records[half:], retries), (records[:half], retries)])
                self.log(f"{stream.label}: splitting the failed batch of {_describe(records)} in two")
                continue
            remaining = records[failed_from:]
            if 0 <= mapping.maximum_retry_attempts <= retries:
                self.log(f"{stream.label}: skipping {_describe(remaining)} after {retries} retries")
                await self._report_given_up(stream, remaining, retries, errored)
                continue
            await asyncio.sleep(min(self.poll_interval * 2**retries, MAX_RETRY_DELAY_SECONDS))
            work.appendleft((remaining, retries + 1))

    async def _report_given_up(self, stream: _Stream, records: list[_Record], retries: int, errored: bool) -> None:
        """Sends the on-failure destination what Lambda sends it: where the skipped records are, not
        the records. Only SQS destinations are delivered locally."""
        destination = stream.mapping.on_failure_destination
        if not destination:
            return
        parts = destination.split(":")
        if len(parts) != 6 or parts[2] != "sqs":
            self.log(f"{stream.label}: on-failure destination {destination} is not delivered locally (SQS only)")
            return
        body = on_failure_record(stream.mapping, records, retries + 1, errored)
        try:
            client = await self._call(self._client, "sqs", parts[3] or self.region)
            url = (await self._call(lambda: client.get_queue_url(QueueName=parts[5], QueueOwnerAWSAccountId=parts[4])))[
                "QueueUrl"
            ]
            await self._call(lambda: client.send_message(QueueUrl=url, MessageBody=json.dumps(body)))
        except (BotoCoreError, ClientError) as error:
            self.log(f"{stream.label}: sending the skipped batch to {destination} failed ({error})")

    def _unexpired(self, stream: _Stream, records: list[_Record]) -> list[_Record]:
        age = stream.mapping.maximum_record_age_in_seconds
        if age < 0:
            return records
        now = time.time()
        kept = [record for record in records if now - record.created <= age]
        if len(kept) < len(records):
            self.log(f"{stream.label}: skipping {len(records) - len(kept)} record(s) older than {age} s")
        return kept

    async def _invoke_batch(self, stream: _Stream, records: list[_Record]) -> tuple[int | None, bool]:
        """(index of the first record to retry or None when the batch is done, whether the function failed)."""
        mapping = stream.mapping
        try:
            result = await self._invoke(mapping.function_arn, {"Records": [record.event for record in records]})
        except InvocationFailed as failure:
            self.log(f"{stream.label}: failed on {_describe(records)}: {failure.kind} "
                     f"{failure.error_type}: {failure.error_message}".rstrip(": "))  # fmt: skip
            return 0, True
        if not mapping.report_batch_item_failures:
            return None, False
        failures = result.get("batchItemFailures") if isinstance(result, Mapping) else None
        if not failures:
            return None, False  # none, null or [] all mean the whole batch succeeded
        positions = {record.sequence_number: index for index, record in enumerate(records)}
        identifiers = [item.get("itemIdentifier") if isinstance(item, Mapping) else None
                       for item in (failures if isinstance(failures, list) else [None])]  # fmt: skip
        if not all(isinstance(identifier, str) and identifier in positions for identifier in identifiers):
            self.log(f"{stream.label}: invalid batchItemFailures {failures!r}: the whole batch failed")
            return 0, True
        first = min(positions[str(identifier)] for identifier in identifiers)
        self.log(f"{stream.label}: {len(identifiers)} record(s) reported failed; retrying from the first of them")
        return first, False

    # schedules

    def _start_schedule(self, schedule: Schedule) -> None:
        label = f"rule {schedule.rule_name} ({schedule.schedule_expression}) -> {_function_name(schedule.function_arn)}"
        if not schedule.enabled:
            self.log(f"{label}: disabled in Terraform, not scheduled")
            return
        interval, cron = self.schedule_interval_override, None
        if interval is None:  # with an override the expression needs no evaluating
            try:
                interval = rate_seconds(schedule.schedule_expression)
                cron = Cron.parse(schedule.schedule_expression) if interval is None else None
            except ValueError as error:
                self.log(f"{label}: not scheduled locally: {error}")
                return
        self.log(f"{label}: " + (f"every {interval:g} s" if interval is not None else "on its cron schedule (UTC)"))
        self._spawn(self._run_schedule(schedule, interval, cron, label), label)

    async def _run_schedule(self, schedule: Schedule, interval: float | None, cron: Cron | None, label: str) -> None:
        loop = asyncio.get_running_loop()
        next_at = loop.time() + (interval or 0)
        fired_at = datetime.now(UTC)
        while not self._stopping:
            if interval is not None:
                await asyncio.sleep(max(0.0, next_at - loop.time()))
                fired_at = datetime.now(UTC)
                while next_at <= loop.time():  # a late firing is not followed by a burst of missed ones
                    next_at += interval
            else:
                assert cron is not None
                # never before the last firing: the wall clock and the loop's clock may disagree slightly
                upcoming = cron.next_after(max(datetime.now(UTC), fired_at))
                if upcoming is None:
                    self.log(f"{label}: no future time matches")
                    return
                await asyncio.sleep(max(0.0, (upcoming - datetime.now(UTC)).total_seconds()))
                fired_at = upcoming
            payload = target_input(schedule, scheduled_event(schedule.rule_arn, fired_at, self.region))
            # EventBridge invokes asynchronously: a slow function does not delay the next firing
            self._spawn(self._invoke_async(schedule, payload, label), f"{label} invocation")

    async def _invoke_async(self, schedule: Schedule, payload: Any, label: str) -> None:
        override = self.schedule_interval_override
        delays = (override, 2 * override) if override is not None else ASYNC_RETRY_DELAYS_SECONDS
        for attempt in range(len(delays) + 1):
            if self._stopping:
                return
            try:
                await self._invoke(schedule.function_arn, payload)
                return
            except InvocationFailed as failure:
                outcome = f"retrying in {delays[attempt]:g} s" if attempt < len(delays) else "giving up"
                self.log(f"{label}: invocation failed ({failure.kind} {failure.error_type}); {outcome}")
                if attempt < len(delays):
                    await asyncio.sleep(delays[attempt])
