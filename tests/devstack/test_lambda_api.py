"""The local stack's Lambda Invoke API (babelcast_devstack/lambda_api.py), called with boto3 as a
function calls it: an Event invocation answers 202 and runs in the background; RequestResponse
answers the result or the function's error; what Lambda refuses is refused with its error codes."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from babelcast_devstack.lambda_api import LambdaApi
from babelcast_devstack.lambda_runtime import LambdaRuntime
from babelcast_devstack.serving import listen
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.devstack.test_lambda_runtime import NAME, Logs, spec


def _client(url: str) -> Any:
    return boto3.client(
        "lambda",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1}),
    )


def test_invoke_event_and_request_response(tmp_path: Path) -> None:
    marker = tmp_path / "ran"

    async def main() -> dict[str, Any]:
        async with LambdaRuntime(sys.executable, Logs()) as runtime:
            functions = {
                f.spec.arn: f
                for f in (
                    runtime.register(spec("handlers.write")),
                    runtime.register(
                        spec(
                            "handlers.fail",
                            name="failing",
                            arn="arn:aws:lambda:us-east-1:123456789012:function:failing",
                        )
                    ),
                )
            }
            api = LambdaApi(lambda: functions, log=lambda _: None)
            runner, port = await listen(api.application(), "127.0.0.1", 0)
            client = _client(f"http://127.0.0.1:{port}")
            try:
                event = json.dumps({"path": str(marker), "text": "shard"}).encode()
                outcomes: dict[str, Any] = {}
                started = time.monotonic()
                answer = await asyncio.to_thread(
                    client.invoke, FunctionName=NAME, InvocationType="Event", Payload=event
                )
                outcomes["event"] = (answer["StatusCode"], time.monotonic() - started)
                for _ in range(100):  # it runs after the 202
                    if marker.exists():
                        break
                    await asyncio.sleep(0.05)
                outcomes["ran"] = marker.read_text() if marker.exists() else None
                arn = f"arn:aws:lambda:us-east-1:123456789012:function:{NAME}:live"  # by qualified ARN too
                answer = await asyncio.to_thread(client.invoke, FunctionName=arn, Payload=event)
                outcomes["sync"] = (answer["StatusCode"], answer["Payload"].read())
                answer = await asyncio.to_thread(client.invoke, FunctionName="failing", Payload=b'{"value": 1}')
                outcomes["error"] = (answer["FunctionError"], json.loads(answer["Payload"].read())["errorType"])
                for name, kwargs in (
                    ("missing", {"FunctionName": "nope"}),
                    (
                        "too_large",
                        {"FunctionName": NAME, "InvocationType": "Event", "Payload": b'"' + b"x" * 262_144 + b'"'},
                    ),
                    ("not_json", {"FunctionName": NAME, "InvocationType": "Event", "Payload": b"{"}),
                ):
                    with pytest.raises(ClientError) as refused:
                        await asyncio.to_thread(client.invoke, **kwargs)
                    outcomes[name] = refused.value.response["Error"]["Code"]
                return outcomes
            finally:
                await api.stop()
                await runner.cleanup()

    outcomes = asyncio.run(main())
    assert outcomes["event"][0] == 202 and outcomes["event"][1] < 2.0, "answered before the function ran"
    assert outcomes["ran"] == "shard"
    assert outcomes["sync"] == (200, b"null")
    assert outcomes["error"] == ("Unhandled", "ValueError")
    assert outcomes["missing"] == "ResourceNotFoundException"
    assert outcomes["too_large"] == "RequestEntityTooLargeException"
    assert outcomes["not_json"] == "InvalidRequestContentException"
