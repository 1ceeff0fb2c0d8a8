"""Section "fanout" (issue 17) and `make bench-fanout`: one translated segment to every listener of a
language, from the moment it is put on the translated-segments stream (as the pipeline writes it)
until each listener has it; p50/p95/max over the listeners (max = the last listener).

Two populations on the same stack, whose gateway runs in bench mode (docs/PERFORMANCE.md): every
``@connections`` call waits a modelled round trip (20 ms) and passes API Gateway's account throttle
(10 000/s, burst 5 000):

  * real: WebSocket listeners on the local stack (as many as this machine holds, at least 1 000);
  * modelled: 10 000 socketless listeners registered in bulk in the gateway, their connection
    records written to DynamoDB with BatchWriteItem exactly as the connect function writes them
    (and the session's counters kept consistent), so the broadcast path finds them.

Two designs for each:

  * deployed: the stack's broadcast function, triggered by the stream: whatever the deployed code
    does (one invocation per batch on main; shards once issue 17's fan-out is merged);
  * single invocation: one invocation's behaviour run in this process (the language's listeners read
    with one paginated query, then ConnectionsApi.post_many with its 32 threads), timed from the
    moment it starts: no stream, trigger poll or worker hop in it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import os
import resource
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import requests
import websockets
from babelcast_devstack.bench_report import percentile
from babelcast_devstack.pipeline_standin import segment_record

from .common import bench_url, client, function_environment, open_listeners, set_post_model, speaker_token

LANGUAGE = "es"
BATCH = 25  # BatchWriteItem's limit
DESIGNS = ("deployed", "single invocation")


def raise_file_limit(wanted: int) -> tuple[int, int]:
    """Raise this process's open-file limit towards ``wanted`` (within the hard limit); (soft, hard)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def new_session(document: Mapping[str, Any]) -> str:
    auth = {"Authorization": f"Bearer {speaker_token(document)}"}
    created = requests.post(
        f"{document['httpApiUrl']}/sessions", json={"sourceLanguage": "en"}, headers=auth, timeout=30
    )
    created.raise_for_status()
    return str(created.json()["sessionId"])


def register_listeners(document: Mapping[str, Any], session_id: str, count: int) -> list[str]:
    """``count`` socketless listeners: registered in the gateway, stored as the connect function
    stores a listener (its record builder) and counted on the session item as it counts them."""
    from babelcast.domain.connection_records import ConnectionRecord
    from babelcast.domain.connections import CONNECTION_RECORD_TTL_MS
    from babelcast.integration.connections_table import to_item
    from babelcast.integration.session_items import language_attribute

    registered = requests.post(bench_url(document, "connections"), json={"count": count}, timeout=60)
    registered.raise_for_status()
    ids: list[str] = registered.json()["connectionIds"]
    now = time.time_ns() // 1_000_000
    dynamodb = client(document, "dynamodb")
    outputs = document["outputs"]
    table = outputs["connections_table_name"]
    for start in range(0, len(ids), BATCH):
        items = [
            {"PutRequest": {"Item": to_item(ConnectionRecord(c, "listener", session_id, LANGUAGE, None, now, expires))}}
            for c in ids[start : start + BATCH]
            for expires in [now + CONNECTION_RECORD_TTL_MS]
        ]
        pending: dict[str, Any] = {table: items}
        while pending:
            pending = dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
    dynamodb.update_item(
        TableName=outputs["sessions_table_name"],
        Key={"sessionId": {"S": session_id}},
        # audienceVersion: as every join does, so a broadcast that kept this session's listener set re-reads it
        UpdateExpression="ADD listenerCount :n, #language :n, listenerConnectedSum :sum, audienceVersion :one",
        ExpressionAttributeNames={"#language": language_attribute(LANGUAGE)},
        ExpressionAttributeValues={
            ":n": {"N": str(len(ids))},
            ":sum": {"N": str(now * len(ids))},
            ":one": {"N": "1"},
        },
    )
    return ids


