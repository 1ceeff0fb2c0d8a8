"""The protocol's audio format (16-bit mono 16 kHz PCM) and API Gateway's size limits: WAV
chunking for speakers and the framing that keeps every WebSocket frame under 32 KB."""

from __future__ import annotations

import wave
from collections.abc import Iterator
from pathlib import Path

# API Gateway closes the socket (1009) on a message over 128 KB or a frame over 32 KB, so longer
# messages go out in fragments; each frame, its header included (at most 14 bytes), fits in 32 KB.
MAX_MESSAGE_BYTES = 128 * 1024
MAX_FRAME_BYTES = 32 * 1024
FRAGMENT_BYTES = MAX_FRAME_BYTES - 14
MAX_SEQUENCE = 2**53 - 1
# {"action": "sendAudio", "audioData": "", "sequence": 9007199254740991} plus headroom
_SEND_AUDIO_OVERHEAD = 96
# The largest raw chunk whose base64 sendAudio message stays under the message limit (~96 KB, 3 s of audio).
MAX_CHUNK_BYTES = (MAX_MESSAGE_BYTES - _SEND_AUDIO_OVERHEAD) // 4 * 3
SAMPLE_RATE = 16_000
SAMPLE_WIDTH = 2  # PCM 16-bit
DEFAULT_CHUNK_MS = 100


def wav_chunks(path: str | Path, chunk_ms: int = DEFAULT_CHUNK_MS) -> Iterator[bytes]:
    """The PCM frames of a WAV file in chunks of ``chunk_ms`` milliseconds. The protocol's audio is
    16-bit mono 16 kHz PCM; anything else is refused here rather than sent garbled."""
    with wave.open(str(path), "rb") as reader:
        channels, width, rate = reader.getnchannels(), reader.getsampwidth(), reader.getframerate()
        if (channels, width, rate) != (1, SAMPLE_WIDTH, SAMPLE_RATE):
            raise ValueError(
                f"{Path(path).name}: {channels} channel(s), {8 * width}-bit, {rate} Hz; the protocol needs mono "
                f"16-bit 16000 Hz PCM (convert with: ffmpeg -i in.wav -ac 1 -ar 16000 -sample_fmt s16 out.wav)"
            )
        frames = max(1, SAMPLE_RATE * chunk_ms // 1000)
        if frames * SAMPLE_WIDTH > MAX_CHUNK_BYTES:
            raise ValueError(f"chunk_ms={chunk_ms} makes chunks over the message limit ({MAX_CHUNK_BYTES} bytes)")
        while chunk := reader.readframes(frames):
            yield chunk


def frames(text: str, limit: int = FRAGMENT_BYTES) -> list[str]:
    """``text`` cut into pieces of at most ``limit`` UTF-8 bytes, never inside a character: one
    WebSocket frame each (a single piece when it fits)."""
    if len(text) * 4 <= limit or len(text.encode()) <= limit:
        return [text]
    pieces: list[str] = []
    start = 0
    while start < len(text):
        end = min(len(text), start + limit)  # at least one byte per character: never over the limit
        while len(text[start:end].encode()) > limit:
            end -= max(1, (len(text[start:end].encode()) - limit) // 4)
        pieces.append(text[start:end])
        start = end
    return pieces


def write_wav(path: str | Path, pcm: bytes) -> None:
    """Write 16-bit mono 16 kHz PCM as a WAV file (handy for tests and demos)."""
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(SAMPLE_WIDTH)
        writer.setframerate(SAMPLE_RATE)
        writer.writeframes(pcm)
