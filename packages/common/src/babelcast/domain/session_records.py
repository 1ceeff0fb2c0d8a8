"""What the domain reads and writes about sessions through its ports (babelcast.domain.ports);
the integration layer maps these to and from DynamoDB items."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Literal

from babelcast.models import Session


class WriteRejected(Exception):
    """A conditional write failed; ``current`` is the item as it was (None if absent)."""

    def __init__(self, current: Session | None) -> None:
        super().__init__("conditional write rejected")
        self.current = current


@dataclass(frozen=True)
class SessionsPage:
    sessions: list[Session]
    last_key: dict[str, str] | None


@dataclass(frozen=True)
class Quota:
    """A fixed-window limit: at most ``limit`` counted events per window under ``key``."""

    key: str
    limit: int
    window_start: int  # epoch seconds
    window_seconds: int
    # the client's call this creation answers (kept for CALL_SECONDS): its retry finds the session
    call_key: str | None = None

    CALL_SECONDS = 600

    @property
    def window_end(self) -> int:
        return self.window_start + self.window_seconds


class InsertOutcome(Enum):
    CREATED = "created"
    ID_TAKEN = "id taken"
    LIMITED = "limited"
    RESENT = "resent"  # the quota's call_key already made a session: the client sent its call again


@dataclass(frozen=True)
class AudioState:
    """What the audio path needs of a session, read consistently in one call."""

    session: Session
    buffer_depth: int
    buffer_bytes: int
    buffer_next: int
    sample_rate: int
    encoding: str
    # which sequences have been accepted (babelcast.integration.audio_ledger)
    newest_sequence: int | None = None
    gaps: frozenset[int] = frozenset()
    gaps_revision: int | None = None
    # the languages with at least one listener, as the acceptance's write returned them
    target_languages: tuple[str, ...] = ()
    # when the newest accepted chunk arrived, and the one accepted before it (epoch ms)
    audio_last_at: int = 0
    audio_previous_at: int = 0

    @property
    def opens_a_second(self) -> bool:
        """The newest chunk is the first accepted in its second: it is acknowledged (audioAck)."""
        return self.audio_last_at // 1000 != self.audio_previous_at // 1000


@dataclass(frozen=True)
class SessionUsage:
    """The usage counters kept on the session item (see docs/analytics.md).

    ``listener_connected_sum`` is the sum of the open listeners' connect times: with
    ``listener_count`` it gives their time so far (count * now - sum) without listing them."""

    listener_count: int
    peak_listeners: int
    listener_ms: int
    listener_connected_sum: int
    audio_bytes: int
    sample_rate: int
    languages: dict[str, int] = field(default_factory=dict)  # listeners per language (those with any)


@dataclass(frozen=True)
class SessionSnapshot:
    """A session as one change of the sessions table showed it."""

    session: Session
    usage: SessionUsage
    buffer_depth: int
    muted: bool = False  # the speaker's mute state (the legacy dialect's muteBroadcast)


@dataclass(frozen=True)
class SessionChange:
    """One change of a session the fan-out reacts to: ``modified`` (``before`` -> ``after``), or
    ``removed`` (deleted by TTL; ``before`` is its last state, ``after`` None)."""

    kind: Literal["modified", "removed"]
    before: SessionSnapshot
    after: SessionSnapshot | None = None