def single_invocation(document: Mapping[str, Any]) -> Callable[[str, Mapping[str, Any]], Any]:
    """One broadcast invocation's work, as main's Broadcaster.deliver does it (without the catch-up
    numbering): read the language's listeners, then post to all of them with post_many."""
    os.environ.update(function_environment(document, "broadcast") | {"LOG_LEVEL": "ERROR"})
    from babelcast.integration import aws
    from babelcast.integration.connections_api import ConnectionsApi
    from babelcast.integration.connections_table import ConnectionsTable

    aws.reset_clients()
    outputs = document["outputs"]
    table = ConnectionsTable(outputs["connections_table_name"], outputs["sessions_table_name"])
    api = ConnectionsApi(document["connectionsUrl"])

    def deliver(session_id: str, payload: Mapping[str, Any]) -> tuple[int, float]:
        """Posts made, and this process's CPU seconds while posting (the query excluded)."""
        ids = [r.connection_id for r in table.of_session(session_id, channel=LANGUAGE)]
        cpu = time.process_time()
        delivery = api.post_many(ids, payload)
        return delivery.delivered + delivery.failed + len(delivery.gone), time.process_time() - cpu

    return deliver


def one_shard(document: Mapping[str, Any]) -> Callable[[list[str], Mapping[str, Any]], tuple[int, float]]:
    """What each shard invocation does once it runs: the broadcast's hand-signed posts
    (``ConnectionsApi(signed=True).post_many``, 32 threads) to one shard's listeners. On Lambda every
    shard has a vCPU of its own; here this runs alone, so it is the per-invocation figure."""
    from babelcast.integration.connections_api import ConnectionsApi

    api = ConnectionsApi(document["connectionsUrl"], signed=True)

    def deliver(ids: list[str], payload: Mapping[str, Any]) -> tuple[int, float]:
        cpu = time.process_time()
        delivery = api.post_many(ids, payload)
        return delivery.delivered + delivery.failed + len(delivery.gone), time.process_time() - cpu

    return deliver


async def measure_one_shard(
    document: Mapping[str, Any], population: Population, ids: list[str], segments: int
) -> dict[str, Any]:
    """``segments`` posts of one shard (the deployed shard size) to modelled listeners, from the shard's start."""
    from babelcast.domain.broadcast import DEFAULT_SHARD_SIZE

    deliver = one_shard(document)
    shard = ids[:DEFAULT_SHARD_SIZE]
    listeners = Population(population.name, population.session_id, len(shard), population.arrivals)
    loop = asyncio.get_running_loop()
    latencies: list[list[float]] = []
    posts, poster = 0, 0.0
    for number in range(-1, segments):  # the first warms this process's connection pool
        key = f"fanout shard {len(shard)} {number} {time.time_ns()}"
        started = time.time() * 1000
        made, cpu = await loop.run_in_executor(
            None, deliver, shard, {"type": "translation", "targetLanguage": LANGUAGE, "translatedText": key}
        )
        times = await listeners.wait(key, patience=30)
        if number >= 0:
            latencies.append([at - started for at in times])
            posts, poster = posts + made, poster + cpu
    figures = summary(latencies, len(shard))
    figures["cpu_ms_per_post"] = {"poster": round(poster * 1000 / max(posts, 1), 3)}
    return figures


def process_cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU seconds of process ``pid`` so far (Linux /proc), None when unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, TypeError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def summary(latencies: list[list[float]], expected: int) -> dict[str, Any]:
    """Pooled p50/p95 over every (segment, listener), max = the worst segment's last listener."""
    pooled = [value for segment in latencies for value in segment]
    if not pooled:
        return {"segments": len(latencies), "listeners": expected, "delivered": [0] * len(latencies)}
    return {
        "p50_ms": round(percentile(pooled, 0.5), 1),
        "p95_ms": round(percentile(pooled, 0.95), 1),
        "max_ms": round(max(pooled), 1),
        "last_listener_ms_per_segment": [round(max(s), 1) if s else None for s in latencies],
        "segments": len(latencies),
        "listeners": expected,
        "delivered": [len(s) for s in latencies],
    }


