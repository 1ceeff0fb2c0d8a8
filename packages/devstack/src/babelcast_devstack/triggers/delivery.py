"""How Lambda delivers a stream mapping's batches: one invocation per batch; on a function error the
batch is retried (after a reported partial failure, from its first failed record), bisected if
configured, and skipped once the retries or the record age are spent (the on-failure destination
is told where the skipped records are)."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from babelcast_devstack.invocation import InvocationFailed
from babelcast_devstack.triggers.events import StreamRecord
from babelcast_devstack.triggers.streams import Stream

InvokeFunction = Callable[[str, Mapping[str, Any]], Awaitable[Any]]
ReportGivenUp = Callable[[Stream, list[StreamRecord], int, bool], Awaitable[None]]

MAX_PAYLOAD_BYTES = 6 * 1024 * 1024  # a synchronous invocation's limit: Lambda trims batches to fit
MAX_RETRY_DELAY_SECONDS = 5.0


def take_batch(pending: deque[StreamRecord], batch_size: int) -> list[StreamRecord]:
    """The next batch off ``pending``: up to ``batch_size`` records whose event fits one invocation."""
    batch = [pending.popleft()]
    size = batch[0].size
    while pending and len(batch) < batch_size and size + pending[0].size + 16 < MAX_PAYLOAD_BYTES:
        size += pending[0].size
        batch.append(pending.popleft())
    return batch


def describe(records: Sequence[StreamRecord]) -> str:
    first, last = records[0].sequence_number, records[-1].sequence_number
    return f"{len(records)} record(s) {first}" + (f"..{last}" if last != first else "")


@dataclass
class BatchDelivery:
    """Delivers the batches of one runner's streams (the runner polls; this invokes and retries)."""

    invoke: InvokeFunction
    report_given_up: ReportGivenUp  # (stream, skipped records, retries, whether the function errored)
    log: Callable[[str], None]
    poll_interval: float
    stopping: Callable[[], bool]

    async def process(self, stream: Stream, batch: list[StreamRecord]) -> None:
        """Delivers one batch: on failure retries it (or, after a reported partial failure, its tail
        from the first failed record), bisecting if configured, then skips what still fails."""
        mapping = stream.mapping
        work: deque[tuple[list[StreamRecord], int]] = deque([(batch, 0)])
        while work and not self.stopping():
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
                self.log(f"{stream.label}: splitting the failed batch of {describe(records)} in two")
                continue
            remaining = records[failed_from:]
            if 0 <= mapping.maximum_retry_attempts <= retries:
                self.log(f"{stream.label}: skipping {describe(remaining)} after {retries} retries")
                await self.report_given_up(stream, remaining, retries, errored)
                continue
            await asyncio.sleep(min(self.poll_interval * 2**retries, MAX_RETRY_DELAY_SECONDS))
            work.appendleft((remaining, retries + 1))

    def _unexpired(self, stream: Stream, records: list[StreamRecord]) -> list[StreamRecord]:
        age = stream.mapping.maximum_record_age_in_seconds
        if age < 0:
            return records
        now = time.time()
        kept = [record for record in records if now - record.created <= age]
        if len(kept) < len(records):
            self.log(f"{stream.label}: skipping {len(records) - len(kept)} record(s) older than {age} s")
        return kept

    async def _invoke_batch(self, stream: Stream, records: list[StreamRecord]) -> tuple[int | None, bool]:
        """(index of the first record to retry or None when the batch is done, whether the function failed)."""
        mapping = stream.mapping
        try:
            result = await self.invoke(mapping.function_arn, {"Records": [record.event for record in records]})
        except InvocationFailed as failure:
            self.log(
                f"{stream.label}: failed on {describe(records)}: {failure.kind} "
                f"{failure.error_type}: {failure.error_message}".rstrip(": ")
            )
            return 0, True
        if not mapping.report_batch_item_failures:
            return None, False
        failures = result.get("batchItemFailures") if isinstance(result, Mapping) else None
        if not failures:
            return None, False  # none, null or [] all mean the whole batch succeeded
        positions = {record.sequence_number: index for index, record in enumerate(records)}
        identifiers = [
            item.get("itemIdentifier") if isinstance(item, Mapping) else None
            for item in (failures if isinstance(failures, list) else [None])
        ]
        if not all(isinstance(identifier, str) and identifier in positions for identifier in identifiers):
            self.log(f"{stream.label}: invalid batchItemFailures {failures!r}: the whole batch failed")
            return 0, True
        first = min(positions[str(identifier)] for identifier in identifiers)
        self.log(f"{stream.label}: {len(identifiers)} record(s) reported failed; retrying from the first of them")
        return first, False
