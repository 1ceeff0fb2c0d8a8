#!/usr/bin/env python3
"""Measure what clients see while DynamoDB is stalled (issue 10): how long each answer takes and
what it says, through the local stack, for the stalls the issue tried (5 s and 14 s).

Starts `babelcast-dev up` on free ports (or uses the running `make dev` stack with --running),
creates a speaker and a session, then for each stall: stalls DynamoDB with the emulator's fault
endpoint (docs/testing-faults.md) and times GET /health, POST /sessions, GET /sessions/{id} and a
speaker's sendAudio, concurrently, as the stall begins. Prints a table (and the function timeout
each must beat) and writes .local/reports/faults.json.
"""

from __future__ import annotations

import argparse
import base64
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests
from babelcast_devstack import faults
from babelcast_devstack.accounts import create_speaker, log_in
from babelcast_devstack.background import stack_for_benchmark
from babelcast_devstack.bench_report import print_figures, write_report
from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parent.parent
FUNCTION_TIMEOUT_SECONDS = 10  # http_api and ws_message (terraform/functions.tf)
AUDIO = base64.b64encode(b"\x01\x00" * 1600).decode()


def timed(call: Any) -> tuple[Any, float]:
    started = time.monotonic()
    result = call()
    return result, round(time.monotonic() - started, 2)


def measure(document: dict[str, Any], stall_seconds: float) -> dict[str, Any]:
    http, endpoint = document["httpApiUrl"], document["awsEndpointUrl"]
    account = create_speaker(endpoint, document["region"], document["userPoolId"], f"faults-{uuid.uuid4().hex[:6]}")
    token = log_in(endpoint, document["region"], document["userPoolClientId"], account)["idToken"]
    auth = {"Authorization": f"Bearer {token}"}
    session_id = requests.post(f"{http}/sessions", json={"sourceLanguage": "en"}, headers=auth, timeout=30).json()[
        "sessionId"
    ]
    query = urlencode({"sessionId": session_id, "token": token})
    with connect(f"{document['websocketUrl']}?{query}", open_timeout=30) as socket:

        def send_audio() -> dict[str, Any]:
            socket.send(json.dumps({"action": "sendAudio", "audioData": AUDIO, "sequence": 7}))
            reply: dict[str, Any] = json.loads(socket.recv(timeout=60))
            return reply

        calls = {
            "GET /health": lambda: requests.get(f"{http}/health", timeout=60),
            "POST /sessions": lambda: requests.post(
                f"{http}/sessions", json={"sourceLanguage": "en"}, headers=auth, timeout=60
            ),
            "GET /sessions/{id}": lambda: requests.get(f"{http}/sessions/{session_id}", timeout=60),
        }
        stall = {"action": "stall", "service": "dynamodb", "seconds": stall_seconds}
        with faults.faulted(endpoint, **stall), ThreadPoolExecutor(len(calls) + 1) as pool:
            futures = {name: pool.submit(timed, call) for name, call in calls.items()}
            audio = pool.submit(timed, send_audio)
            results = {name: future.result() for name, future in futures.items()}
            reply, audio_seconds = audio.result()
    figures: dict[str, Any] = {}
    for name, (response, seconds) in results.items():
        body = response.json() if response.headers.get("Content-Type") == "application/json" else {}
        said = body.get("code") or body.get("status") or body.get("message")
        if name == "GET /health":
            said = f"{body.get('status')}, dynamodb {body.get('checks', {}).get('dynamodb', {}).get('status')}"
        figures[name] = f"{response.status_code} {said} in {seconds} s"
    figures["sendAudio"] = f"{reply.get('code')} (sequence {reply.get('sequence')}) in {audio_seconds} s"
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--running", action="store_true", help="measure the running `make dev` stack")
    parser.add_argument("--stalls", type=float, nargs="+", default=[5.0, 14.0], help="stall lengths (s)")
    args = parser.parse_args()
    report: dict[str, Any] = {"function timeout (s)": FUNCTION_TIMEOUT_SECONDS}
    with stack_for_benchmark(args.running) as (document, _, _):
        for stall in args.stalls:
            report[f"DynamoDB stalled {stall:g} s"] = measure(document, stall)
            time.sleep(1)
    flat: dict[str, Any] = {}
    for stall, values in report.items():
        for call, value in values.items() if isinstance(values, dict) else [("", values)]:
            flat[f"{stall}: {call}" if call else stall] = value
    print_figures(flat)
    print(f"report: {write_report(ROOT, 'faults', report)}")


if __name__ == "__main__":
    main()