class Population:
    """Listeners of one session, and where their arrival times come from."""

    def __init__(self, name: str, session_id: str, expected: int, arrivals: Callable[[str], Awaitable[list[float]]]):
        self.name, self.session_id, self.expected, self.arrivals = name, session_id, expected, arrivals

    async def wait(self, key: str, patience: float) -> list[float]:
        """Arrival times (epoch ms) of ``key`` once every listener has it, or once none came for ``patience`` s."""
        seen, quiet_since = -1, time.monotonic()
        while True:
            times = await self.arrivals(key)
            if len(times) >= self.expected:
                return times
            if len(times) != seen:
                seen, quiet_since = len(times), time.monotonic()
            elif time.monotonic() - quiet_since > patience:
                return times
            await asyncio.sleep(0.1)


async def measure(
    document: Mapping[str, Any], population: Population, segments: int, deliver: Callable[..., Any], *, warm_up: bool
) -> dict[str, Any]:
    """``segments`` per design; with ``warm_up`` one more first, not counted (the broadcast worker's
    cold start, this process's client pool)."""
    kinesis = client(document, "kinesis")
    stream = document["outputs"]["translated_segments_stream_name"]
    loop = asyncio.get_running_loop()
    figures: dict[str, Any] = {}
    cpu: dict[str, list[float]] = {"posts": [], "poster": [], "gateway": []}
    for design in DESIGNS:
        latencies: list[list[float]] = []
        for number in range(-1 if warm_up else 0, segments):
            key = f"fanout {population.name} {population.expected} {design} {number} {time.time_ns()}"
            payload = {"type": "translation", "targetLanguage": LANGUAGE, "translatedText": key}
            started = time.time() * 1000
            if design == "deployed":  # as the pipeline writes it (docs/architecture.md#the-pipeline-contract)
                record = segment_record(population.session_id, LANGUAGE, payload)
                await loop.run_in_executor(None, functools.partial(kinesis.put_record, StreamName=stream, **record))
            else:
                gateway_before = process_cpu_seconds(document.get("pid"))
                posts, poster = await loop.run_in_executor(None, deliver, population.session_id, payload)
                gateway_after = process_cpu_seconds(document.get("pid"))
                if number >= 0 and gateway_before is not None and gateway_after is not None:
                    cpu["posts"].append(posts)
                    cpu["poster"].append(poster)
                    cpu["gateway"].append(gateway_after - gateway_before)
            times = await population.wait(key, patience=30)
            if number < 0:
                continue
            latencies.append([at - started for at in times])
            print(
                f"    {population.expected} {population.name}, {design}, segment {number + 1}: "
                f"{len(times)} delivered, last after {max(latencies[-1], default=0):,.0f} ms",
                flush=True,
            )
            await asyncio.sleep(0.5)
        figures[design] = summary(latencies, population.expected)
    if sum(cpu["posts"]):  # one invocation's posts: CPU per post in the poster and in the gateway
        posts = sum(cpu["posts"])
        figures["single invocation"]["cpu_ms_per_post"] = {
            "poster": round(sum(cpu["poster"]) * 1000 / posts, 3),
            "gateway": round(sum(cpu["gateway"]) * 1000 / posts, 3),
        }
    return figures


