#!/usr/bin/env python3
"""`make bench`: every performance figure of issue 6 from ONE local stack, in ONE table.

  * latency p50/p95/p99 through the local gateway (real Cognito tokens) of create, get, update,
    WebSocket $connect and sendAudio -> Kinesis, next to the seeds' p95 budgets;
  * per operation, its p50 (one at a time) against the p50 of the bare AWS calls it makes, replayed
    with boto3 against the same emulator (the calls captured live from the real handler);
  * AWS calls per operation, counted with a botocore hook around the real handler;
  * cold start per function in a fresh Lambda-like Python 3.12 interpreter vs `import boto3` + a client;
  * zip sizes, and whether a rebuild is byte-identical;
  * one broadcast to N listeners, parallel vs one by one, as measured on loopback and with a
    modelled @connections round trip (the gateway's opt-in /_modelled-latency route).

Prints the table, writes .local/reports/bench.json and regenerates the table in docs/PERFORMANCE.md
(which defines each figure). Targets not met print NOT MET; the exit status is 0 either way.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import copy
import hashlib
import json
import os
import platform
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import aiohttp
import babelcast_devstack
import websockets
from babelcast_devstack.accounts import Account, create_speaker, log_in
from babelcast_devstack.background import stack_for_benchmark
from babelcast_devstack.bench_report import (
    not_met,
    ratio,
    render_markdown,
    render_text,
    replace_between_markers,
    rows,
    summarize,
    write_report,
)
from babelcast_devstack.emulator import emulator_client, emulator_environment
from babelcast_devstack.jwt_authorizer import emulator_jwks_url
from babelcast_devstack.runtime_python import lambda_python_version, runtime_environment
from babelcast_devstack.terraform import repository_root
from botocore import xform_name

ROOT = repository_root()
sys.path.insert(0, str(ROOT))  # tests.support: the recorded event shapes the unit tests use
# name, the seeds' p95 budget (ms): 004 (requirements 11.1-11.5) and 000 (tasks 17.1-17.5)
OPERATIONS: dict[str, tuple[str, float]] = {
    "create": ("POST /sessions", 2000),
    "get": ("GET /sessions/{id}", 500),
    "update": ("PATCH /sessions/{id}", 1000),
    "connect": ("WebSocket $connect (listener)", 1000),
    "audio": ("sendAudio -> record in Kinesis", 100),
}
CREATES_PER_SPEAKER = 9  # under the production limit of 10 per minute per speaker
AUDIO_CHUNK = base64.b64encode(b"\x01\x00" * 1600).decode()  # 0.1 s of 16 kHz 16-bit mono


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


def client(document: Mapping[str, Any], service: str) -> Any:
    return emulator_client(document["awsEndpointUrl"], document["region"], service)


# --- packages ----------------------------------------------------------------------------------


def packages() -> dict[str, Any]:
    """Sizes of dist/*.zip, and a second build into a temporary directory compared byte for byte."""
    manifest = json.loads((ROOT / "dist" / "manifest.json").read_text())
    built: dict[str, Any] = manifest["functions"]
    with tempfile.TemporaryDirectory(prefix="bench-rebuild-") as tmp:
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "scripts" / "package_functions.py"),
                "--architecture",
                manifest["architecture"],
                "--python",
                manifest["python"],
                "--out",
                tmp,
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        rebuilt = {
            name: hashlib.sha256((Path(tmp) / entry["zip"]).read_bytes()).hexdigest() for name, entry in built.items()
        }
        differs = [name for name, entry in built.items() if rebuilt[name] != entry["sha256"]]
    sizes = {name: (ROOT / "dist" / entry["zip"]).stat().st_size for name, entry in built.items()}
    return {"bytes": sizes, "rebuild_identical": not differs, "rebuild_differs": differs}


# --- in-process: the AWS calls each operation makes ---------------------------------------------


@dataclass(frozen=True)
class Call:
    service: str
    operation: str
    params: dict[str, Any]


def substitute(value: Any, replacements: Mapping[str, str]) -> Any:
    """``value`` with every occurrence of each key replaced inside its strings (keys, values)."""
    if isinstance(value, str):
        for old, new in replacements.items():
            value = value.replace(old, new)
        return value
    if isinstance(value, dict):
        return {substitute(k, replacements): substitute(v, replacements) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, replacements) for v in value]
    return value


class InProcess:
    """The real handlers called in this process against the stack's emulator, with a botocore hook
    on their shared clients recording every call and its parameters."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        environment: dict[str, str] = {}
        for name in document["outputs"]["functions"]:
            for key, value in function_environment(document, name).items():
                if environment.setdefault(key, value) != value:
                    raise RuntimeError(f"functions disagree on {key}: run them one at a time")
        os.environ.update(environment | {"LOG_LEVEL": "ERROR"})
        from babelcast.integration import aws
        from babelcast.settings import forget_settings

        forget_settings()
        aws.reset_clients()
        self.calls: list[Call] = []
        for shared in (aws.dynamodb_client(), aws.kinesis_client()):
            shared.meta.events.register("before-parameter-build", self._capture)

    def _capture(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls.append(Call(model.service_model.service_name, model.name, copy.deepcopy(params)))

    def run(self, invoke: Callable[[], Any]) -> tuple[Any, list[Call]]:
        self.calls.clear()
        with Path(os.devnull).open("w") as devnull, contextlib.redirect_stdout(devnull):  # metrics lines
            result = invoke()
        return result, list(self.calls)


@dataclass
class Captured:
    calls: list[Call]
    replacements: Callable[[], dict[str, str]]  # fresh keys per replay, so conditions pass as they did


def capture_operations(inproc: InProcess) -> dict[str, Captured]:
    from http_api import handler as http_handler
    from ws_authorizer import handler as authorizer_handler
    from ws_connect import handler as connect_handler
    from ws_message import handler as message_handler

    from tests.support.http_events import LambdaContext, http_event
    from tests.support.ws_events import authorizer_event, connect_event, message_event, new_connection_id

    def http(route: str, path: str, **kwargs: Any) -> dict[str, Any]:
        result: dict[str, Any] = http_handler.lambda_handler(http_event(route, path, **kwargs), LambdaContext())
        if not 200 <= result["statusCode"] < 300:
            raise RuntimeError(f"{route} in process: {result['statusCode']} {result.get('body')}")
        return result

    sub = f"bench-{secrets.token_hex(4)}"
    created, create_calls = inproc.run(
        lambda: http("POST /sessions", "/sessions", body={"sourceLanguage": "en"}, sub=sub)
    )
    session_id = json.loads(created["body"])["sessionId"]
    _, get_calls = inproc.run(lambda: http("GET /sessions/{sessionId}", f"/sessions/{session_id}", sub=None))
    _, update_calls = inproc.run(
        lambda: http("PATCH /sessions/{sessionId}", f"/sessions/{session_id}", body={"qualityTier": "premium"}, sub=sub)
    )
    listener_id = new_connection_id()
    query = {"sessionId": session_id, "targetLanguage": "es"}
    _, authorizer_calls = inproc.run(lambda: authorizer_handler.lambda_handler(authorizer_event(query), None))
    listener = {"role": "listener", "sessionId": session_id}
    _, connect_calls = inproc.run(
        lambda: connect_handler.lambda_handler(connect_event(listener_id, query, listener), None)
    )
    speaker_id = new_connection_id()
    speaker = {"role": "speaker", "userId": sub, "sessionId": session_id}
    inproc.run(
        lambda: connect_handler.lambda_handler(connect_event(speaker_id, {"sessionId": session_id}, speaker), None)
    )
    body = {"action": "sendAudio", "audioData": AUDIO_CHUNK, "sequence": 1}
    _, audio_calls = inproc.run(lambda: message_handler.lambda_handler(message_event(speaker_id, body, speaker), None))
    return {
        "create": Captured(
            create_calls, lambda: {sub: f"bench-{secrets.token_hex(4)}", session_id: f"bench-{secrets.token_hex(6)}"}
        ),
        "get": Captured(get_calls, dict),
        "update": Captured(update_calls, dict),
        "connect": Captured(authorizer_calls + connect_calls, lambda: {listener_id: new_connection_id()}),
        "audio": Captured(audio_calls, dict),
    }


def replay(clients: Mapping[str, Any], captured: Captured, repetitions: int) -> list[float]:
    """The operation's AWS calls, in order, with boto3 directly: milliseconds per whole sequence."""
    timings = []
    for _ in range(repetitions):
        calls = [(c, substitute(c.params, captured.replacements())) for c in captured.calls]
        started = time.perf_counter()
        for call, params in calls:
            getattr(clients[call.service], xform_name(call.operation))(**params)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


@dataclass
class BareCalls:
    """Replays interleaved with the one-at-a-time operations, so both see the same machine load."""

    clients: Mapping[str, Any]
    captured: Mapping[str, Captured]
    samples: dict[str, list[float]]

    @classmethod
    def make(cls, document: Mapping[str, Any], captured: Mapping[str, Captured]) -> BareCalls:
        clients = {service: client(document, service) for service in ("dynamodb", "kinesis")}
        for op in captured.values():
            replay(clients, op, 3)  # open the connections, as the functions' warm clients have
        return cls(clients, captured, {name: [] for name in captured})

    def sample(self, name: str) -> None:
        self.samples[name] += replay(self.clients, self.captured[name], 1)


# --- through the local stack --------------------------------------------------------------------


@dataclass
class Speakers:
    """Accounts with tokens, handed out so no one creates more than the production limit allows."""

    document: Mapping[str, Any]
    accounts: list[tuple[Account, str]]
    used: Counter[int]

    @classmethod
    def make(cls, document: Mapping[str, Any], creates: int) -> Speakers:
        accounts = []
        for _ in range(-(-creates // CREATES_PER_SPEAKER)):
            account = create_speaker(document["awsEndpointUrl"], document["region"], document["userPoolId"])
            token = log_in(document["awsEndpointUrl"], document["region"], document["userPoolClientId"], account)
            accounts.append((account, token["idToken"]))
        return cls(document, accounts, Counter())

    def next_token(self) -> str:
        index = min(range(len(self.accounts)), key=lambda i: self.used[i])
        if self.used[index] >= CREATES_PER_SPEAKER:
            raise RuntimeError("not enough speaker accounts for the creates asked")
        self.used[index] += 1
        return self.accounts[index][1]


async def timed_request(
    http: aiohttp.ClientSession, method: str, url: str, token: str | None, body: Any = None
) -> tuple[float, int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    started = time.perf_counter()
    async with http.request(method, url, json=body, headers=headers) as response:
        payload = await response.json(content_type=None)
        return (time.perf_counter() - started) * 1000, response.status, payload


Result = tuple[float, int, Any] | None  # milliseconds, status, body; None when the request failed outright


async def burst(http: aiohttp.ClientSession, requests: Sequence[tuple[str, str, str | None, Any]]) -> list[Result]:
    """All at once; one result per request, in order."""
    results = await asyncio.gather(*(timed_request(http, *r) for r in requests), return_exceptions=True)
    return [None if isinstance(r, BaseException) else r for r in results]


def succeeded(results: list[Result]) -> tuple[list[float], int]:
    """The successful (2xx) requests' milliseconds, and how many failed."""
    timings = [r[0] for r in results if r is not None and 200 <= r[1] < 300]
    return timings, len(results) - len(timings)


def latency(name: str, timings: list[float], failed: int, *, concurrency: int) -> dict[str, Any]:
    if not timings:
        raise RuntimeError(f"{name}: every request failed")
    label, budget = OPERATIONS[name]
    return {"label": label, "concurrency": concurrency, "budget_p95_ms": budget, "errors": failed, **summarize(timings)}


async def http_operations(document: Mapping[str, Any], args: argparse.Namespace, bare: BareCalls) -> dict[str, Any]:
    base = document["httpApiUrl"]
    speakers = Speakers.make(document, args.creates + args.sequential + 5)
    out: dict[str, Any] = {"latency": {}, "sequential_p50": {}}
    connector = aiohttp.TCPConnector(limit=0, force_close=True)  # a new connection per request, as clients do
    async with aiohttp.ClientSession(
        base_url=None, connector=connector, timeout=aiohttp.ClientTimeout(total=120)
    ) as http:
        await burst(http, [("GET", f"{base}/health", None, None)] * 20)  # start the workers: cold starts apart
        requests = [
            ("POST", f"{base}/sessions", speakers.next_token(), {"sourceLanguage": "en"}) for _ in range(args.creates)
        ]
        results = await burst(http, requests)
        out["latency"]["create"] = latency("create", *succeeded(results), concurrency=args.creates)
        owners = {
            r[2]["sessionId"]: request[2]
            for r, request in zip(results, requests, strict=True)
            if r is not None and r[1] == 201
        }
        sessions = list(owners)
        gets = [("GET", f"{base}/sessions/{sessions[i % len(sessions)]}", None, None) for i in range(args.gets)]
        out["latency"]["get"] = latency("get", *succeeded(await burst(http, gets)), concurrency=args.gets)
        updates = [
            ("PATCH", f"{base}/sessions/{s}", owners[s], {"qualityTier": "premium"}) for s in sessions[: args.updates]
        ]
        out["latency"]["update"] = latency("update", *succeeded(await burst(http, updates)), concurrency=len(updates))
        # one at a time, for the comparison with the bare AWS calls
        sequential: dict[str, list[float]] = {"create": [], "get": [], "update": []}
        for i in range(args.sequential):
            session = sessions[i % len(sessions)]
            for name, request in (
                ("create", ("POST", f"{base}/sessions", speakers.next_token(), {"sourceLanguage": "en"})),
                ("get", ("GET", f"{base}/sessions/{session}", None, None)),
                ("update", ("PATCH", f"{base}/sessions/{session}", owners[session], {"qualityTier": "premium"})),
            ):
                sequential[name] += succeeded([(await burst(http, [request]))[0]])[0]
                bare.sample(name)
        out["sequential_p50"] = {name: statistics.median(values) for name, values in sequential.items() if values}
        out["session_for_sockets"] = sessions[0], owners[sessions[0]]
        out["session_for_broadcast"] = sessions[1]
    return out


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


async def close_all(sockets: list[Any]) -> None:
    await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)
    await asyncio.sleep(1)  # let the $disconnect invocations drain before the next measurement


async def socket_operations(
    document: Mapping[str, Any], session_id: str, token: str, args: argparse.Namespace, bare: BareCalls
) -> dict[str, Any]:
    url = listener_url(document, session_id)
    kinesis, stream = client(document, "kinesis"), str(document["outputs"]["audio_stream_name"])
    await close_all([s for _, s in await connect_many(url, 20)])
    opened = await connect_many(url, args.connects)
    connect = latency("connect", [ms for ms, _ in opened], args.connects - len(opened), concurrency=args.connects)
    await close_all([s for _, s in opened])
    one_by_one = []
    for _ in range(args.sequential):
        for ms, socket in await connect_many(url, 1):
            one_by_one.append(ms)
            await socket.close()
        bare.sample("connect")
    await asyncio.sleep(1)

    # sendAudio: the time from handing the frame to the socket to the record's arrival in the stream
    # (Kinesis' ApproximateArrivalTimestamp, stamped by the emulator on this machine's clock, 1 ms grain)
    speaker_url = f"{document['websocketUrl']}?{urlencode({'sessionId': session_id, 'token': token})}"
    sent: dict[int, float] = {}
    async with websockets.connect(speaker_url, open_timeout=60) as speaker:

        async def send(sequence: int) -> None:
            sent[sequence] = time.time()
            await speaker.send(json.dumps({"action": "sendAudio", "audioData": AUDIO_CHUNK, "sequence": sequence}))

        # the first chunk starts the ws_message worker (a cold start the socket's next frames would
        # queue behind): wait until it is in the stream before measuring
        await send(0)
        deadline = time.monotonic() + 60
        while 0 not in audio_arrivals(kinesis, stream, session_id) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        for sequence in range(1, args.chunks + 1):
            await send(sequence)
            await asyncio.sleep(args.chunk_interval_ms / 1000)
        await asyncio.sleep(1)
    arrivals = audio_arrivals(kinesis, stream, session_id)
    audio_ms = [(arrivals[s] - sent[s]) * 1000 for s in range(1, args.chunks + 1) if s in arrivals]
    audio = latency("audio", audio_ms, args.chunks - len(audio_ms), concurrency=1)
    for _ in range(args.sequential):  # after, not between the chunks: they would contend in the emulator
        bare.sample("audio")
    audio["interval_ms"] = args.chunk_interval_ms
    return {
        "connect": connect,
        "audio": audio,
        "connect_sequential_p50": statistics.median(one_by_one),
        "audio_sequential_p50": audio["p50_ms"],
    }


def audio_arrivals(kinesis: Any, stream: str, session_id: str) -> dict[int, float]:
    arrivals: dict[int, float] = {}
    for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page = kinesis.get_records(ShardIterator=iterator, Limit=10_000)
            for record in page["Records"]:
                data = json.loads(record["Data"])
                if data.get("sessionId") == session_id:
                    arrivals.setdefault(int(data["sequence"]), record["ApproximateArrivalTimestamp"].timestamp())
            if not page["Records"] or not page.get("MillisBehindLatest"):
                break
            iterator = page.get("NextShardIterator")
    return arrivals


async def broadcast(document: Mapping[str, Any], session_id: str, args: argparse.Namespace) -> dict[str, Any]:
    """One message to every listener through the @connections API: the fan-out the functions use
    (ConnectionsApi.post_many) vs a loop of single posts, until every listener has received it."""
    from babelcast.integration.connections_api import ConnectionsApi

    url = listener_url(document, session_id)
    sockets: list[Any] = []
    for start in range(0, args.listeners, 50):  # bounded concurrency of handshakes
        sockets += [s for _, s in await connect_many(url, min(50, args.listeners - start))]
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
            break
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    arrivals: dict[str, list[float]] = {}

    async def read(socket: Any) -> None:  # every listener's messages, as they come
        with contextlib.suppress(websockets.ConnectionClosed):
            async for message in socket:
                arrivals.setdefault(json.loads(message).get("type"), []).append(time.perf_counter())

    readers = [asyncio.ensure_future(read(s)) for s in sockets]

    def post_one_by_one(api: ConnectionsApi, kind: str) -> int:
        delivered = 0
        for connection_id in ids:
            with contextlib.suppress(Exception):  # counted: a post that fails is not delivered
                delivered += api.post(connection_id, {"type": kind})
        return delivered

    async def measure(api: ConnectionsApi, kind: str, parallel: bool) -> tuple[float, int]:
        """Milliseconds until every listener a post reached has received it, and how many it reached."""
        loop = asyncio.get_running_loop()
        began = time.perf_counter()
        if parallel:
            delivered = (await loop.run_in_executor(None, api.post_many, ids, {"type": kind})).delivered
        else:
            delivered = await loop.run_in_executor(None, post_one_by_one, api, kind)
        deadline = time.monotonic() + 120
        while len(arrivals.get(kind, [])) < delivered and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        received = arrivals.get(kind, [])
        if len(received) < delivered:
            raise RuntimeError(f"{kind}: {len(received)} of {delivered} delivered messages arrived")
        return (max(received, default=began) - began) * 1000, delivered

    parts = urlsplit(document["connectionsUrl"])
    stage = parts.path.strip("/")
    runs = []
    for modelled in (0, args.modelled_latency_ms):
        endpoint = (
            document["connectionsUrl"]
            if not modelled
            else f"{parts.scheme}://{parts.netloc}/_modelled-latency/{modelled}/{stage}"
        )
        api = ConnectionsApi(endpoint)
        await measure(api, f"warm{modelled}", True)
        parallel_ms, parallel_delivered = await measure(api, f"p{modelled}", True)
        sequential_ms, sequential_delivered = await measure(api, f"s{modelled}", False)
        runs.append({"modelled_latency_ms": modelled, "parallel_ms": round(parallel_ms, 1),
                     "sequential_ms": round(sequential_ms, 1), "parallel_delivered": parallel_delivered,
                     "sequential_delivered": sequential_delivered})  # fmt: skip
    await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)
    await asyncio.gather(*readers, return_exceptions=True)
    return {"listeners": len(ids), "runs": runs}


# --- cold starts -------------------------------------------------------------------------------

COLD_START = """
import importlib, json, sys, time
code_dir, module, event_file, out, bootstrap_dir = sys.argv[1:6]
sys.path.insert(0, bootstrap_dir)
from worker_bootstrap import LambdaContext
sys.path.insert(0, code_dir)
event = json.load(open(event_file))
context = LambdaContext({"aws_request_id": "bench", "function_name": module, "function_version": "$LATEST",
                         "invoked_function_arn": "arn", "memory_limit_in_mb": 512,
                         "deadline_ms": (time.time() + 10) * 1000}, "group", "stream")
started = time.perf_counter()
handler = importlib.import_module(module)
imported = time.perf_counter()
handler.lambda_handler(event, context)
done = time.perf_counter()
open(out, "w").write(json.dumps({"import_ms": (imported - started) * 1000, "total_ms": (done - started) * 1000}))
"""
BASELINE = """
import json, sys, time
started = time.perf_counter()
import boto3
boto3.client("dynamodb")
open(sys.argv[1], "w").write(json.dumps({"total_ms": (time.perf_counter() - started) * 1000}))
"""


def cold_start_events(inproc: InProcess) -> dict[str, Callable[[], dict[str, Any]]]:
    """For each function, a fresh realistic first event (the state it needs made in process)."""
    from http_api import handler as http_handler
    from ws_connect import handler as connect_handler

    from tests.support.http_events import LambdaContext, http_event
    from tests.support.ws_events import (
        authorizer_event,
        connect_event,
        disconnect_event,
        message_event,
        session_change_event,
    )
    from tests.support.ws_events import new_connection_id as new_id

    sub = f"bench-{secrets.token_hex(4)}"
    created, _ = inproc.run(
        lambda: http_handler.lambda_handler(
            http_event("POST /sessions", "/sessions", body={"sourceLanguage": "en"}, sub=sub), LambdaContext()
        )
    )
    session_id = json.loads(created["body"])["sessionId"]
    listener = {"role": "listener", "sessionId": session_id}
    speaker = {"role": "speaker", "userId": sub, "sessionId": session_id}
    speaker_id = new_id()
    inproc.run(
        lambda: connect_handler.lambda_handler(connect_event(speaker_id, {"sessionId": session_id}, speaker), None)
    )
    query = {"sessionId": session_id, "targetLanguage": "es"}

    def connected_listener() -> str:
        connection_id = new_id()
        inproc.run(lambda: connect_handler.lambda_handler(connect_event(connection_id, query, listener), None))
        return connection_id

    sequence = iter(range(1000, 10**6))
    segment = {"sessionId": session_id, "targetLanguage": "es", "payload": {"type": "translatedText", "text": "hola"}}
    kinesis_event = {
        "Records": [
            {
                "eventID": "e1",
                "kinesis": {
                    "data": base64.b64encode(json.dumps(segment).encode()).decode(),
                    "sequenceNumber": "1",
                    "partitionKey": session_id,
                },
            }
        ]
    }
    image = {"sessionId": {"S": session_id}, "status": {"S": "active"}}
    stream_event = session_change_event(session_id, image, image)  # no status change: nothing to fan out
    return {
        "http_api": lambda: http_event("GET /sessions/{sessionId}", f"/sessions/{session_id}", sub=None),
        "ws_authorizer": lambda: authorizer_event(query),
        "ws_connect": lambda: connect_event(new_id(), query, listener),
        "ws_disconnect": lambda: disconnect_event(connected_listener(), listener),
        "ws_message": lambda: message_event(
            speaker_id, {"action": "sendAudio", "audioData": AUDIO_CHUNK, "sequence": next(sequence)}, speaker
        ),
        "session_events": lambda: stream_event,
        "broadcast": lambda: kinesis_event,
        "connection_sweeper": lambda: {"id": "bench", "source": "aws.events", "detail-type": "Scheduled Event"},
    }


def cold_starts(inproc: InProcess, document: Mapping[str, Any], repetitions: int) -> dict[str, Any]:
    python = str(runtime_environment(ROOT))
    events = cold_start_events(inproc)
    bootstrap_dir = str(Path(babelcast_devstack.__file__).parent)  # worker_bootstrap.py
    functions: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as tmp:
        out, event_file = Path(tmp) / "out.json", Path(tmp) / "event.json"

        def run(script: str, arguments: list[str], environment: Mapping[str, str], cwd: str) -> dict[str, float]:
            lambda_like = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "en_US.UTF-8", "TZ": ":UTC"}
            subprocess.run(
                [python, "-I", "-c", script, *arguments],
                env={**lambda_like, **environment},
                cwd=cwd,
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            result: dict[str, float] = json.loads(out.read_text())
            return result

        baseline_env = function_environment(document, "http_api")
        baselines = [run(BASELINE, [str(out)], baseline_env, tmp)["total_ms"] for _ in range(repetitions)]
        for name, event in events.items():
            code_dir = Path(tmp) / name
            with zipfile.ZipFile(ROOT / "dist" / f"{name}.zip") as archive:
                archive.extractall(code_dir)
            module = document["outputs"]["functions"][name]["handler"].rsplit(".", 1)[0]
            totals, imports = [], []
            for _ in range(repetitions):
                event_file.write_text(json.dumps(event()))
                figures = run(
                    COLD_START,
                    [str(code_dir), module, str(event_file), str(out), bootstrap_dir],
                    function_environment(document, name),
                    str(code_dir),
                )
                totals.append(figures["total_ms"])
                imports.append(figures["import_ms"])
            functions[name] = {
                "median_ms": round(statistics.median(totals), 1),
                "import_median_ms": round(statistics.median(imports), 1),
            }
    return {"repetitions": repetitions, "baseline_ms": round(statistics.median(baselines), 1), "functions": functions}


# --- the run -----------------------------------------------------------------------------------


async def through_stack(document: Mapping[str, Any], args: argparse.Namespace, bare: BareCalls) -> dict[str, Any]:
    http = await http_operations(document, args, bare)
    session_id, token = http["session_for_sockets"]
    sockets = await socket_operations(document, session_id, token, args, bare)
    fanout = await broadcast(document, http["session_for_broadcast"], args)
    return {
        "latency": {**http["latency"], "connect": sockets["connect"], "audio": sockets["audio"]},
        "sequential_p50": {
            **http["sequential_p50"],
            "connect": sockets["connect_sequential_p50"],
            "audio": sockets["audio_sequential_p50"],
        },
        "broadcast": fanout,
    }


def measure(args: argparse.Namespace) -> dict[str, Any]:
    figures: dict[str, Any] = {
        "machine": machine(),
        "settings": {k: v for k, v in vars(args).items() if k not in ("no_doc", "no_rebuild")},
    }
    print("==> packages (sizes, rebuild)", flush=True)
    if not args.no_rebuild:
        figures["packages"] = packages()
    print("==> starting the local stack", flush=True)
    with stack_for_benchmark(False, "--modelled-latency-route") as (document, ready, _):
        figures["stack_ready_seconds"] = round(ready, 1)
        # the stack's own processes run as before; this process posts with the emulator's dummy keys
        inproc = InProcess(document)
        print("==> AWS calls per operation (in process)", flush=True)
        captured = capture_operations(inproc)
        figures["aws_calls"] = {
            OPERATIONS[name][0]: dict(Counter(c.operation for c in op.calls)) for name, op in captured.items()
        }
        # Before the load: afterwards the emulator is still busy with the stream backlog the load
        # left, and a first invocation would wait behind it (measuring the emulator, not the code).
        print("==> cold starts", flush=True)
        figures["cold_start"] = cold_starts(inproc, document, args.cold_repetitions)
        print("==> through the local stack, one-at-a-time samples interleaved with the bare calls", flush=True)
        bare = BareCalls.make(document, captured)
        live = asyncio.run(through_stack(document, args, bare))
        figures["latency"] = {OPERATIONS[name][0]: op for name, op in live["latency"].items()}
        figures["overhead"] = {}
        for name, op in captured.items():
            operation, bare_p50 = float(live["sequential_p50"][name]), statistics.median(bare.samples[name])
            figures["overhead"][OPERATIONS[name][0]] = {
                "operation_p50_ms": round(operation, 2),
                "bare_p50_ms": round(bare_p50, 2),
                "bare_calls": [c.operation for c in op.calls],
                "ratio": ratio(operation, bare_p50),
            }
        figures["broadcast"] = live["broadcast"]
    return figures


def document_section(figures: Mapping[str, Any], table_markdown: str) -> str:
    facts = figures["machine"]
    settings = figures["settings"]
    return (
        f"Measured {facts['date']} on {facts['cores']} cores ({facts['cpu'] or 'unknown CPU'}), "
        f"{facts['platform']}, load average (1 min) {facts.get('load_average_1min_at_start', '?')} at the start; "
        f"bench Python {facts['python']}, functions on Python {facts['lambda_python']} "
        f"(the Lambda-like runtime). Stack ready in {figures.get('stack_ready_seconds', '?')} s; "
        f"the bench took {figures.get('bench_seconds', '?')} s. "
        f"Counts: {settings['creates']} creates, {settings['gets']} gets, {settings['updates']} updates, "
        f"{settings['connects']} connects at once; {settings['sequential']} one-at-a-time samples per operation; "
        f"{settings['chunks']} audio chunks every {settings['chunk_interval_ms']} ms; "
        f"{settings['cold_repetitions']} cold starts per function; broadcast modelled round trip "
        f"{settings['modelled_latency_ms']} ms.\n\n{table_markdown}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creates", type=int, default=100)
    parser.add_argument("--gets", type=int, default=1000)
    parser.add_argument("--updates", type=int, default=100)
    parser.add_argument("--connects", type=int, default=100)
    parser.add_argument("--sequential", type=int, default=30, help="one-at-a-time samples per operation")
    parser.add_argument("--chunks", type=int, default=100)
    parser.add_argument("--chunk-interval-ms", type=int, default=50)
    parser.add_argument("--listeners", type=int, default=500)
    parser.add_argument(
        "--modelled-latency-ms",
        type=int,
        default=20,
        help="@connections round trip modelled for the second broadcast run",
    )
    parser.add_argument("--cold-repetitions", type=int, default=5)
    parser.add_argument("--no-rebuild", action="store_true", help="skip the package sizes and the rebuild")
    parser.add_argument("--no-doc", action="store_true", help="do not rewrite docs/PERFORMANCE.md")
    parser.add_argument("--render-only", action="store_true",
                        help="measure nothing: render the last .local/reports/bench.json again")  # fmt: skip
    args = parser.parse_args()
    if args.render_only:
        figures = json.loads((ROOT / ".local" / "reports" / "bench.json").read_text())
    else:
        started = time.perf_counter()
        figures = measure(args)
        figures["bench_seconds"] = round(time.perf_counter() - started, 1)
    table = rows(figures)
    print()
    print(render_text(table))
    missed = not_met(table)
    print(f"{len(missed)} target(s) NOT MET" if missed else "every target met", f"({figures['bench_seconds']} s)")
    print(f"figures: {write_report(ROOT, 'bench', figures).relative_to(ROOT)}")
    if not args.no_doc:
        doc = ROOT / "docs" / "PERFORMANCE.md"
        doc.write_text(replace_between_markers(doc.read_text(), document_section(figures, render_markdown(table))))
        print(f"table: {doc.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
