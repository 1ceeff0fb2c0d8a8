"""What the legacy dialect's messages and events are in ours. Pure: no AWS, no handler.

The deployed clients cannot announce themselves at $connect, so nothing here depends on knowing
who is legacy: their messages are recognised by name (or, for ``sendAudio``, by the missing
``sequence``), and the few events they listen for are sent beside ours.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

# The messages the deployed clients send that our dialect spells differently, and what each is in
# ours. ``sendAudio`` is both: without ``sequence`` it is theirs.
LEGACY_ACTIONS: Mapping[str, str] = {
    "audioChunk": "sendAudio (sequence assigned by the server)",
    "sendAudio": "sendAudio (sequence assigned by the server)",
    "endSession": "DELETE /sessions/{sessionId}",
    "muteBroadcast": "the speaker's mute state (listeners get broadcastMuted)",
    "unmuteBroadcast": "the speaker's mute state (listeners get broadcastUnmuted)",
    "joinSession": "getSessionStatus, answered as sessionJoined",
    "switchLanguage": "changeLanguage",
    "refreshConnection": "nothing to do: answered connectionRefreshComplete",
}
# Our event => the legacy event sent beside it, with the same fields.
LEGACY_EVENT_NAMES: Mapping[str, str] = {"sessionPaused": "broadcastPaused", "sessionResumed": "broadcastResumed"}
MUTED_ATTRIBUTE = "muted"  # on the session's item: the speaker's mute state
MAX_CONNECTION_MS = 2 * 3600 * 1000  # API Gateway closes every WebSocket connection after 2 hours


class _Legacy(BaseModel):
    # The original clients send fields we do not use (timestamp, chunkId, format, ...): ignored,
    # for these messages only; ours keep refusing unknown fields.
    model_config = ConfigDict(extra="ignore", strict=True)


class LegacyAudio(_Legacy):
    """``audioChunk`` and ``sendAudio`` without ``sequence``: the audio is all we take. The
    session's encoding and sample rate stay what the session says."""

    audio_data: Annotated[str, Field(alias="audioData", min_length=1, max_length=1_500_000)]


class JoinSession(_Legacy):
    session_id: Annotated[str | None, Field(alias="sessionId", max_length=64)] = None
    target_language: Annotated[str | None, Field(alias="targetLanguage", max_length=8)] = None


class SwitchLanguage(_Legacy):
    target_language: Annotated[str, Field(alias="targetLanguage", max_length=8)]


def legacy_events(message: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The legacy events to send beside one of ours (none for most)."""
    name = LEGACY_EVENT_NAMES.get(str(message.get("type")))
    return [{**message, "type": name}] if name else []


def mute_event(before: bool, after: bool, session_id: str) -> dict[str, Any] | None:
    """``broadcastMuted``/``broadcastUnmuted`` when a change of the session changes the speaker's
    mute state; None otherwise."""
    if before == after:
        return None
    return {"type": "broadcastMuted" if after else "broadcastUnmuted", "sessionId": session_id, "muted": after}


def language_distribution(channels: Iterable[str | None]) -> dict[str, int]:
    """Listeners per target language, from the channels of a session's listener connections."""
    counts: dict[str, int] = {}
    for channel in channels:
        if channel:
            counts[channel] = counts.get(channel, 0) + 1
    return dict(sorted(counts.items()))


def refresh_by(connected_at_ms: int) -> int:
    """When API Gateway will close the connection: the deadline the legacy clients read as ``refreshBy``."""
    return connected_at_ms + MAX_CONNECTION_MS
