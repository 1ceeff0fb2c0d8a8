"""The listeners of a session's language, kept in a warm broadcast process between segments.

Reading 10 000 connection records per segment (a Query of ~10 pages) when nobody joined or left
costs read capacity and ~100 ms. Every join, leave, language change, sweep and 410 removal bumps
the session item's ``audienceVersion`` in the write it already makes, so one projected
``GetItem`` of that counter says whether the kept set is still right. Paths that delete records
without that write (a session's end, DynamoDB's TTL) leave posts that answer 410, which remove the
record; ``MAX_AGE_MS`` bounds how long such a set is reused anyway.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from babelcast.domain.connection_records import Listener
from babelcast.domain.ports import AudienceVersions, ConnectionDirectory

MAX_SETS = 8  # (session, language) sets kept: a process serves few sessions at a time
MAX_AGE_MS = 60_000


@dataclass(frozen=True)
class _Kept:
    version: int
    listeners: tuple[Listener, ...]
    at_ms: int


@dataclass
class ListenerSets:
    connections: ConnectionDirectory
    versions: AudienceVersions
    clock_ms: Callable[[], int]
    _kept: OrderedDict[tuple[str, str], _Kept] = field(default_factory=OrderedDict)

    def of(self, session_id: str, language: str) -> tuple[Listener, ...]:
        """The listeners of ``language`` in ``session_id``: the kept set when the session's
        audience version has not moved since it was read, else a fresh Query."""
        key = (session_id, language)
        version = self.versions.audience_version(session_id)  # before the Query: a change after it is seen next time
        now = self.clock_ms()
        kept = self._kept.get(key)
        if kept is not None and version is not None and kept.version == version and now - kept.at_ms < MAX_AGE_MS:
            self._kept.move_to_end(key)
            return kept.listeners
        listeners = tuple(
            Listener(r.connection_id, r.connected_at)
            for r in self.connections.of_session(session_id, channel=language)
            if r.role == "listener"
        )
        if version is None:
            self._kept.pop(key, None)
            return listeners
        self._kept[key] = _Kept(version, listeners, now)
        self._kept.move_to_end(key)
        while len(self._kept) > MAX_SETS:
            self._kept.popitem(last=False)
        return listeners

    def forget(self, session_id: str, language: str) -> None:
        """A post found one of them gone: read the set again next time."""
        self._kept.pop((session_id, language), None)
