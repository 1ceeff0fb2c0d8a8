"""What the domain knows of WebSocket connections: the stored record of one, and what posting to
many of them did."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

SPEAKER_CHANNEL = "speaker"
Role = Literal["speaker", "listener"]


@dataclass(frozen=True)
class ConnectionRecord:
    connection_id: str
    role: Role
    session_id: str | None
    channel: str | None  # the listener's language, or "speaker"; None for a legacy speaker before createSession
    user_id: str | None
    connected_at: int
    expires_at: int
    refresh_sent_at: int | None = None


class ListenerJoinRejected(Exception):
    """The session changed between the read and the join: it ended, vanished or is full."""

    def __init__(self, reason: Literal["ended", "missing", "full"]) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Delivery:
    delivered: int = 0
    gone: list[str] = field(default_factory=list)
    failed: int = 0  # not delivered (and not gone): an error, or throttled past the time left
    undelivered: list[str] = field(default_factory=list)  # those connections, when the poster names them
    throttled: int = 0  # LimitExceededException answers met (each was retried after a backoff)


@dataclass(frozen=True)
class Listener:
    """What posting to a listener and cleaning up after a 410 need of its record."""

    connection_id: str
    connected_at: int


@dataclass(frozen=True)
class Shard:
    """Part of a segment's listeners, delivered by one invocation (babelcast.domain.broadcast).
    ``payload`` is the segment as delivered (sequence included); ``attempt`` counts re-dispatches
    of what an earlier invocation could not deliver."""

    session_id: str
    language: str
    payload: Mapping[str, Any]
    listeners: tuple[Listener, ...]
    attempt: int = 0

    def records(self) -> dict[str, ConnectionRecord]:
        return {
            listener.connection_id: ConnectionRecord(
                listener.connection_id, "listener", self.session_id, self.language, None, listener.connected_at, 0
            )
            for listener in self.listeners
        }
