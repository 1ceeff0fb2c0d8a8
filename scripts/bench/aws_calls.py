"""Section "AWS calls": the real handlers called in this process against the stack's emulator, each
AWS call they make recorded (a botocore hook), then replayed bare with boto3 for the comparison."""

from __future__ import annotations

import contextlib
import copy
import json
import os
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore import xform_name

from .common import AUDIO_CHUNK, client, function_environment


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
    # items put back (untimed) before each replay: the state the operation's conditions expected
    restore: tuple[tuple[str, dict[str, Any]], ...] = ()


def capture_operations(inproc: InProcess) -> dict[str, Captured]:
    from babelcast.integration import aws
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
    # conditional writes (the session's write token, the audio ledger's sequence) accept a change
    # once: each replay of one starts from the session item as it was before the captured call
    sessions_table = os.environ["SESSIONS_TABLE_NAME"]

    def session_item() -> tuple[tuple[str, dict[str, Any]], ...]:
        key = {"sessionId": {"S": session_id}}
        return ((sessions_table, aws.dynamodb_client().get_item(TableName=sessions_table, Key=key)["Item"]),)

    before_update = session_item()
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
    before_audio = session_item()
    _, audio_calls = inproc.run(lambda: message_handler.lambda_handler(message_event(speaker_id, body, speaker), None))
    return {
        "create": Captured(
            create_calls, lambda: {sub: f"bench-{secrets.token_hex(4)}", session_id: f"bench-{secrets.token_hex(6)}"}
        ),
        "get": Captured(get_calls, dict),
        "update": Captured(update_calls, dict, before_update),
        "connect": Captured(authorizer_calls + connect_calls, lambda: {listener_id: new_connection_id()}),
        "audio": Captured(audio_calls, dict, before_audio),
    }


def replay(clients: Mapping[str, Any], captured: Captured, repetitions: int) -> list[float]:
    """The operation's AWS calls, in order, with boto3 directly: milliseconds per whole sequence."""
    timings = []
    for _ in range(repetitions):
        calls = [(c, substitute(c.params, captured.replacements())) for c in captured.calls]
        for table, item in captured.restore:
            clients["dynamodb"].put_item(TableName=table, Item=item)
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
