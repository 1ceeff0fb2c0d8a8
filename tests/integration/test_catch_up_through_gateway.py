"""Issue 17 item 5 through the local stack (real Terraform, zips and WebSocket clients): segments
from the translated stream carry a sequence per language; a listener that dropped catches up with
``catchUp {afterSequence}`` (latency measured), a late joiner with ``catchUp {seconds}``."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from websockets.sync.client import ClientConnection

from tests.support.report import record
from tests.support.stack import Speaker, Stack, open_ws, receive


def _segment(stack: Stack, session_id: str, text: str, language: str = "es") -> None:
    segment = {"sessionId": session_id, "targetLanguage": language, "payload": {"type": "translatedText", "text": text}}
    stack.client("kinesis").put_record(
        StreamName=stack.outputs["translated_segments_stream_name"],
        PartitionKey=session_id,
        Data=json.dumps(segment).encode(),
    )


def _catch_up(socket: ClientConnection, body: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any], float]:
    sent_at = time.monotonic()
    socket.send(json.dumps({"action": "catchUp", **body}))
    replayed: list[dict[str, Any]] = []
    while True:
        message: dict[str, Any] = json.loads(socket.recv(timeout=20))
        if message["type"] == "catchUpComplete":
            return replayed, message, time.monotonic() - sent_at
        if message.get("replayed"):
            replayed.append(message)


def test_a_dropped_listener_catches_up_in_order_and_a_late_one_by_seconds(stack: Stack) -> None:
    session_id = Speaker(stack, f"catch-up-{uuid.uuid4().hex[:8]}").create()["sessionId"]
    with open_ws(stack, sessionId=session_id, targetLanguage="es") as staying:
        with open_ws(stack, sessionId=session_id, targetLanguage="es") as dropping:
            for n in (1, 2, 3):
                _segment(stack, session_id, f"uno-{n}")
            seen = [receive(dropping, "translatedText") for _ in range(3)]
            assert [(m["sequence"], m["text"]) for m in seen] == [(1, "uno-1"), (2, "uno-2"), (3, "uno-3")]
        _segment(stack, session_id, "uno-4")  # while it is away
        _segment(stack, session_id, "other", language="fr")  # another language: its own sequence
        _segment(stack, session_id, "uno-5")
        live = [receive(staying, "translatedText") for _ in range(5)]
        assert [m["sequence"] for m in live] == [1, 2, 3, 4, 5]
        with open_ws(stack, sessionId=session_id, targetLanguage="es") as back:
            replayed, complete, after_drop = _catch_up(back, {"afterSequence": 3})
            assert [(m["sequence"], m["text"]) for m in replayed] == [(4, "uno-4"), (5, "uno-5")]
            assert complete == {"type": "catchUpComplete", "lastSequence": 5, "replayed": 2}
        with open_ws(stack, sessionId=session_id, targetLanguage="es") as late:
            replayed, complete, late_join = _catch_up(late, {"seconds": 60})
            assert [m["sequence"] for m in replayed] == [1, 2, 3, 4, 5]
    for name, seconds in (("afterSequence (2 segments)", after_drop), ("seconds (5 segments)", late_join)):
        record("catchUp latency through the local stack (s)", name, round(seconds, 3))
