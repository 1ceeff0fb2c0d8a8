"""Runs event source mappings (a poller per shard) and schedules (a timer per rule) until stopped;
every invocation goes through the gateway's invoker, as Lambda's own pollers and EventBridge would."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
from collections import deque
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from babelcast_devstack.emulator import emulator_client
from babelcast_devstack.invocation import InvocationFailed, Invoker
from babelcast_devstack.triggers.declarations import EventSourceMapping, Schedule, function_name
from babelcast_devstack.triggers.delivery import BatchDelivery, InvokeFunction, take_batch
from babelcast_devstack.triggers.events import StreamRecord, on_failure_record, scheduled_event, target_input
from babelcast_devstack.triggers.schedules import Cron, rate_seconds
from babelcast_devstack.triggers.streams import DynamoDBStream, KinesisStream, Stream

T = TypeVar("T")

ASYNC_RETRY_DELAYS_SECONDS = (60.0, 120.0)  # Lambda retries a failed asynchronous invocation twice
SHARD_DISCOVERY_SECONDS = 1.0


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
        self._delivery = BatchDelivery(self._invoke, self._report_given_up, log, poll_interval, lambda: self._stopping)

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

    async def _stream_for(self, mapping: EventSourceMapping) -> Stream | None:
        label = f"{mapping.event_source_arn} -> {function_name(mapping.function_arn)}"
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
        kind = DynamoDBStream if mapping.source == "dynamodb" else KinesisStream
        stream = kind(mapping, client, region)
        self.log(
            f"{stream.label}: polling from {mapping.starting_position}, batches of up to {mapping.batch_size}"
            + (", reporting batch item failures" if mapping.report_batch_item_failures else "")
        )
        return stream

    def _client(self, service: str, region: str) -> Any:
        return emulator_client(
            self.emulator_endpoint,
            region,
            service,
            config=Config(connect_timeout=2, read_timeout=10, retries={"max_attempts": 2, "mode": "standard"}),
        )

    async def _discover(self, stream: Stream, *, initial: bool) -> None:
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

    async def _watch_shards(self, stream: Stream) -> None:
        while not self._stopping:
            await asyncio.sleep(SHARD_DISCOVERY_SECONDS)
            await self._discover(stream, initial=False)

    async def _poll(
        self, stream: Stream, shard_id: str, iterator: str, position: str, parent: asyncio.Task[None] | None
    ) -> None:
        if parent is not None:
            await asyncio.wait({parent})  # a child shard's records come after all of its parent's
        mapping, loop = stream.mapping, asyncio.get_running_loop()
        pending: deque[StreamRecord] = deque()
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
            await self._delivery.process(stream, take_batch(pending, mapping.batch_size))
            gathering_since = None
        self.log(f"{stream.label}: shard {shard_id} is closed and fully processed")

    async def _report_given_up(self, stream: Stream, records: list[StreamRecord], retries: int, errored: bool) -> None:
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

    # schedules

    def _start_schedule(self, schedule: Schedule) -> None:
        label = f"rule {schedule.rule_name} ({schedule.schedule_expression}) -> {function_name(schedule.function_arn)}"
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
