"""A session's DynamoDB item: how a Session (and the usage and audio counters kept beside it)
maps to and from an item, the correlation id every write stores, and the token that lets a
resent write recognise its own effect."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from babelcast.domain.session_records import AudioState, SessionSnapshot, SessionUsage
from babelcast.legacy.dialect import MUTED_ATTRIBUTE
from babelcast.logging import current_correlation_id
from babelcast.models import QualityTier, Session, SessionStatus

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

DEPENDENCY = "dynamodb"
# The correlation id of the request behind the item's latest write; never returned by the API
# (``from_item`` ignores it). The change stream's consumer binds it, so the fan-out a DELETE or a
# pause causes logs under the id of that DELETE or pause.
CORRELATION_ATTRIBUTE = "correlationId"
UNKNOWN_CORRELATION = "unknown"  # a write made outside any request (none bound)
# One counter per target language (``listeners#es``), changed in the same transactions as
# ``listenerCount`` (babelcast.integration.connections_table): top-level numbers, because ADD on a
# map entry fails while the map is absent. Their sum is ``listenerCount``.
LANGUAGE_COUNT_PREFIX = "listeners#"


def language_attribute(language: str) -> str:
    return LANGUAGE_COUNT_PREFIX + language


def language_counts(item: Mapping[str, Any]) -> dict[str, int]:
    """The languages with at least one listener, and how many each (sorted by language)."""
    counts = {
        name[len(LANGUAGE_COUNT_PREFIX) :]: int(value["N"])
        for name, value in item.items()
        if name.startswith(LANGUAGE_COUNT_PREFIX) and "N" in value
    }
    return {language: counts[language] for language in sorted(counts) if counts[language] > 0}


def correlation_value() -> AttributeValueTypeDef:
    return {"S": current_correlation_id() or UNKNOWN_CORRELATION}


@dataclass(frozen=True)
class WriteToken:
    """The id of one logical write, stored on the item it changes, so that the SDK's retry of a
    write whose answer was lost (botocore resends it after a read timeout) finds its own effect
    instead of applying it twice (``version`` counted twice; an end reported as 409).

    Tokens are kept in a string set per minute (``writes<minute>``); every write removes the sets
    of the minutes before the previous one, and looks for its token in this minute's set and the
    previous one's. The SDK's resend is the very same request (the same minute). A client's own
    retry is a new request: it carries the id derived from the client's key for the call
    (``write_id``), and comes within seconds, so it still finds the first attempt's token."""

    value: str
    minute: int

    @classmethod
    def new(cls, now_ms: int, write_id: str | None = None) -> WriteToken:
        return cls(write_id or uuid.uuid4().hex[:16], now_ms // 60_000)

    @property
    def attribute(self) -> str:
        return f"writes{self.minute}"

    condition = "NOT contains(#writes, :token) AND NOT contains(#previous, :token)"
    add = "#writes :tokens"

    @property
    def stale(self) -> str:
        return ", ".join(f"#stale{age}" for age in range(2, 7))

    @property
    def names(self) -> dict[str, str]:
        return {
            "#writes": self.attribute,
            "#previous": f"writes{self.minute - 1}",
            **{f"#stale{age}": f"writes{self.minute - age}" for age in range(2, 7)},
        }

    @property
    def values(self) -> dict[str, AttributeValueTypeDef]:
        return {":token": {"S": self.value}, ":tokens": {"SS": [self.value]}}

    def applied_to(self, item: Mapping[str, Any] | None) -> bool:
        return item is not None and any(
            self.value in item.get(f"writes{minute}", {}).get("SS", []) for minute in (self.minute, self.minute - 1)
        )


def to_item(session: Session) -> dict[str, AttributeValueTypeDef]:
    item: dict[str, AttributeValueTypeDef] = {
        "sessionId": {"S": session.session_id},
        "speakerId": {"S": session.speaker_id},
        "sourceLanguage": {"S": session.source_language},
        "qualityTier": {"S": session.quality_tier.value},
        "status": {"S": session.status.value},
        "listenerCount": {"N": str(session.listener_count)},
        "createdAt": {"N": str(session.created_at)},
        "updatedAt": {"N": str(session.updated_at)},
        "expiresAt": {"N": str(session.expires_at)},
        # DynamoDB TTL wants epoch seconds; the API speaks milliseconds.
        "ttl": {"N": str(session.expires_at // 1000)},
        "version": {"N": str(session.version)},
    }
    if session.ended_at is not None:
        item["endedAt"] = {"N": str(session.ended_at)}
    if session.end_reason is not None:
        item["endReason"] = {"S": session.end_reason}
    return item


def from_item(item: Mapping[str, Any]) -> Session:
    def number(name: str) -> int | None:
        return int(item[name]["N"]) if name in item else None

    return Session(
        session_id=item["sessionId"]["S"],
        speaker_id=item["speakerId"]["S"],
        source_language=item["sourceLanguage"]["S"],
        quality_tier=QualityTier(item["qualityTier"]["S"]),
        status=SessionStatus(item["status"]["S"]),
        listener_count=max(0, number("listenerCount") or 0),
        created_at=number("createdAt") or 0,
        updated_at=number("updatedAt") or 0,
        expires_at=number("expiresAt") or 0,
        ended_at=number("endedAt"),
        end_reason=item["endReason"]["S"] if "endReason" in item else None,
        version=number("version") or 1,
        listeners_by_language=language_counts(item),
    )


def audio_state_from_item(item: Mapping[str, Any]) -> AudioState:
    def number(name: str, default: int) -> int:
        return int(item[name]["N"]) if name in item else default

    return AudioState(
        session=from_item(item),
        buffer_depth=max(0, number("bufferDepth", 0)),
        buffer_bytes=max(0, number("bufferBytes", 0)),
        buffer_next=number("bufferNext", 0),
        sample_rate=number("sampleRate", 16_000),
        encoding=item["audioEncoding"]["S"] if "audioEncoding" in item else "pcm_s16le",
        newest_sequence=int(item["audioSeq"]["N"]) if "audioSeq" in item else None,
        gaps=frozenset(int(n) for n in item.get("audioGaps", {}).get("NS", [])),
        gaps_revision=int(item["audioGapsRev"]["N"]) if "audioGapsRev" in item else None,
        target_languages=tuple(language_counts(item)),
        audio_last_at=number("audioLastAt", 0),
        audio_previous_at=number("audioPrevAt", 0),
    )


def usage_from_item(item: Mapping[str, Any]) -> SessionUsage:
    def number(name: str, default: int = 0) -> int:
        return int(item[name]["N"]) if name in item else default

    return SessionUsage(
        listener_count=max(0, number("listenerCount")),
        peak_listeners=max(0, number("peakListeners")),
        listener_ms=max(0, number("listenerMs")),
        listener_connected_sum=number("listenerConnectedSum"),
        audio_bytes=max(0, number("audioBytes")),
        sample_rate=number("sampleRate", 16_000),
        languages=language_counts(item),
    )


def snapshot_from_item(item: Mapping[str, Any]) -> SessionSnapshot:
    state = audio_state_from_item(item)
    muted = bool((item.get(MUTED_ATTRIBUTE) or {}).get("BOOL", False))
    return SessionSnapshot(state.session, usage_from_item(item), state.buffer_depth, muted)


def equals_or_absent(name: str, placeholder: str, value: int) -> str:
    """A counter never written reads as 0 (ADD creates it), so 0 also matches its absence."""
    return f"(attribute_not_exists({name}) OR {name} = {placeholder})" if value == 0 else f"{name} = {placeholder}"
