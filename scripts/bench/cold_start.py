"""Section "cold starts": each function's zip in a fresh Lambda-like Python 3.12 interpreter (import +
first invocation) against the stack, next to the baseline `import boto3` + a client."""

from __future__ import annotations

import base64
import json
import secrets
import statistics
import subprocess
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import babelcast_devstack
from babelcast_devstack.runtime_python import runtime_environment

from .aws_calls import InProcess
from .common import AUDIO_CHUNK, ROOT, function_environment

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
