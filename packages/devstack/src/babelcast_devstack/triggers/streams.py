"""A stream mapping's event source read through the emulator's API: shards (with their parents, for
order across resharding), iterators and records, for DynamoDB Streams and Kinesis."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from babelcast_devstack.triggers.declarations import EventSourceMapping, function_name
from babelcast_devstack.triggers.events import StreamRecord, dynamodb_event_record, kinesis_event_record


@dataclass(frozen=True)
class Shard:
    id: str
    parent: str | None
    closed: bool


@dataclass
class Stream:
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
        return f"{self.mapping.source} {self.name} -> {function_name(self.mapping.function_arn)}"

    def shards(self) -> list[Shard]:
        raise NotImplementedError

    def iterator(self, shard_id: str, position: str, after: str | None = None) -> str:
        raise NotImplementedError

    def read(self, iterator: str, limit: int) -> tuple[list[Mapping[str, Any]], str | None]:
        raise NotImplementedError

    def record(self, raw: Mapping[str, Any], shard_id: str) -> StreamRecord:
        raise NotImplementedError


class DynamoDBStream(Stream):
    def shards(self) -> list[Shard]:
        shards: list[Shard] = []
        arguments: dict[str, Any] = {"StreamArn": self.mapping.event_source_arn}
        while True:
            description = self.client.describe_stream(**arguments)["StreamDescription"]
            shards += [
                Shard(
                    shard["ShardId"],
                    shard.get("ParentShardId"),
                    "EndingSequenceNumber" in shard.get("SequenceNumberRange", {}),
                )
                for shard in description.get("Shards", [])
            ]
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

    def record(self, raw: Mapping[str, Any], shard_id: str) -> StreamRecord:
        event = dynamodb_event_record(raw, self.mapping.event_source_arn, self.region)
        created = float(event["dynamodb"].get("ApproximateCreationDateTime") or time.time())
        return StreamRecord(event["dynamodb"]["SequenceNumber"], created, event, len(json.dumps(event)), shard_id)


class KinesisStream(Stream):
    max_limit = 10000

    def shards(self) -> list[Shard]:
        shards: list[Shard] = []
        arguments: dict[str, Any] = {"StreamName": self.name}
        while True:
            response = self.client.list_shards(**arguments)
            shards += [
                Shard(
                    shard["ShardId"],
                    shard.get("ParentShardId"),
                    "EndingSequenceNumber" in shard.get("SequenceNumberRange", {}),
                )
                for shard in response.get("Shards", [])
            ]
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

    def record(self, raw: Mapping[str, Any], shard_id: str) -> StreamRecord:
        mapping = self.mapping
        event = kinesis_event_record(raw, shard_id, mapping.event_source_arn, self.region, mapping.invoke_identity_arn)
        created = float(event["kinesis"]["approximateArrivalTimestamp"])
        return StreamRecord(raw["SequenceNumber"], created, event, len(json.dumps(event)), shard_id)
