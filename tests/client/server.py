"""A real HTTP server on 127.0.0.1 (stdlib, own thread, free port) that answers from a script:
each request takes the next step — a response, an abrupt connection reset, or a stall."""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Reset:
    """Close the socket with a TCP RST before answering."""


@dataclass
class Stall:
    """Answer only after ``seconds`` (longer than the client's timeout)."""

    seconds: float
    then: Reply = field(default_factory=lambda: Reply(200, {}))


Step = Reply | Reset | Stall


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    at: float


def session_body(session_id: str = "calm-river-123", **changes: Any) -> dict[str, Any]:
    body = {
        "sessionId": session_id,
        "speakerId": "sub-1",
        "sourceLanguage": "en",
        "qualityTier": "standard",
        "status": "active",
        "listenerCount": 0,
        "createdAt": 1710348000000,
        "updatedAt": 1710348000000,
        "expiresAt": 1710434400000,
        "endedAt": None,
        "version": 1,
    }
    return {**body, **changes}


def error_body(code: str, message: str = "The request is invalid.", **extra: Any) -> dict[str, Any]:
    return {"code": code, "message": message, "timestamp": 1710348000000, **extra}


class ScriptedServer:
    def __init__(self, *steps: Step) -> None:
        self.steps: deque[Step] = deque(steps)
        self.received: list[Received] = []
        self.stopping = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                server.received.append(
                    Received(
                        self.command,
                        self.path,
                        dict(self.headers.items()),
                        json.loads(raw) if raw else None,
                        time.monotonic(),
                    )
                )
                step = server.steps.popleft() if server.steps else Reply(500, error_body("INTERNAL_ERROR"))
                if isinstance(step, Reset):
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.connection.close()
                    self.close_connection = True
                    return
                if isinstance(step, Stall):
                    server.stopping.wait(step.seconds)
                    step = step.then
                self._reply(step)

            def _reply(self, reply: Reply) -> None:
                correlation_id = self.headers.get("X-Correlation-Id") or "server-generated-id"
                body = reply.body
                if isinstance(body, dict) and "code" in body:
                    body = {"correlationId": correlation_id, **body}  # as the API: in every error body
                data = b"" if body is None else json.dumps(body).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.send_header("X-Correlation-Id", correlation_id)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up (timeout) and closed

            do_GET = do_POST = do_PATCH = do_DELETE = _serve  # noqa: N815 - the names http.server dispatches to

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # resets and abandoned stalls are the point here

        self._server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()

    @property
    def attempts(self) -> int:
        return len(self.received)
