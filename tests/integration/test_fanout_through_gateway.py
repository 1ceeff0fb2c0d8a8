"""Issue 17 item 1 through the local stack (real Terraform, zips, WebSocket clients and Lambda
Invoke API): a segment for more listeners than a shard holds (the local root sets
broadcast_shard_size = 50) reaches every one of them once, delivered by several invocations of
the broadcast function (the stream's, and the shards it handed to itself)."""

from __future__ import annotations

import json
import time
import uuid
from contextlib import ExitStack

from tests.support.report import record
from tests.support.stack import Speaker, Stack, open_ws, receive

LISTENERS = 110  # shards of 50, 50 and 10


def test_a_segment_reaches_every_listener_through_several_invocations(stack: Stack) -> None:
    session_id = Speaker(stack, f"fanout-{uuid.uuid4().hex[:8]}").create()["sessionId"]
    with ExitStack() as sockets:
        listeners = [
            sockets.enter_context(open_ws(stack, sessionId=session_id, targetLanguage="es")) for _ in range(LISTENERS)
        ]
        written = time.monotonic()
        stack.client("kinesis").put_record(
            StreamName=stack.outputs["translated_segments_stream_name"],
            PartitionKey=session_id,
            Data=json.dumps({"sessionId": session_id, "targetLanguage": "es", "payload": {"text": "hola"}}).encode(),
        )
        received = [receive(socket, "translation") for socket in listeners]
        last = time.monotonic() - written
        assert [(m["text"], m["sequence"]) for m in received] == [("hola", 1)] * LISTENERS
        for socket in listeners[:5]:  # once each: nothing more arrives
            socket.send(json.dumps({"action": "heartbeat"}))
            assert json.loads(socket.recv(timeout=10))["type"] != "translation"
    lines = {  # the stack's logs (a function's line may be in more than one file)
        line[line.index("{") :]
        for path in stack.log_path.parent.glob("*.log")
        for line in path.read_text(errors="replace").splitlines()
        if "broadcast_delivered" in line and session_id in line
    }
    deliveries = [json.loads(line) for line in lines]
    assert sorted(d["listeners"] for d in deliveries) == [10, 50, 50]
    assert sum(d["delivered"] for d in deliveries) == LISTENERS
    assert len({d["aws_request_id"] for d in deliveries}) == 3, "three invocations"
    record("fan-out through the local stack", f"{LISTENERS} listeners, 3 shards: last delivered (s)", round(last, 2))
