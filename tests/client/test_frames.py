"""The speaker client keeps within API Gateway's WebSocket quotas: frames of at most 32 KB
(longer messages fragmented), messages of at most 128 KB (docs/websocket-protocol.md)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from babelcast_client import SpeakerClient, StaticTokenProvider
from babelcast_client.audio import MAX_CHUNK_BYTES, MAX_FRAME_BYTES, MAX_MESSAGE_BYTES, frames

from tests.support.frame_recorder import FrameRecorder


@pytest.fixture
def recorder() -> Iterator[FrameRecorder]:
    server = FrameRecorder()
    yield server
    server.close()


def wait_for_messages(recorder: FrameRecorder, count: int) -> None:
    deadline = time.monotonic() + 10
    while len(recorder.messages) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(recorder.messages) >= count


def test_the_largest_audio_chunk_goes_out_in_frames_of_at_most_32_kb(recorder: FrameRecorder) -> None:
    pcm = bytes(range(256)) * (MAX_CHUNK_BYTES // 256) + b"\x00" * (MAX_CHUNK_BYTES % 256)
    speaker = SpeakerClient(recorder.url, "blessed-shepherd-427", StaticTokenProvider("t"), heartbeat_interval=0)
    with speaker:
        speaker.send_audio(pcm)
        speaker.send_audio(pcm[:3200])  # 100 ms: one frame
        wait_for_messages(recorder, 2)
    big, small = (json.loads(m) for m in recorder.messages[:2])
    assert len(recorder.messages[0]) > MAX_FRAME_BYTES, "the message itself is larger than one frame"
    assert (big["sequence"], small["sequence"]) == (0, 1)
    assert len(big["audioData"]) == (MAX_CHUNK_BYTES + 2) // 3 * 4, "reassembled whole"
    assert max(recorder.frames) <= MAX_FRAME_BYTES
    assert len(recorder.frames) >= 5, "the 128 KB message took several frames"


def test_messages_over_128_kb_are_refused_before_sending(recorder: FrameRecorder) -> None:
    speaker = SpeakerClient(recorder.url, "blessed-shepherd-427", StaticTokenProvider("t"), heartbeat_interval=0)
    with speaker:
        with pytest.raises(ValueError, match="at most"):
            speaker.send({"action": "sendAudio", "audioData": "x" * MAX_MESSAGE_BYTES})
        with pytest.raises(ValueError, match="at most"):
            speaker.send_audio(b"\x00" * (MAX_CHUNK_BYTES + 1))
    assert recorder.frames == []


def test_frames_never_split_a_character() -> None:
    text = "é€😀" * 20_000
    pieces = frames(text, limit=1000)
    assert "".join(pieces) == text
    assert all(len(piece.encode()) <= 1000 for piece in pieces)
    assert frames("short") == ["short"]
