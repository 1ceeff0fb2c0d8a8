"""What every section shares: the repository, the stack's clients and environments, listeners."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import platform
import sys
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests
import websockets
from babelcast_devstack.accounts import create_speaker, log_in
from babelcast_devstack.emulator import emulator_client, emulator_environment
from babelcast_devstack.jwt_authorizer import emulator_jwks_url
from babelcast_devstack.runtime_python import lambda_python_version
from babelcast_devstack.terraform import repository_root

ROOT = repository_root()
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests.support: the recorded event shapes the unit tests use

# name, the seeds' p95 budget (ms): 004 (requirements 11.1-11.5) and 000 (tasks 17.1-17.5)
OPERATIONS: dict[str, tuple[str, float]] = {
    "create": ("POST /sessions", 2000),
    "get": ("GET /sessions/{id}", 500),
    "update": ("PATCH /sessions/{id}", 1000),
    "connect": ("WebSocket $connect (listener)", 1000),
    "audio": ("sendAudio -> record in Kinesis", 100),
}
AUDIO_CHUNK = base64.b64encode(b"\x01\x00" * 1600).decode()  # 0.1 s of 16 kHz 16-bit mono
HANDSHAKES_AT_ONCE = 50  # bounded concurrency of WebSocket handshakes when opening many


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        model = next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            "",
        )
    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "lambda_python": lambda_python_version(ROOT),
        "platform": platform.platform(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_average_1min_at_start": round(os.getloadavg()[0], 1),
    }


def client(document: Mapping[str, Any], service: str) -> Any:
    """A boto3 client of the stack's emulator (dummy credentials)."""
    return emulator_client(document["awsEndpointUrl"], document["region"], service)


def function_environment(document: Mapping[str, Any], name: str) -> dict[str, str]:
    """A function's environment as the local gateway gives it to its workers (same localization)."""
    outputs = document["outputs"]
    management = str(outputs["websocket_management_endpoint"])
    environment: dict[str, str] = {}
    for key, original in outputs["functions"][name]["environment"].items():
        value = str(document["connectionsUrl"]) if original == management else str(original)
        if value.endswith("/.well-known/jwks.json"):
            value = emulator_jwks_url(value.removesuffix("/.well-known/jwks.json"), document["awsEndpointUrl"])
        environment[key] = value
    # the deployed cursor keys stay out of the outputs: in-process handlers sign with their own
    environment.setdefault("CURSOR_SIGNING_KEYS", "in-process-benchmark-cursor-key-0123456789")
    return environment | emulator_environment(document["awsEndpointUrl"], document["region"])


def speaker_token(document: Mapping[str, Any]) -> str:
    """The ID token of a new speaker account of the stack's user pool."""
    account = create_speaker(document["awsEndpointUrl"], document["region"], document["userPoolId"])
    token = log_in(document["awsEndpointUrl"], document["region"], document["userPoolClientId"], account)
    return str(token["idToken"])


def listener_url(document: Mapping[str, Any], session_id: str) -> str:
    return f"{document['websocketUrl']}?{urlencode({'sessionId': session_id, 'targetLanguage': 'es'})}"


async def timed_connect(url: str) -> tuple[float, Any]:
    started = time.perf_counter()
    socket = await websockets.connect(url, open_timeout=120, max_queue=None)
    return (time.perf_counter() - started) * 1000, socket


async def connect_many(url: str, count: int) -> list[tuple[float, Any]]:
    """``count`` handshakes at once; the ones that opened (a refused one is not retried)."""
    results = await asyncio.gather(*(timed_connect(url) for _ in range(count)), return_exceptions=True)
    return [r for r in results if not isinstance(r, BaseException)]


async def open_listeners(document: Mapping[str, Any], session_id: str, count: int) -> list[Any]:
    """Up to ``count`` listener sockets of the session, opened a batch at a time."""
    url = listener_url(document, session_id)
    sockets: list[Any] = []
    for start in range(0, count, HANDSHAKES_AT_ONCE):
        sockets += [s for _, s in await connect_many(url, min(HANDSHAKES_AT_ONCE, count - start))]
    return sockets


def bench_url(document: Mapping[str, Any], path: str) -> str:
    """A route of the gateway's bench mode (``babelcast-dev up --bench-mode``)."""
    return f"{str(document['connectionsUrl']).rstrip('/').rsplit('/', 1)[0]}/_bench/{path}"


def set_post_model(
    document: Mapping[str, Any], *, round_trip_ms: float, posts_per_second: float | None, burst: int = 5000
) -> None:
    """What every @connections call costs from now on (0 ms and no throttle: as measured)."""
    model = {"roundTripMs": round_trip_ms, "postsPerSecond": posts_per_second, "burst": burst}
    requests.put(bench_url(document, "model"), json=model, timeout=30).raise_for_status()


def listener_ids(document: Mapping[str, Any], session_id: str) -> list[str]:
    """The connection ids of the session's listeners, from the connections table's by-session index."""
    dynamodb = client(document, "dynamodb")
    ids: list[str] = []
    query: dict[str, Any] = {
        "TableName": document["outputs"]["connections_table_name"],
        "IndexName": "by-session",
        "KeyConditionExpression": "sessionId = :s",
        "ExpressionAttributeValues": {":s": {"S": session_id}},
    }
    while True:
        page = dynamodb.query(**query)
        ids += [item["connectionId"]["S"] for item in page["Items"] if item["role"]["S"] == "listener"]
        if "LastEvaluatedKey" not in page:
            return ids
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
