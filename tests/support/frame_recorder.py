"""A WebSocket server on 127.0.0.1 that records the wire size of every data frame a client sends
(as API Gateway measures frames against its 32 KB quota) and the messages they make up."""

from __future__ import annotations

import threading
from typing import Any

from websockets.frames import Frame, Opcode
from websockets.sync.server import ServerConnection, serve

_DATA = {Opcode.TEXT, Opcode.BINARY, Opcode.CONT}


def wire_size(payload: int, masked: bool = True) -> int:
    """Bytes on the wire of a frame with ``payload`` bytes (RFC 6455 section 5.2)."""
    extended = 0 if payload < 126 else 2 if payload < 65536 else 8
    return 2 + extended + (4 if masked else 0) + payload


class FrameRecorder:
    def __init__(self) -> None:
        self.frames: list[int] = []
        self.messages: list[str | bytes] = []
        self._lock = threading.Lock()
        recorder = self

        class Recording(ServerConnection):
            def process_event(self, event: Any) -> None:
                if isinstance(event, Frame) and event.opcode in _DATA:
                    with recorder._lock:
                        recorder.frames.append(wire_size(len(event.data)))
                super().process_event(event)

        def handler(connection: ServerConnection) -> None:
            for message in connection:
                with self._lock:
                    self.messages.append(message)

        # no permessage-deflate, as on API Gateway: frames are measured as the client writes them
        self._server = serve(handler, "127.0.0.1", 0, create_connection=Recording, compression=None, max_size=None)
        self.url = f"ws://127.0.0.1:{self._server.socket.getsockname()[1]}/live"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
