"""What the server acknowledged of a speaker's audio (``audioAck``), and what it has not yet:
the chunks a reconnect resends (docs/websocket-protocol.md#sequences-resends-and-order)."""

from __future__ import annotations

import threading
import time
from collections import deque

UNACKNOWLEDGED_KEPT = 64  # the server's gap window: an older chunk would be refused anyway
ARRIVING_SECONDS = 2.0  # acknowledgements come once a second while audio flows


class AudioAcks:
    def __init__(self) -> None:
        self.acknowledged: int | None = None  # the highest sequence the server said it accepted
        self.acknowledged_at: float | None = None  # time.monotonic() of that audioAck
        self._pending: deque[tuple[int, str]] = deque(maxlen=UNACKNOWLEDGED_KEPT)
        self._lock = threading.Lock()

    def sent(self, sequence: int, audio_data: str) -> None:
        with self._lock:
            self._pending.append((sequence, audio_data))

    def acknowledge(self, sequence: int) -> None:
        with self._lock:
            self.acknowledged = max(sequence, -1 if self.acknowledged is None else self.acknowledged)
            self.acknowledged_at = time.monotonic()
            while self._pending and self._pending[0][0] <= sequence:
                self._pending.popleft()

    def unacknowledged(self) -> list[tuple[int, str]]:
        """(sequence, base64 audio) of the chunks sent since the last acknowledgement, oldest first."""
        with self._lock:
            return list(self._pending)

    @property
    def arriving(self) -> bool:
        """Whether the server acknowledged audio within the last ``ARRIVING_SECONDS``."""
        at = self.acknowledged_at
        return at is not None and time.monotonic() - at < ARRIVING_SECONDS
