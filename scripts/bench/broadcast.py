"""Section "broadcast": one message to N listeners through the @connections API, parallel (what the
functions do) vs one by one, on loopback and with a modelled round trip (the gateway's bench mode,
without its throttle: 32 threads stay far below it)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time
from collections.abc import Mapping
from typing import Any

import websockets

from .common import listener_ids, open_listeners, set_post_model


async def broadcast(document: Mapping[str, Any], session_id: str, args: argparse.Namespace) -> dict[str, Any]:
    """One message to every listener through the @connections API: the fan-out the functions use
    (ConnectionsApi.post_many) vs a loop of single posts, until every listener has received it."""
    from babelcast.integration.connections_api import ConnectionsApi

    sockets = await open_listeners(document, session_id, args.listeners)
    ids = listener_ids(document, session_id)

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

    runs = []
    api = ConnectionsApi(document["connectionsUrl"])
    for modelled in (0, args.modelled_latency_ms):
        set_post_model(document, round_trip_ms=modelled, posts_per_second=None)  # the gateway's bench mode
        await measure(api, f"warm{modelled}", True)
        parallel_ms, parallel_delivered = await measure(api, f"p{modelled}", True)
        sequential_ms, sequential_delivered = await measure(api, f"s{modelled}", False)
        runs.append(
            {
                "modelled_latency_ms": modelled,
                "parallel_ms": round(parallel_ms, 1),
                "sequential_ms": round(sequential_ms, 1),
                "parallel_delivered": parallel_delivered,
                "sequential_delivered": sequential_delivered,
            }
        )
    await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)
    await asyncio.gather(*readers, return_exceptions=True)
    return {"listeners": len(ids), "runs": runs}
