#!/usr/bin/env python3
"""Prints the largest WebSocket frame the Python client sends, against API Gateway's 32 KB frame
quota (a larger frame closes the socket with 1009): for the largest audio chunk the SDK accepts,
for `babelcast stream --chunk-ms 1000` and for the default 100 ms chunks.

    .venv/bin/python scripts/measure_client_frames.py

Frames are measured on the wire by a local server (tests/support/frame_recorder.py) that, like
API Gateway, negotiates no compression."""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.support.frame_recorder

from babelcast_client import SpeakerClient, StaticTokenProvider  # noqa: E402
from babelcast_client import audio as sdk  # noqa: E402

from tests.support.frame_recorder import FrameRecorder  # noqa: E402

QUOTA = 32 * 1024


def largest_frame(chunk_bytes: int) -> tuple[int, int]:
    """(largest frame, frames) for one sendAudio message carrying ``chunk_bytes`` of PCM."""
    recorder = FrameRecorder()
    try:
        with SpeakerClient(recorder.url, "blessed-shepherd-427", StaticTokenProvider("t"), heartbeat_interval=0) as c:
            c.send_audio(b"\x01\x02" * (chunk_bytes // 2))
            deadline = time.monotonic() + 10
            while not recorder.messages and time.monotonic() < deadline:
                time.sleep(0.01)
        return max(recorder.frames), len(recorder.frames)
    finally:
        recorder.close()


def main() -> None:
    cases = {
        f"largest chunk the SDK accepts ({sdk.MAX_CHUNK_BYTES} bytes of PCM)": sdk.MAX_CHUNK_BYTES,
        "babelcast stream --chunk-ms 1000 (32000 bytes of PCM)": 32_000,
        "babelcast stream default --chunk-ms 100 (3200 bytes of PCM)": 3_200,
    }
    print(f"API Gateway frame quota: {QUOTA} bytes")
    for label, size in cases.items():
        frame, count = largest_frame(size)
        verdict = "within the quota" if frame <= QUOTA else "OVER the quota: API Gateway closes with 1009"
        print(f"{label}: largest frame {frame} bytes in {count} frame(s), {verdict}")


if __name__ == "__main__":
    main()
