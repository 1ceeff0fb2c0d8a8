#!/usr/bin/env python3
"""Measure the WebSocket half on the local stack, with N listeners (default 500) connected:

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
from urllib.parse import urlencode

import requests
import websockets
from babelcast_devstack.accounts import create_speaker, log_in
from babelcast_devstack.background import stack_for_benchmark
from babelcast_devstack.bench_report import print_figures, write_report
from babelcast_devstack.emulator import DUMMY_CREDENTIALS, emulator_client
from babelcast_devstack.terraform import repository_root

ROOT = repository_root()


def client(document: dict[str, Any], service: str) -> Any:
    return emulator_client(document["awsEndpointUrl"], document["region"], service)


async def run(document: dict[str, Any], listeners: int) -> dict[str, Any]:
    from babelcast.integration.connections_api import ConnectionsApi

    # this process posts to the local @connections API itself, with the emulator's dummy credentials
    os.environ.update({**DUMMY_CREDENTIALS, "AWS_DEFAULT_REGION": document["region"]})

    account = create_speaker(document["awsEndpointUrl"], document["region"], document["userPoolId"])
    token = log_in(document["awsEndpointUrl"], document["region"], document["userPoolClientId"], account)["idToken"]
    auth = {"Authorization": f"Bearer {token}"}
    session = requests.post(f"{document['httpApiUrl']}/sessions", json={"sourceLanguage": "en"}, headers=auth,
                            timeout=30).json()  # fmt: skip
    session_id = session["sessionId"]
    url = f"{document['websocketUrl']}?{urlencode({'sessionId': session_id, 'targetLanguage': 'es'})}"
    started = time.perf_counter()
    sockets = []
    for batch in range(0, listeners, 50):  # bounded concurrency of handshakes
        sockets += await asyncio.gather(*(websockets.connect(url, open_timeout=120, max_queue=None)
                                          for _ in range(min(50, listeners - batch))))  # fmt: skip
    connect_seconds = time.perf_counter() - started
    count = requests.get(f"{document['httpApiUrl']}/sessions/{session_id}", timeout=30).json()["listenerCount"]

    table = document["outputs"]["connections_table_name"]
    dynamodb = client(document, "dynamodb")
    ids: list[str] = []
    kwargs: dict[str, Any] = {"TableName": table, "IndexName": "by-session", "KeyConditionExpression": "sessionId = :s",
                              "ExpressionAttributeValues": {":s": {"S": session_id}}}  # fmt: skip
    while True:
        page = dynamodb.query(**kwargs)
        ids += [item["connectionId"]["S"] for item in page["Items"]]
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

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
    client(document, "kinesis").put_record(StreamName=document["outputs"]["translated_segments_stream_name"],
                                           PartitionKey=session_id, Data=json.dumps(segment).encode())  # fmt: skip
    await receiving
    pipeline_all = time.perf_counter() - began

    receiving = asyncio.ensure_future(everyone_receives("sessionEnded"))
    began = time.perf_counter()
    deleted = await loop.run_in_executor(None, lambda: requests.delete(
        f"{document['httpApiUrl']}/sessions/{session_id}", headers=auth, timeout=30))  # fmt: skip
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listeners", type=int, default=500)
    parser.add_argument("--running", action="store_true", help="measure the running `make dev` stack")
    args = parser.parse_args()
    with stack_for_benchmark(args.running) as (document, _, _):
        figures = asyncio.run(run(document, args.listeners))
    print_figures(figures)
    write_report(ROOT, "websocket", figures)


if __name__ == "__main__":
    main()
