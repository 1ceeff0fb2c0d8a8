"""`make bench-ws`: the WebSocket half on the local stack, with N listeners (default 500) connected:

  * one broadcast delivered to every listener: parallel fan-out (what the broadcast function
    does) vs posting one by one, in the same run, over the same @connections API;
  * the same through the real path: a record on the translated-segments stream until the last
    listener has it;
  * DELETE /sessions/{id} latency with N listeners connected, and the time until the last one
    has received sessionEnded.

Starts its own stack on free ports (or uses the running `make dev` one with --running).
Prints a table and writes .local/reports/websocket.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from typing import Any

import requests
from babelcast_devstack.background import stack_for_benchmark
from babelcast_devstack.bench_report import print_figures, write_report
from babelcast_devstack.emulator import DUMMY_CREDENTIALS

from .common import ROOT, client, listener_ids, open_listeners, speaker_token


async def run(document: dict[str, Any], listeners: int) -> dict[str, Any]:
    from babelcast.integration.connections_api import ConnectionsApi

    # this process posts to the local @connections API itself, with the emulator's dummy credentials
    os.environ.update({**DUMMY_CREDENTIALS, "AWS_DEFAULT_REGION": document["region"]})

    auth = {"Authorization": f"Bearer {speaker_token(document)}"}
    session = requests.post(
        f"{document['httpApiUrl']}/sessions", json={"sourceLanguage": "en"}, headers=auth, timeout=30
    ).json()
    session_id = session["sessionId"]
    started = time.perf_counter()
    sockets = await open_listeners(document, session_id, listeners)
    if len(sockets) < listeners:
        raise RuntimeError(f"only {len(sockets)} of {listeners} listeners could connect")
    connect_seconds = time.perf_counter() - started
    count = requests.get(f"{document['httpApiUrl']}/sessions/{session_id}", timeout=30).json()["listenerCount"]
    ids = listener_ids(document, session_id)

    async def everyone_receives(kind: str) -> float:
        began = time.perf_counter()

        async def wait(socket: Any) -> None:
            while json.loads(await socket.recv()).get("type") != kind:
                pass

        await asyncio.wait_for(asyncio.gather(*(wait(s) for s in sockets)), timeout=300)
        return time.perf_counter() - began

    api = ConnectionsApi(document["connectionsUrl"])
    loop = asyncio.get_running_loop()
    receiving = asyncio.ensure_future(everyone_receives("parallelProbe"))
    began = time.perf_counter()
    delivery = await loop.run_in_executor(None, api.post_many, ids, {"type": "parallelProbe"})
    parallel_post = time.perf_counter() - began
    await receiving
    parallel_all = time.perf_counter() - began

    receiving = asyncio.ensure_future(everyone_receives("sequentialProbe"))
    began = time.perf_counter()

    def one_by_one() -> None:
        for connection_id in ids:
            api.post(connection_id, {"type": "sequentialProbe"})

    await loop.run_in_executor(None, one_by_one)
    sequential_post = time.perf_counter() - began
    await receiving
    sequential_all = time.perf_counter() - began

    receiving = asyncio.ensure_future(everyone_receives("translatedText"))
    began = time.perf_counter()
    segment = {"sessionId": session_id, "targetLanguage": "es", "payload": {"type": "translatedText", "text": "hola"}}
    client(document, "kinesis").put_record(
        StreamName=document["outputs"]["translated_segments_stream_name"],
        PartitionKey=session_id,
        Data=json.dumps(segment).encode(),
    )
    await receiving
    pipeline_all = time.perf_counter() - began

    receiving = asyncio.ensure_future(everyone_receives("sessionEnded"))
    began = time.perf_counter()
    deleted = await loop.run_in_executor(
        None, lambda: requests.delete(f"{document['httpApiUrl']}/sessions/{session_id}", headers=auth, timeout=30)
    )
    delete_seconds = time.perf_counter() - began
    await receiving
    ended_all = time.perf_counter() - began
    await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)
    return {
        "listeners": listeners,
        "listener_count_reported": count,
        "connect_all_seconds": round(connect_seconds, 2),
        "broadcast_parallel_post_ms": round(parallel_post * 1000, 1),
        "broadcast_parallel_all_received_ms": round(parallel_all * 1000, 1),
        "broadcast_sequential_post_ms": round(sequential_post * 1000, 1),
        "broadcast_sequential_all_received_ms": round(sequential_all * 1000, 1),
        "parallel_speedup": round(sequential_all / parallel_all, 1),
        "parallel_delivered": delivery.delivered,
        "broadcast_via_stream_all_received_ms": round(pipeline_all * 1000, 1),
        "delete_status": deleted.status_code,
        "delete_latency_ms": round(delete_seconds * 1000, 1),
        "session_ended_all_received_ms": round(ended_all * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.websocket", description=__doc__.splitlines()[0])
    parser.add_argument("--listeners", type=int, default=500)
    parser.add_argument("--running", action="store_true", help="measure the running `make dev` stack")
    args = parser.parse_args()
    with stack_for_benchmark(args.running) as (document, _, _):
        figures = asyncio.run(run(document, args.listeners))
    print_figures(figures)
    write_report(ROOT, "websocket", figures)


if __name__ == "__main__":
    main()
