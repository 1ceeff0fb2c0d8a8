"""Section "latency": create, get, update, $connect and sendAudio through the local gateway with real
Cognito tokens, all at once and one at a time (the latter interleaved with the bare AWS calls)."""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp
import websockets
from babelcast_devstack.bench_report import summarize

from .aws_calls import BareCalls
from .common import AUDIO_CHUNK, OPERATIONS, client, connect_many, listener_url, speaker_token

CREATES_PER_SPEAKER = 9  # under the production limit of 10 per minute per speaker


@dataclass
class Speakers:
    """Accounts with tokens, handed out so no one creates more than the production limit allows."""

    tokens: list[str]
    used: Counter[int]

    @classmethod
    def make(cls, document: Mapping[str, Any], creates: int) -> Speakers:
        return cls([speaker_token(document) for _ in range(-(-creates // CREATES_PER_SPEAKER))], Counter())

    def next_token(self) -> str:
        index = min(range(len(self.tokens)), key=lambda i: self.used[i])
        if self.used[index] >= CREATES_PER_SPEAKER:
            raise RuntimeError("not enough speaker accounts for the creates asked")
        self.used[index] += 1
        return self.tokens[index]


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
