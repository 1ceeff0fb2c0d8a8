"""The frame scanner behind the local gateway's 32 KB WebSocket frame limit: it follows frame
boundaries whatever the read sizes, and points at the first oversized data frame."""

from __future__ import annotations

import random

import pytest
from babelcast_devstack.ws_frames import FrameScanner
from websockets.frames import Frame, Opcode

LIMIT = 32 * 1024


def wire(opcode: Opcode, size: int, fin: bool = True) -> bytes:
    return Frame(opcode, b"x" * size, fin=fin).serialize(mask=True, extensions=[])


def scan(stream: bytes, reads: list[int]) -> int | None:
    scanner, position = FrameScanner(LIMIT), 0
    for size in reads:
        found = scanner.violation(stream[position : position + size])
        if found is not None:
            return position + found
        position += size
    return None


@pytest.mark.parametrize("seed", range(20))
def test_the_first_oversized_frame_is_found_at_any_read_size(seed: int) -> None:
    fitting = [
        wire(Opcode.TEXT, 100, fin=False),
        wire(Opcode.CONT, LIMIT - 8),
        wire(Opcode.PING, 4),
        wire(Opcode.TEXT, 125),
        wire(Opcode.BINARY, 300),
    ]
    prefix = b"".join(fitting)
    assert len(fitting[1]) == LIMIT, "a frame of exactly 32 KB, header included, fits"
    stream = prefix + wire(Opcode.TEXT, LIMIT - 7) + wire(Opcode.TEXT, 10)
    rng = random.Random(seed)
    reads = [rng.randint(1, 5000) for _ in range(len(stream))]
    found = scan(stream, reads)
    assert found is not None and len(prefix) - 14 < found <= len(prefix)
    assert scan(prefix, reads) is None


def test_64_bit_lengths_and_control_frames() -> None:
    # the 14-byte header spans two reads: the frame is refused in the read that completes it
    assert scan(wire(Opcode.TEXT, 70_000), [10, 70_000]) == 10
    assert scan(wire(Opcode.TEXT, 70_000), [70_014]) == 0
    assert scan(wire(Opcode.CLOSE, 2) + wire(Opcode.PONG, 0), [1] * 20) is None


def test_a_frame_without_a_mask_is_found_whatever_its_size() -> None:
    """RFC 6455 5.1: a server must close on a client frame that is not masked."""
    unmasked = Frame(Opcode.TEXT, b'{"action": "heartbeat"}').serialize(mask=False, extensions=[])
    scanner = FrameScanner(LIMIT)
    assert scanner.violation(wire(Opcode.TEXT, 10) + unmasked) == len(wire(Opcode.TEXT, 10))
    assert scanner.unmasked
    fresh = FrameScanner(LIMIT)
    assert fresh.violation(wire(Opcode.TEXT, 10)) is None and not fresh.unmasked
