"""Audio out of the speaker's socket: the Kinesis stream to the pipeline, and the durable
buffer that holds chunks while a session is paused (or while an earlier buffer is flushing)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from babelcast.domain.audio_records import AudioRecord, BufferedChunk
from babelcast.integration.aws import DynamoTable, aws_call, kinesis_client

if TYPE_CHECKING:
    from mypy_boto3_kinesis import KinesisClient


class AudioStream:
    def __init__(self, stream_name: str, client: KinesisClient | None = None) -> None:
        self.stream_name = stream_name
        self._client = client

    @property
    def client(self) -> KinesisClient:
        return self._client or kinesis_client()

    def publish(self, record: AudioRecord, after_sequence_number: str | None = None) -> str:
        """One record per chunk, partitioned by session so one session's audio stays on one shard
        in order; ``after_sequence_number`` makes Kinesis order a flush strictly."""
        kwargs: dict[str, Any] = {
            "StreamName": self.stream_name,
            "PartitionKey": record.session_id,
            "Data": record.to_json(),
        }
        if after_sequence_number:
            kwargs["SequenceNumberForOrdering"] = after_sequence_number
        with aws_call("kinesis", "PutRecord"):
            return str(self.client.put_record(**kwargs)["SequenceNumber"])


class AudioBufferTable(DynamoTable):
    def put(self, position: int, record: AudioRecord, size: int, expires_at_ms: int) -> None:
        with aws_call("dynamodb", "PutItem"):
            self.client.put_item(
                TableName=self.table_name,
                Item={
                    "sessionId": {"S": record.session_id},
                    "position": {"N": str(position)},
                    "record": {"B": record.to_json()},
                    "size": {"N": str(size)},
                    "ttl": {"N": str(expires_at_ms // 1000)},
                },
            )

    def oldest(self, session_id: str, limit: int) -> list[BufferedChunk]:
        with aws_call("dynamodb", "Query"):
            page = self.client.query(
                TableName=self.table_name,
                KeyConditionExpression="sessionId = :session",
                ExpressionAttributeValues={":session": {"S": session_id}},
                ScanIndexForward=True,
                Limit=limit,
                ConsistentRead=True,
            )
        return [
            BufferedChunk(
                int(item["position"]["N"]), AudioRecord.from_json(item["record"]["B"]), int(item["size"]["N"])
            )
            for item in page.get("Items", [])
        ]

    def all(self, session_id: str) -> Iterator[BufferedChunk]:
        while True:
            chunks = self.oldest(session_id, 100)
            yield from chunks
            if len(chunks) < 100:
                return

    def remove(self, session_id: str, positions: Sequence[int]) -> None:
        for start in range(0, len(positions), 25):  # BatchWriteItem takes 25 requests at most
            requests: Mapping[str, Any] = {
                self.table_name: [
                    {"DeleteRequest": {"Key": {"sessionId": {"S": session_id}, "position": {"N": str(p)}}}}
                    for p in positions[start : start + 25]
                ]
            }
            for _ in range(5):  # unprocessed items come back under throttling; retry them
                with aws_call("dynamodb", "BatchWriteItem"):
                    result = self.client.batch_write_item(RequestItems=requests)
                requests = result.get("UnprocessedItems") or {}
                if not requests:
                    break
