"""Speaker and listener WebSocket clients (docs/websocket-protocol.md).

Both keep the connection alive with ``heartbeat`` messages on a timer (API Gateway closes idle
sockets after 10 minutes), read the server's messages on a background thread, and reconnect with
the same ``sessionId`` when the server drops the socket without ending the session, or asks for it
(``connectionRefreshRequired``, sent before API Gateway's 2-hour limit)."""

from __future__ import annotations

import json
import logging
import math
import random
import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Self
from urllib.parse import urlencode

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from babelcast_client.audio import (
    MAX_MESSAGE_BYTES,
    frames,
)
from babelcast_client.errors import (
    FRIENDLY_MESSAGES,
    ApiError,
    BabelcastError,
    WebSocketError,
    error_class,
)
from babelcast_client.retry import backoff

LOG = logging.getLogger("babelcast_client")

DEFAULT_HEARTBEAT_SECONDS = 240.0

_REFUSED = {
    400: "The WebSocket connection was refused: the session id or the language is invalid.",
    401: "The WebSocket connection was refused: the token is invalid or expired.",
    403: "The WebSocket connection was refused: the session has ended, or it is not yours.",
    404: "The WebSocket connection was refused: session not found.",
    429: "The WebSocket connection was refused: the session has too many listeners.",
}
_PERMANENT_REFUSALS = {400, 403, 404}


@dataclass(frozen=True)
class ReconnectPolicy:
    """How often and how patiently a dropped socket is reopened (exponential backoff with jitter)."""

    max_attempts: int = 5
    base_delay: float = 0.5
    multiplier: float = 2.0
    max_delay: float = 10.0
    jitter: float = 0.1

    def delay(self, attempt: int, rng: random.Random) -> float:
        nominal = backoff(self.base_delay, self.multiplier, self.max_delay, attempt)
        return nominal * rng.uniform(1 - self.jitter, 1 + self.jitter)


def refused(error: InvalidStatus) -> ApiError:
    """A refused handshake as a typed error (the status is the only thing API Gateway sends)."""
    status = error.response.status_code
    code = {401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "SESSION_NOT_FOUND", 429: "TOO_MANY_LISTENERS"}.get(
        status, "CONNECTION_REFUSED"
    )
    message = (
        _REFUSED.get(status) or FRIENDLY_MESSAGES.get(status) or f"The WebSocket connection was refused ({status})."
    )
    return error_class(status)(status, code, message)