@contextlib.asynccontextmanager
async def real_listeners(document: Mapping[str, Any], count: int) -> AsyncIterator[tuple[Population, float]]:
    """Up to ``count`` WebSocket listeners of a new session, open until the block ends (closing
    them starts as many $disconnect transactions: not while anything else is measured)."""
    session_id = new_session(document)
    started = time.perf_counter()
    sockets = await open_listeners(document, session_id, count)
    opened = time.perf_counter() - started
    print(f"    {len(sockets)} of {count} WebSocket listeners open in {opened:.1f} s", flush=True)
    arrivals: dict[str, list[float]] = {}

    async def read(socket: Any) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for message in socket:
                text = json.loads(message).get("translatedText")
                if text:
                    arrivals.setdefault(text, []).append(time.time() * 1000)

    readers = [asyncio.ensure_future(read(s)) for s in sockets]

    async def local(key: str) -> list[float]:
        return arrivals.get(key, [])

    try:
        yield Population("WebSocket", session_id, len(sockets), local), opened
    finally:
        await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)
        await asyncio.gather(*readers, return_exceptions=True)


async def modelled_listeners(
    document: Mapping[str, Any], count: int, segments: int, deliver: Callable[..., Any]
) -> dict[str, Any]:
    session_id = new_session(document)
    started = time.perf_counter()
    loop = asyncio.get_running_loop()
    ids = await loop.run_in_executor(None, register_listeners, document, session_id, count)
    stored = time.perf_counter() - started
    print(f"    {len(ids)} modelled listeners registered and stored in {stored:.1f} s", flush=True)

    async def remote(key: str) -> list[float]:
        answer = await loop.run_in_executor(
            None, lambda: requests.get(bench_url(document, "arrivals"), params={"message": key}, timeout=30).json()
        )
        times: list[float] = answer["arrivals"][key]
        return times

    population = Population("modelled", session_id, len(ids), remote)
    figures = await measure(document, population, segments, deliver, warm_up=False)
    figures["one shard of the deployed design"] = await measure_one_shard(document, population, ids, segments)
    return {"listeners": len(ids), "store_seconds": round(stored, 1), "designs": figures}


async def fanout(document: Mapping[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    soft, hard = raise_file_limit(args.fanout_real_listeners * 2 + 1024)
    set_post_model(document, round_trip_ms=args.modelled_latency_ms, posts_per_second=10_000, burst=5_000)
    deliver = single_invocation(document)
    async with real_listeners(document, args.fanout_real_listeners) as (population, opened):
        real = {
            "listeners": population.expected,
            "requested": args.fanout_real_listeners,
            "open_seconds": round(opened, 1),
            "designs": await measure(document, population, args.fanout_segments, deliver, warm_up=True),
        }
        modelled = await modelled_listeners(document, args.fanout_modelled_listeners, args.fanout_segments, deliver)
    return {
        "cores": os.cpu_count(),
        "open_files_limit": [soft, hard],
        "round_trip_ms": args.modelled_latency_ms,
        "throttle": {"posts_per_second": 10_000, "burst": 5_000},
        "populations": {"WebSocket": real, "modelled": modelled},
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--fanout-real-listeners", type=int, default=1000, help="WebSocket listeners (fanout)")
    parser.add_argument("--fanout-modelled-listeners", type=int, default=10_000, help="bulk listeners (fanout)")
    parser.add_argument("--fanout-segments", type=int, default=2, help="segments per population and design")


# what `make bench` and `make bench-fanout` start their stack with
STACK_ARGUMENTS = (
    "--bench-mode",
    "--max-listeners-per-session",
    "20000",
    # the connection sweeper would probe the 10 000 modelled listeners every minute, mid-measurement
    "--schedule-interval",
    "3600",
)


def main() -> None:
    from babelcast_devstack.background import stack_for_benchmark
    from babelcast_devstack.bench_report import render_text, rows, write_report

    from .common import ROOT, machine

    parser = argparse.ArgumentParser(prog="python -m bench.fanout", description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.add_argument("--modelled-latency-ms", type=int, default=20, help="@connections round trip modelled")
    args = parser.parse_args()
    with stack_for_benchmark(False, *STACK_ARGUMENTS) as (document, _, _):
        figures = {"machine": machine(), "fanout": asyncio.run(fanout(document, args))}
    print(render_text(rows(figures)))
    write_report(ROOT, "fanout", figures)


if __name__ == "__main__":
    main()
