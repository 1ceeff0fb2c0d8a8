"""How the gateway reaches functions, and the shapes shared by the HTTP and WebSocket servers."""

from __future__ import annotations

import base64
import secrets
import time
from collections.abc import Mapping
from typing import Any, Protocol


class InvocationFailed(Exception):
    """A function invocation failed (timeout, unhandled error, crash)."""

    def __init__(self, kind: str, error_type: str = "", error_message: str = "") -> None:
        super().__init__(f"{kind}: {error_type}")
        self.kind = kind
        self.error_type = error_type
        self.error_message = error_message


class Invoker(Protocol):
    async def invoke(self, function_arn: str, event: Mapping[str, Any]) -> Any: ...


def request_id() -> str:
    """An id shaped like API Gateway's (base64 of 10 random bytes, e.g. ``JKJaXmPLvHcESHA=``)."""
    return base64.b64encode(secrets.token_bytes(10)).decode()


def request_time(epoch_ms: int) -> str:
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(epoch_ms / 1000))


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def trace_id() -> str:
    return f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)}"