class _Inbox:
    """Received messages, oldest first; bounded so an unread speaker inbox cannot grow forever."""

    def __init__(self, size: int = 1000) -> None:
        self._items: deque[dict[str, Any]] = deque(maxlen=size)
        self._ready = threading.Condition()
        self.closed = False

    def put(self, message: dict[str, Any]) -> None:
        with self._ready:
            self._items.append(message)
            self._ready.notify_all()

    def finish(self) -> None:
        with self._ready:
            self.closed = True
            self._ready.notify_all()

    def take(
        self, timeout: float | None, wanted: Callable[[dict[str, Any]], bool] | None = None
    ) -> dict[str, Any] | None:
        """The first (wanted) message, waiting up to ``timeout``; None on timeout or after the end.
        Other messages stay in the inbox, in order, for a later call."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._ready:
            while True:
                for index, message in enumerate(self._items):
                    if wanted is None or wanted(message):
                        del self._items[index]
                        return message
                if self.closed:
                    return None
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                self._ready.wait(remaining)


class _LiveSocket(ABC):
    def __init__(
        self,
        url: str,
        *,
        heartbeat_interval: float | None = DEFAULT_HEARTBEAT_SECONDS,
        reconnect: ReconnectPolicy | None = None,
        open_timeout: float = 10.0,
        rng: random.Random | None = None,
    ) -> None:
        self.url = url
        self.heartbeat_interval = heartbeat_interval
        self.reconnect_policy = reconnect or ReconnectPolicy()
        self.open_timeout = open_timeout
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not security
        self.reconnects = 0
        self.ended: dict[str, Any] | None = None  # the sessionEnded message, once received
        self.error: BabelcastError | None = None  # why the socket stopped, if not on purpose
        self._connection: ClientConnection | None = None
        self._connected = threading.Event()
        self._closing = threading.Event()
        self._send_lock = threading.Lock()
        self._inbox = _Inbox()
        self._threads: list[threading.Thread] = []

    @abstractmethod
    def _query(self) -> dict[str, str]:
        """The query string of the next connection attempt."""

    def _on_refused(self, error: ApiError) -> bool:
        """Whether to try again after this refusal: a full session (429) or a server error may pass."""
        return error.status >= 500 or error.status == 429

    # --- lifecycle --------------------------------------------------------------------------------

    def connect(self) -> None:
        self._connection = self._open()
        self._connected.set()
        self._start(self._receive_loop, "receiver")
        if self.heartbeat_interval:
            self._start(self._heartbeat_loop, "heartbeat")

    def close(self) -> None:
        self._closing.set()
        connection = self._connection
        if connection is not None:
            connection.close()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout=15)
        if self._connection is not None and self._connection is not connection:
            self._connection.close()  # reopened by the receiver while we were closing
        self._inbox.finish()

    def __enter__(self) -> Self:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def connected(self) -> bool:
        return self._connected.is_set() and not self._closing.is_set()

    def _start(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=f"babelcast-{name}", daemon=True)
        self._threads.append(thread)
        thread.start()

    def _open(self) -> ClientConnection:
        query = urlencode(self._query())
        try:
            return connect(f"{self.url}?{query}", open_timeout=self.open_timeout, close_timeout=5, legacy=True)
        except InvalidStatus as error:
            raise refused(error) from None
        except (OSError, InvalidHandshake, TimeoutError) as error:
            raise WebSocketError(f"Cannot open the WebSocket at {self.url}: {type(error).__name__}.") from None

    # --- sending ------------------------------------------------------------------------------------

    def send(self, message: dict[str, Any], *, wait_for_reconnect: float = 30.0) -> None:
        """Send one JSON message, in frames of at most 32 KB. If the socket is being reopened, wait
        for it and send on the new one."""
        text = json.dumps(message, separators=(",", ":"))
        if len(text.encode()) > MAX_MESSAGE_BYTES:
            raise ValueError(f"a message is at most {MAX_MESSAGE_BYTES} bytes (API Gateway's limit)")
        fragments = frames(text)
        for _ in range(2):
            if self._inbox.closed or not self._connected.wait(wait_for_reconnect) or self._closing.is_set():
                break  # the receiver has stopped (ended, closed, or could not reopen), or it takes too long
            connection = self._connection
            assert connection is not None
            try:
                with self._send_lock:
                    connection.send(fragments[0] if len(fragments) == 1 else fragments)
            except ConnectionClosed:
                if self._connection is connection:
                    self._connected.clear()  # the receiver will notice too, and reopen
                continue
            return
        raise self.error or WebSocketError("The WebSocket is closed.")

    def heartbeat(self) -> None:
        self.send({"action": "heartbeat"})

    def request_status(self) -> None:
        """Ask for ``sessionStatus`` (read it with ``next_message("sessionStatus")``)."""
        self.send({"action": "getSessionStatus"})

    def next_message(self, *types: str, timeout: float | None = 30.0) -> dict[str, Any] | None:
        """The next received message (of one of ``types`` if given); None on timeout or when closed."""
        return self._inbox.take(timeout, (lambda m: m.get("type") in types) if types else None)

    # --- background threads ----------------------------------------------------------------------

    def _heartbeat_loop(self) -> None:
        assert self.heartbeat_interval
        while not self._closing.wait(self.heartbeat_interval):
            try:
                self.send({"action": "heartbeat"}, wait_for_reconnect=0)
            except BabelcastError:
                LOG.debug("heartbeat skipped: the socket is reconnecting")

    def _receive_loop(self) -> None:
        try:
            while not self._closing.is_set():
                connection = self._connection
                assert connection is not None
                try:
                    raw = connection.recv()
                except ConnectionClosed as closed:
                    if self._closing.is_set() or self.ended is not None:
                        return
                    if connection is not self._connection:
                        continue  # replaced on purpose (connectionRefreshRequired)
                    self._connected.clear()
                    code = closed.rcvd.code if closed.rcvd else 1006
                    LOG.warning("the server closed the WebSocket (code %s): reconnecting", code)
                    if not self._reopen():
                        return
                    continue
                self._handle(raw)
        finally:
            self._connected.clear()
            self._inbox.finish()

    def _handle(self, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            message = None
        if not isinstance(message, dict):
            LOG.warning("ignored a WebSocket message that is not a JSON object")
            return
        kind = message.get("type")
        self._on_message(message)
        if not self._accept(message):
            return
        if kind == "sessionEnded":
            self.ended = message
        elif kind == "connectionRefreshRequired":
            self._refresh_connection()
        self._inbox.put(message)

    def _on_message(self, message: dict[str, Any]) -> None:  # noqa: B027 - optional hook, no-op by default
        """A hook for the role's own messages, called on the receiving thread before the inbox."""

    def _accept(self, message: dict[str, Any]) -> bool:
        """Whether ``message`` goes to the inbox (a role may drop what it has already seen)."""
        return True

    def _after_reopen(self) -> None:  # noqa: B027 - optional hook, no-op by default
        """A hook run once a dropped socket is open again (before anything else is sent on it)."""

    def _refresh_connection(self) -> None:
        """Open the new socket before closing the old one, so nothing is missed in between."""
        try:
            fresh = self._open()
        except BabelcastError as error:
            LOG.warning("connectionRefreshRequired: reopening failed (%s); will retry when the socket closes", error)
            return
        old, self._connection = self._connection, fresh
        self.reconnects += 1
        if old is not None:
            old.close()

    def _reopen(self) -> bool:
        policy = self.reconnect_policy
        for attempt in range(1, policy.max_attempts + 1):
            if self._closing.wait(policy.delay(attempt, self.rng)):
                return False
            try:
                self._connection = self._open()
            except ApiError as error:
                if error.status in _PERMANENT_REFUSALS or not self._on_refused(error):
                    self.error = error
                    return False
                continue
            except WebSocketError as error:
                self.error = error
                continue
            self.reconnects += 1
            self.error = None
            self._after_reopen()
            self._connected.set()
            LOG.info("WebSocket reopened (attempt %d)", attempt)
            return True
        self.error = WebSocketError(
            f"The WebSocket was dropped and could not be reopened after {policy.max_attempts} attempts."
            + (f" Last error: {self.error.message}" if self.error else "")
        )
        return False


