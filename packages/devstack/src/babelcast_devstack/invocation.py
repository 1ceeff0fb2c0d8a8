"""How the gateway reaches functions, and the shapes shared by the HTTP and WebSocket servers."""

from __future__ import annotations

import asyncio
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


class IntegrationTimeout(Exception):
    """The integration's ``timeout_milliseconds`` passed before the function answered."""


class Invoker(Protocol):
    async def invoke(self, function_arn: str, event: Mapping[str, Any]) -> Any: ...


def aws_id() -> str:
    """An id in API Gateway's form (request, connection, message and extended request ids): 11
    random bytes in URL-safe base64, 16 characters ending in one ``=``, e.g. ``BFHPhFe3IAMF95g=``."""
    return base64.urlsafe_b64encode(secrets.token_bytes(11)).decode()


request_id = aws_id


def request_time(epoch_ms: int) -> str:
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(epoch_ms / 1000))


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def trace_id() -> str:
    return f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)}"


def forwarded_for(existing: str | None, client_ip: str) -> str:
    """``X-Forwarded-For`` as API Gateway sends it on: the client's address appended to any chain."""
    return f"{existing}, {client_ip}" if existing else client_ip


async def invoke_within(
    invoker: Invoker, function_arn: str, event: Mapping[str, Any], timeout_ms: int, running: set[asyncio.Task[Any]]
) -> Any:
    """Invoke, giving up after the integration timeout. As on AWS, the function is not stopped:
    its invocation goes on (kept in ``running``) and its result is dropped."""
    task: asyncio.Task[Any] = asyncio.ensure_future(invoker.invoke(function_arn, event))
    try:
        return await asyncio.wait_for(asyncio.shield(task), timeout_ms / 1000)
    except TimeoutError:
        running.add(task)
        task.add_done_callback(_forget)
        task.add_done_callback(running.discard)
        raise IntegrationTimeout(function_arn) from None


def _forget(task: asyncio.Task[Any]) -> None:
    if not task.cancelled():
        task.exception()  # retrieved: nobody waits for a result the client no longer gets


def printable(text: str) -> str:
    """``text`` with every control or separator character escaped (``\\n`` as ``\\x0a``): a log
    line stays one line, whatever a client put in a path or a close reason."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c == " " else _escape(c) for c in text)


def _escape(character: str) -> str:
    code = ord(character)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
