"""Catch-up after a drop or a late join: every segment delivered to the listeners of a language
carries a ``sequence`` (per session and language, contiguous from 1), and the last
``window_seconds`` of segments are kept so that a listener can ask for what it missed
(``catchUp``) and receive it in order, marked ``replayed: true``.

A sequence is taken once per stream record: the journal derives it in one conditional write
keyed by the record's position on the stream, so the retry of a batch finds the sequence its
first attempt took (and delivers again under it; clients drop a sequence they have) instead of
taking a second one. docs/architecture.md#catch-up-after-a-drop-or-a-late-join.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from babelcast.domain.ports import CatchUpJournal

# DynamoDB keeps at most 400 KB per item; @connections refuses messages above 128 KB, so a larger
# segment reached nobody live either and is not kept.
MAX_KEPT_PAYLOAD_BYTES = 380_000


@dataclass(frozen=True)
class Sequenced:
    """The sequence of one stream record. ``fresh``: taken now (False: a retry found it taken)."""

    sequence: int
    fresh: bool


@dataclass(frozen=True)
class Retained:
    sequence: int
    payload: Mapping[str, Any]
    at_ms: int


@dataclass(frozen=True)
class Replay:
    messages: list[dict[str, Any]]
    last_sequence: int


@dataclass
class CatchUp:
    journal: CatchUpJournal
    window_seconds: int
    clock_ms: Callable[[], int]

    def sequence(self, session_id: str, language: str, position: str, payload: Mapping[str, Any]) -> int | None:
        """The sequence of the record at ``position`` (kept for catch-up), or None when a later
        record of this session and language was sequenced already: an old record of a batch that
        was retried whole, delivered by its first attempt."""
        now = self.clock_ms()
        taken = self.journal.take_sequence(session_id, language, position, now)
        if taken is None:
            return None
        self.journal.keep(session_id, language, taken.sequence, payload, now_ms=now, window_seconds=self.window_seconds)
        return taken.sequence

    def replay(self, session_id: str, language: str, *, after: int | None, seconds: int | None) -> Replay:
        """The kept segments after sequence ``after`` (or of the last ``seconds``), oldest first,
        within the window, each as it was delivered plus ``replayed: true``."""
        now = self.clock_ms()
        span = self.window_seconds if seconds is None else min(seconds, self.window_seconds)
        last = self.journal.last_sequence(session_id, language)
        kept = self.journal.since(session_id, language, after or 0, now - span * 1000)
        messages = [{**r.payload, "sequence": r.sequence, "replayed": True} for r in kept]
        return Replay(messages, last)
