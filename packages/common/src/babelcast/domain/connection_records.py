"""What the domain knows of WebSocket connections: the stored record of one, and what posting to
many of them did."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

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
    failed: int = 0
