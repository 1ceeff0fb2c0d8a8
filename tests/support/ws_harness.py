"""The WebSocket functions driven through their handlers (``Ws``) on recorded-shape events, with
an in-process DynamoDB and Kinesis (moto, or the local stack's emulator for racing threads) and a
recording @connections API (fixtures: tests/unit/conftest.py)."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from babelcast.domain.connection_records import Delivery
from babelcast.domain.sweeper import CONNECT_GRACE_MS
from babelcast.integration import aws as aws_clients
from babelcast.integration.connections_api import ConnectionsApi
from babelcast.settings import forget_settings
from broadcast import handler as broadcast_handler
from connection_sweeper import handler as sweeper_handler
from session_events import handler as events_handler
from ws_connect import handler as connect_handler
from ws_disconnect import handler as disconnect_handler
from ws_message import handler as message_handler

from tests.support.tables import (
    AUDIO_BUFFER_TABLE,
    CATCH_UP_TABLE,
    CONNECTIONS_TABLE,
    RATE_LIMITS_TABLE,
    SESSIONS_TABLE,
)
from tests.support.ws_events import (
    connect_event,
    disconnect_event,
    message_event,
    new_connection_id,
    session_change_event,
)

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
    "CATCH_UP_TABLE_NAME": "t-catch-up",
    "CATCH_UP_SECONDS": "60",
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


def provision() -> AwsCalls:
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    for name, definition in (
        ("t-sessions", SESSIONS_TABLE),
        ("t-rate-limits", RATE_LIMITS_TABLE),
        ("t-connections", CONNECTIONS_TABLE),
        ("t-audio-buffer", AUDIO_BUFFER_TABLE),
        ("t-catch-up", CATCH_UP_TABLE),
    ):
        dynamodb.create_table(TableName=name, **definition)
    boto3.client("kinesis", region_name="us-east-1").create_stream(StreamName="t-audio", ShardCount=1)
    forget_settings()
    aws_clients.reset_clients()
    calls = AwsCalls()
    for client in (aws_clients.dynamodb_client(), aws_clients.kinesis_client()):
        client.meta.events.register("before-call.*.*", lambda model, **_: calls.counts.update([model.name]))
    return calls


def kinesis_records(stream: str = "t-audio") -> list[dict[str, Any]]:
    client = boto3.client("kinesis", region_name="us-east-1")
    shard = client.list_shards(StreamName=stream)["Shards"][0]["ShardId"]
    iterator = client.get_shard_iterator(StreamName=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records = client.get_records(ShardIterator=iterator["ShardIterator"], Limit=10_000)["Records"]
    return [json.loads(r["Data"]) | {"_partitionKey": r["PartitionKey"]} for r in records]


def chunk(seconds: float = 0.1, fill: int = 1) -> str:
    return base64.b64encode(bytes([fill]) * int(16_000 * 2 * seconds)).decode()


SPEAKER = "speaker-sub-1"
INTRUDER = "speaker-sub-2"
MODULES = (connect_handler, disconnect_handler, message_handler, events_handler, broadcast_handler, sweeper_handler)
CACHED = (
    connect_handler.dependencies,
    disconnect_handler.dependencies,
    message_handler.dependencies,
    events_handler.dependencies,
    broadcast_handler.dependencies,
    sweeper_handler.sweeper,
)


@dataclass
class Connection:
    id: str
    authorizer: dict[str, Any]
    status: int


class Ws:
    def __init__(self, api: RecordingApi, calls: AwsCalls) -> None:
        self.api = api
        self.calls = calls
        self.dynamodb = boto3.client("dynamodb", region_name="us-east-1")

    def session(self, owner: str = SPEAKER, language: str = "en") -> str:
        http = boto3.client("dynamodb", region_name="us-east-1")
        from babelcast.domain.sessions import SessionPolicy, SessionService
        from babelcast.integration.sessions_table import SessionsTable
        from babelcast.metrics import Metrics
        from babelcast.models import CreateSessionRequest

        del http
        service = SessionService(
            SessionsTable("t-sessions", quotas_table_name="t-rate-limits"),
            SessionPolicy(ENV["SUPPORTED_LANGUAGES"].split(","), 24, 1000),
            Metrics("x", {}),
        )
        request = CreateSessionRequest.model_validate({"sourceLanguage": language}, context=service.validation_context)
        return service.create(owner, request).session_id

    def connect(self, query: dict[str, str], user: str | None = None) -> Connection:
        connection_id = new_connection_id()
        authorizer = (
            {"role": "speaker", "userId": user, "sessionId": query.get("sessionId", "")}
            if user
            else {
                "role": "listener",
                "sessionId": query.get("sessionId", ""),
                "targetLanguage": query.get("targetLanguage", ""),
            }
        )
        result = connect_handler.lambda_handler(connect_event(connection_id, query, authorizer), None)
        if result["statusCode"] == 200:
            self.api.live.add(connection_id)
        return Connection(connection_id, authorizer, result["statusCode"])

    def listener(self, session_id: str, language: str = "es") -> Connection:
        connection = self.connect({"sessionId": session_id, "targetLanguage": language})
        assert connection.status == 200
        return connection

    def speaker(self, session_id: str, user: str = SPEAKER) -> Connection:
        connection = self.connect({"sessionId": session_id, "token": "verified-by-authorizer"}, user)
        assert connection.status == 200
        return connection

    def send(self, connection: Connection, body: Any) -> list[dict[str, Any]]:
        before = len(self.api.posted[connection.id])
        message_handler.lambda_handler(message_event(connection.id, body, connection.authorizer), None)
        return self.api.posted[connection.id][before:]

    def disconnect(self, connection: Connection) -> None:
        self.api.live.discard(connection.id)
        disconnect_handler.lambda_handler(disconnect_event(connection.id, connection.authorizer), None)

    def sweep(self, event_id: str = "sweep", later_ms: int = CONNECT_GRACE_MS) -> dict[str, Any]:
        """Run the scheduled sweep ``later_ms`` from now: by default, once the connections made so
        far are past $connect's grace."""
        at = time.time_ns() // 1_000_000 + later_ms
        sweeper_handler.sweeper().clock_ms = lambda: at
        event = {"id": event_id, "detail-type": "Scheduled Event"}
        report: dict[str, Any] = sweeper_handler.lambda_handler(event, None)
        return report

    def session_item(self, session_id: str) -> dict[str, Any]:
        item: dict[str, Any] = self.dynamodb.get_item(
            TableName="t-sessions", Key={"sessionId": {"S": session_id}}, ConsistentRead=True
        )["Item"]
        return item

    def listener_count(self, session_id: str) -> int:
        return int(self.session_item(session_id).get("listenerCount", {"N": "0"})["N"])

    def language_counts(self, session_id: str) -> dict[str, int]:
        """The per-language counters on the session item (languages with any listener)."""
        from babelcast.integration.session_items import language_counts

        return language_counts(self.session_item(session_id))

    def live_listener_languages(self, session_id: str) -> dict[str, int]:
        items = self.dynamodb.scan(TableName="t-connections")["Items"]
        counted = Counter(
            i["channel"]["S"]
            for i in items
            if i.get("sessionId", {}).get("S") == session_id and i["role"]["S"] == "listener"
        )
        return dict(sorted(counted.items()))

    def live_listener_records(self, session_id: str) -> int:
        items = self.dynamodb.scan(TableName="t-connections")["Items"]
        return sum(1 for i in items if i.get("sessionId", {}).get("S") == session_id and i["role"]["S"] == "listener")

    def stream_change(self, session_id: str, before: dict[str, Any]) -> dict[str, Any]:
        """Deliver the MODIFY record the sessions table's stream would carry."""
        event = session_change_event(session_id, before, self.session_item(session_id))
        result: dict[str, Any] = events_handler.lambda_handler(event, None)
        return result


def ws_harness(calls: AwsCalls, monkeypatch: pytest.MonkeyPatch) -> Iterator[Ws]:
    api = RecordingApi()
    for module in MODULES:
        if hasattr(module, "ConnectionsApi"):
            monkeypatch.setattr(module, "ConnectionsApi", lambda endpoint, **_: api)
    for cached in CACHED:
        cached.cache_clear()
    yield Ws(api, calls)
    for cached in CACHED:
        cached.cache_clear()
