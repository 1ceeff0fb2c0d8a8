"""In-process moto fixtures for the WebSocket functions, and a recording @connections API."""

from __future__ import annotations

import json
import threading
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from babelcast.domain.connection_records import Delivery
from babelcast.integration import aws as aws_clients
from babelcast.integration.connections_api import ConnectionsApi
from babelcast.settings import forget_settings
from moto import mock_aws

from tests.support.tables import AUDIO_BUFFER_TABLE, CONNECTIONS_TABLE, RATE_LIMITS_TABLE, SESSIONS_TABLE

LANGUAGES = "en,es,fr,de,it,pt,ru,ja,ko,zh,ar,hi,nl,pl,tr,sv,da,no,fi"
ENV = {
    "ENVIRONMENT": "test",
    "SERVICE_VERSION": "9.9.9",
    "METRICS_NAMESPACE": "Babelcast/Test",
    "LOG_LEVEL": "DEBUG",
    "SESSIONS_TABLE_NAME": "t-sessions",
    "RATE_LIMITS_TABLE_NAME": "t-rate-limits",
    "CONNECTIONS_TABLE_NAME": "t-connections",
    "AUDIO_BUFFER_TABLE_NAME": "t-audio-buffer",
    "AUDIO_STREAM_NAME": "t-audio",
    "CONNECTIONS_ENDPOINT": "https://abc123.execute-api.us-east-1.amazonaws.com/live",
    "SUPPORTED_LANGUAGES": LANGUAGES,
    "SESSION_TTL_HOURS": "24",
    "CREATE_RATE_LIMIT_PER_MINUTE": "10",
    "MAX_LISTENERS_PER_SESSION": "500",
    "LEGACY_CREATION_ENABLED": "true",
    "AUDIO_BUFFER_SECONDS": "30",
    "CONNECTION_REFRESH_AFTER_SECONDS": "6600",
}


@dataclass
class RecordingApi(ConnectionsApi):
    """Stands in for API Gateway's @connections API: records what was posted and closed."""

    endpoint: str = "local"
    live: set[str] = field(default_factory=set)
    posted: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    closed: list[str] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def post(self, connection_id: str, message: Mapping[str, Any]) -> bool:
        with self.lock:
            self.calls["PostToConnection"] += 1
            if connection_id not in self.live:
                return False
            self.posted[connection_id].append(json.loads(json.dumps(message)))
        return True

    def is_connected(self, connection_id: str) -> bool:
        with self.lock:
            self.calls["GetConnection"] += 1
            return connection_id in self.live

    def close(self, connection_id: str) -> None:
        with self.lock:
            self.calls["DeleteConnection"] += 1
            self.live.discard(connection_id)
            self.closed.append(connection_id)

    def post_many(self, connection_ids: Any, message: Any) -> Delivery:
        delivery = Delivery()
        for connection_id in list(connection_ids):
            body = message(connection_id) if callable(message) else message
            if self.post(connection_id, body):
                delivery.delivered += 1
            else:
                delivery.gone.append(connection_id)
        return delivery

    def close_many(self, connection_ids: Any) -> None:
        for connection_id in list(connection_ids):
            self.close(connection_id)

    def types(self, connection_id: str) -> list[str]:
        return [m["type"] for m in self.posted[connection_id]]


@dataclass
class AwsCalls:
    counts: Counter[str] = field(default_factory=Counter)

    def take(self) -> Counter[str]:
        taken = Counter(self.counts)
        self.counts.clear()
        return taken


def _provision() -> AwsCalls:
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    for name, definition in (
        ("t-sessions", SESSIONS_TABLE),
        ("t-rate-limits", RATE_LIMITS_TABLE),
        ("t-connections", CONNECTIONS_TABLE),
        ("t-audio-buffer", AUDIO_BUFFER_TABLE),
    ):
        dynamodb.create_table(TableName=name, **definition)
    boto3.client("kinesis", region_name="us-east-1").create_stream(StreamName="t-audio", ShardCount=1)
    forget_settings()
    aws_clients.reset_clients()
    calls = AwsCalls()
    for client in (aws_clients.dynamodb_client(), aws_clients.kinesis_client()):
        client.meta.events.register("before-call.*.*", lambda model, **_: calls.counts.update([model.name]))
    return calls


@pytest.fixture
def ws_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsCalls]:
    """moto in-process: fast, single-threaded use."""
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield _provision()
        forget_settings()
        aws_clients.reset_clients()


@pytest.fixture
def ws_emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsCalls]:
    """The local stack's emulator (moto server, requests applied atomically): for tests that
    race many threads, which moto in-process does not survive."""
    from babelcast_devstack.emulator import moto_server

    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    with moto_server() as endpoint:
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        yield _provision()
        forget_settings()
        aws_clients.reset_clients()


def kinesis_records(stream: str = "t-audio") -> list[dict[str, Any]]:
    client = boto3.client("kinesis", region_name="us-east-1")
    shard = client.list_shards(StreamName=stream)["Shards"][0]["ShardId"]
    iterator = client.get_shard_iterator(StreamName=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records = client.get_records(ShardIterator=iterator["ShardIterator"], Limit=10_000)["Records"]
    return [json.loads(r["Data"]) | {"_partitionKey": r["PartitionKey"]} for r in records]
