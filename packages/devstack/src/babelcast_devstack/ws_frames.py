"""API Gateway's WebSocket frame-size quota (32 KB), which aiohttp does not have.

aiohttp limits whole messages only. ``FrameLimitedResponse`` puts a small frame-header scanner in
front of aiohttp's frame parser: it follows the frame boundaries of everything the client sends
and, at the first data frame larger than the quota, fails the connection with 1009 ("message too
big") exactly as aiohttp does for an oversized message — as API Gateway does for a large frame.

The frame is counted whole (header and payload): AWS documents "WebSocket frame size 32 KB"
without saying whether the header counts, and counting it is the stricter reading, so a client
that passes here passes on AWS.

The scanner hooks aiohttp internals (the protocol's payload parser and the response's data
queue); ``prepare`` fails loudly if they are missing rather than serve without the limit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import WSCloseCode, web
from aiohttp.http_websocket import WebSocketError

MAX_FRAME_BYTES = 32 * 1024
_DATA_OPCODES = {0x0, 0x1, 0x2}  # continuation, text, binary


class FrameTooBig(WebSocketError):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(WSCloseCode.MESSAGE_TOO_BIG, f"Frame size {size} exceeds limit {limit}")


class FrameNotMasked(WebSocketError):
    def __init__(self) -> None:
        super().__init__(WSCloseCode.PROTOCOL_ERROR, "Received a frame that is not masked")


class FrameScanner:
    """Follows frame boundaries in a client's byte stream (RFC 6455 section 5.2) and reports the
    first data frame over ``limit`` bytes, or the first frame without a mask (a server "MUST close
    the connection upon receiving a frame that is not masked", section 5.1; aiohttp reads them).
    Bytes before that frame are passed on untouched."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.data_frames = 0  # data frames whose header has arrived (the client's activity)
        self.unmasked = False  # the violation found is a frame without a mask (else: too big)
        self._header = bytearray()  # bytes of the current frame header read so far
        self._skip = 0  # payload bytes of the current frame still to come

    def violation(self, data: bytes) -> int | None:
        """Offset in ``data`` where an oversized or unmasked frame starts, or None."""
        position = 0
        header_start = 0  # where the current header began in ``data`` (0 if in an earlier chunk)
        while position < len(data):
            if self._skip:
                step = min(self._skip, len(data) - position)
                self._skip -= step
                position += step
                continue
            if not self._header:
                header_start = position
            self._header.append(data[position])  # headers are 2-14 bytes: byte by byte is fine
            position += 1
            if len(self._header) < 2 or len(self._header) < self._header_length():
                continue
            payload = self._payload_length()
            opcode = self._header[0] & 0x0F
            size = len(self._header) + payload
            masked = bool(self._header[1] & 0x80)
            self._header.clear()
            if not masked:
                self.unmasked = True
                return header_start
            if opcode in _DATA_OPCODES:
                if size > self.limit:
                    return header_start
                self.data_frames += 1
            self._skip = payload
        return None

    def _header_length(self) -> int:
        if len(self._header) < 2:
            return 2
        length_flag = self._header[1] & 0x7F
        extended = 2 if length_flag == 126 else 8 if length_flag == 127 else 0
        mask = 4 if self._header[1] & 0x80 else 0
        return 2 + extended + mask

    def _payload_length(self) -> int:
        length_flag = self._header[1] & 0x7F
        if length_flag == 126:
            return int.from_bytes(self._header[2:4], "big")
        if length_flag == 127:
            return int.from_bytes(self._header[2:10], "big")
        return length_flag


class _GuardedParser:
    """Stands in for aiohttp's frame parser: scans, then feeds it; fails the socket on a big frame,
    and reports each data frame's arrival (API Gateway's idle timer counts client messages as they
    arrive, however long the route takes to answer the previous one)."""

    def __init__(self, parser: Any, queue: Any, limit: int, on_activity: Callable[[], None]) -> None:
        self._parser = parser
        self._queue = queue
        self._scanner = FrameScanner(limit)
        self._on_activity = on_activity
        self._failed = False

    def feed_data(self, data: bytes) -> tuple[bool, bytes]:
        if self._failed:
            return True, b""
        data = bytes(data)
        seen = self._scanner.data_frames
        offset = self._scanner.violation(data)
        if self._scanner.data_frames != seen:
            self._on_activity()
        if offset is None:
            result: tuple[bool, bytes] = self._parser.feed_data(data)
            return result
        if offset:
            self._parser.feed_data(data[:offset])  # whole frames before the big one are delivered
        self._failed = True
        failure = FrameNotMasked() if self._scanner.unmasked else FrameTooBig(len(data) - offset, self._scanner.limit)
        self._queue.set_exception(failure)
        return True, b""

    def feed_eof(self) -> None:
        self._parser.feed_eof()


class FrameLimitedResponse(web.WebSocketResponse):
    """A WebSocketResponse that closes with 1009 on any data frame over ``max_frame_bytes``."""

    def __init__(self, *, max_frame_bytes: int = MAX_FRAME_BYTES, **options: Any) -> None:
        super().__init__(**options)
        self._max_frame_bytes = max_frame_bytes
        self.on_activity: Callable[[], None] = lambda: None  # called as each client data frame arrives

    def _post_start(self, request: web.BaseRequest, protocol: str | None, writer: Any) -> None:
        handler = request.protocol
        if not hasattr(handler, "_payload_parser") or not hasattr(handler, "_message_tail"):
            raise RuntimeError("aiohttp internals changed: the 32 KB WebSocket frame limit cannot be enforced")
        tail, handler._message_tail = handler._message_tail, b""  # scanned below, not behind our back
        super()._post_start(request, protocol, writer)
        guard = _GuardedParser(handler._payload_parser, self._reader, self._max_frame_bytes, self.on_activity)
        handler._payload_parser = guard
        if tail:
            guard.feed_data(tail)