# Messages that carry a ``sequence`` of their own kind, not a segment's
_NOT_SEGMENTS = frozenset({"error", "audioAck", "catchUpComplete"})


class ListenerClient(_LiveSocket):
    """Receives a session's events and the translation pipeline's output for one language.

    Iterate it for the messages (heartbeat acknowledgements excluded); iteration ends after
    ``sessionEnded`` or ``close()``, and raises if the socket was dropped and could not be reopened.

    Segments carry a ``sequence`` (per session and language): after a reconnect the client sends
    ``catchUp`` with the last one it saw and the server replays what was missed (``replayed:
    true``), then ``catchUpComplete``; a segment whose sequence was seen already is dropped."""

    def __init__(self, url: str, session_id: str, target_language: str, **options: Any) -> None:
        super().__init__(url, **options)
        self.session_id = session_id
        self.target_language = target_language
        self.last_sequence: int | None = None  # the highest segment sequence seen in this language
        self._first_open: float | None = None

    def connect(self) -> None:
        super().connect()
        self._first_open = time.monotonic()

    def catch_up(self, *, after_sequence: int | None = None, seconds: int | None = None) -> None:
        """Ask for the kept segments after ``after_sequence`` or of the last ``seconds`` (a late
        join); reconnects do this by themselves."""
        if (after_sequence is None) == (seconds is None):
            raise ValueError("give either after_sequence or seconds")
        body = {"afterSequence": after_sequence} if after_sequence is not None else {"seconds": seconds}
        self.send({"action": "catchUp", **body})

    def _accept(self, message: dict[str, Any]) -> bool:
        sequence = message.get("sequence")
        if type(sequence) is not int or message.get("type") in _NOT_SEGMENTS:
            return True
        if self.last_sequence is not None and sequence <= self.last_sequence:
            return False  # seen already: live and replayed, or delivered again by a retry
        self.last_sequence = sequence
        return True

    def _after_reopen(self) -> None:
        """Ask for what was missed while the socket was down, before anything else is sent."""
        if self.last_sequence is not None:
            body: dict[str, Any] = {"afterSequence": self.last_sequence}
        else:  # nothing seen yet: everything since the first connection
            since = time.monotonic() - (self._first_open or time.monotonic())
            body = {"seconds": min(3600, max(1, math.ceil(since)))}
        connection = self._connection
        if connection is None:
            return
        try:
            with self._send_lock:
                connection.send(json.dumps({"action": "catchUp", **body}, separators=(",", ":")))
        except ConnectionClosed:
            LOG.warning("catchUp not sent: the new socket closed")

    def _query(self) -> dict[str, str]:
        return {"sessionId": self.session_id, "targetLanguage": self.target_language}

    def __iter__(self) -> Iterator[dict[str, Any]]:
        while True:
            message = self._inbox.take(None)
            if message is None:
                if self.error is not None:
                    raise self.error
                return
            if message.get("type") != "heartbeatAck":
                yield message

    def change_language(self, target_language: str) -> None:
        """Switch language; later reconnects use the new one too."""
        self.send({"action": "changeLanguage", "targetLanguage": target_language})
        self.target_language = target_language
        self.last_sequence = None  # sequences are per language
