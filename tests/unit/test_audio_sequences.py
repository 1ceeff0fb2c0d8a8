"""A chunk is forwarded once per ``sequence`` (issue 10, failure 6) and a failed chunk is named
in its error (failure 5): a speaker retrying after an error, or API Gateway running the message
route for one connection several times at once, never duplicates audio for the listeners."""

from __future__ import annotations

import base64
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from babelcast.integration import aws as aws_clients

from tests.support.faults import inject
from tests.support.ws_harness import Connection, Ws, chunk, kinesis_records

CHUNK = chunk()
CHUNK_BYTES = len(base64.b64decode(CHUNK))


def send(ws: Ws, speaker: Connection, sequence: Any) -> list[dict[str, Any]]:
    """The replies but audioAck (tests/unit/test_audience.py holds those)."""
    replies = ws.send(speaker, {"action": "sendAudio", "audioData": CHUNK, "sequence": sequence})
    return [reply for reply in replies if reply["type"] != "audioAck"]


def streamed() -> list[int]:
    return [record["sequence"] for record in kinesis_records()]


def audio_bytes(ws: Ws, session_id: str) -> int:
    return int(ws.session_item(session_id).get("audioBytes", {"N": "0"})["N"])


def test_the_issues_sequence_10_10_5_11_forwards_10_and_11_once(ws: Ws) -> None:
    session_id = ws.session()
    speaker = ws.speaker(session_id)
    replies = [send(ws, speaker, sequence) for sequence in (10, 10, 5, 11)]
    assert replies[0] == [] and replies[3] == []
    assert replies[1] == [], "a resend of the newest chunk: no warning (audioAck only)"
    [warning] = replies[2]
    assert streamed() == [10, 11]
    assert audio_bytes(ws, session_id) == 2 * CHUNK_BYTES
    assert (warning["type"], warning["code"], warning["severity"]) == ("error", "AUDIO_OUT_OF_ORDER", "warning")
    assert (warning["sequence"], warning["newestSequence"], warning["forwarded"]) == (5, 10, False)
    assert send(ws, speaker, 12) == [] and streamed() == [10, 11, 12], "the stream goes on"


def test_a_chunk_overtaken_by_a_newer_one_is_forwarded_late_once(ws: Ws) -> None:
    """Invocations of one connection overtake each other: 3 arrives before 2. Chunk 2 was never
    received, so it is forwarded (with a warning: the pipeline sees it after 3); resending it or 3
    forwards nothing more."""
    session_id = ws.session()
    speaker = ws.speaker(session_id)
    assert send(ws, speaker, 1) == [] and send(ws, speaker, 3) == []
    [late] = send(ws, speaker, 2)
    assert (late["code"], late["sequence"], late["newestSequence"], late["forwarded"]) == (
        "AUDIO_OUT_OF_ORDER",
        2,
        3,
        True,
    )
    [again] = send(ws, speaker, 2)
    assert (again["code"], again["forwarded"]) == ("AUDIO_OUT_OF_ORDER", False)
    assert send(ws, speaker, 3) == []
    assert streamed() == [1, 3, 2]
    assert audio_bytes(ws, session_id) == 3 * CHUNK_BYTES


def test_a_failed_chunk_is_named_in_its_error_and_its_resend_is_forwarded(ws: Ws) -> None:
    session_id = ws.session()
    speaker = ws.speaker(session_id)
    send(ws, speaker, 1)
    inject(aws_clients.kinesis_client(), "PutRecord", code="ProvisionedThroughputExceededException")
    [error] = send(ws, speaker, 2)
    assert (error["code"], error["action"], error["sequence"]) == ("SERVICE_UNAVAILABLE", "sendAudio", 2)
    assert send(ws, speaker, 2) == [], "given back: the resend is accepted as the chunk it is"
    assert streamed() == [1, 2]
    assert audio_bytes(ws, session_id) == 2 * CHUNK_BYTES
    inject(aws_clients.dynamodb_client(), "UpdateItem", timeout=True)
    [unreachable] = send(ws, speaker, 3)
    assert (unreachable["code"], unreachable["sequence"]) == ("SERVICE_UNAVAILABLE", 3)
    assert send(ws, speaker, 3) == [] and streamed() == [1, 2, 3]


def test_only_a_valid_sequence_is_repeated_in_an_error(ws: Ws) -> None:
    speaker = ws.speaker(ws.session())
    for sequence in ("7", 2**60, -1, 1.5, True):
        [error] = send(ws, speaker, sequence)
        assert error["code"] == "VALIDATION_ERROR" and "sequence" not in error, sequence
    [error] = ws.send(speaker, {"action": "sendAudio", "audioData": "***", "sequence": 4})
    assert (error["code"], error["sequence"]) == ("INVALID_AUDIO", 4)


def test_paused_audio_is_buffered_once_per_sequence(ws: Ws) -> None:
    session_id = ws.session()
    speaker = ws.speaker(session_id)
    send(ws, speaker, 1)
    ws.send(speaker, {"action": "pauseBroadcast"})
    for sequence in (2, 2, 3, 1, 3):
        send(ws, speaker, sequence)
    assert int(ws.session_item(session_id)["bufferDepth"]["N"]) == 2
    ws.send(speaker, {"action": "resumeBroadcast"})
    assert streamed() == [1, 2, 3]
    assert audio_bytes(ws, session_id) == 3 * CHUNK_BYTES


def test_concurrent_invocations_forward_each_sequence_once(ws_racing: Ws) -> None:
    """Many invocations at once on the emulator (requests applied atomically, as DynamoDB does):
    the same chunk 8 times at once, then 40 chunks in any order. Each sequence reaches the stream
    exactly once; a chunk reported late did reach the stream after a newer one (the reverse need
    not hold: two invocations may put their records in the other order than they were accepted)."""
    sockets = ws_racing
    session_id = sockets.session()
    speaker = sockets.speaker(session_id)
    with ThreadPoolExecutor(max_workers=8) as pool:
        same = list(pool.map(lambda _: send(sockets, speaker, 0), range(8)))
    assert sum(len(replies) for replies in same) == 0
    assert streamed() == [0]
    with ThreadPoolExecutor(max_workers=8) as pool:
        replies = [reply for batch in pool.map(lambda n: send(sockets, speaker, n), range(1, 41)) for reply in batch]
    records = streamed()
    assert sorted(records) == list(range(41)), "every chunk once"
    late = {reply["sequence"] for reply in replies if reply["code"] == "AUDIO_OUT_OF_ORDER"}
    assert all(reply["forwarded"] for reply in replies), replies
    assert late <= {n for i, n in enumerate(records) if n < max(records[:i], default=-1)}
    assert audio_bytes(sockets, session_id) == 41 * CHUNK_BYTES
