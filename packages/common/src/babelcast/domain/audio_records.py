"""What the domain knows of audio chunks: the record the pipeline receives, a chunk held in the
pause buffer, and the acceptance of a chunk by its session (babelcast.integration.audio_ledger)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from enum import Enum

from babelcast.domain.session_records import AudioState


@dataclass(frozen=True)
class AudioRecord:
    """One chunk as the pipeline receives it (the Kinesis record's Data, as JSON)."""

    session_id: str
    sequence: int
    source_language: str
    quality_tier: str
    encoding: str
    sample_rate: int
    received_at: int
    audio_data: str  # base64, as the speaker sent it
    # the languages with a listener when the chunk was accepted: the pipeline translates only these
    target_languages: tuple[str, ...] = ()

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "sessionId": self.session_id,
                "sequence": self.sequence,
                "sourceLanguage": self.source_language,
                "qualityTier": self.quality_tier,
                "encoding": self.encoding,
                "sampleRate": self.sample_rate,
                "receivedAt": self.received_at,
                "audioData": self.audio_data,
                "targetLanguages": list(self.target_languages),
            },
            separators=(",", ":"),
        ).encode()

    @classmethod
    def from_json(cls, data: bytes | str) -> AudioRecord:
        raw = json.loads(data)
        return cls(
            raw["sessionId"],
            int(raw["sequence"]),
            raw["sourceLanguage"],
            raw["qualityTier"],
            raw["encoding"],
            int(raw["sampleRate"]),
            int(raw["receivedAt"]),
            raw["audioData"],
            tuple(raw.get("targetLanguages", ())),
        )


@dataclass(frozen=True)
class BufferedChunk:
    position: int
    record: AudioRecord
    size: int


class Verdict(Enum):
    FORWARD = "forward"  # accepted: straight to the stream, its bytes counted
    BUFFER = "buffer"  # accepted into the pause buffer: a slot reserved
    DUPLICATE = "duplicate"  # this sequence is the newest already accepted
    STALE = "stale"  # older than the newest accepted and not a gap: already received, or too old


@dataclass(frozen=True)
class AudioTicket:
    """One chunk's attempt to be accepted, identified so that its own writes can be recognised."""

    sequence: int
    size: int
    token: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    at_ms: int = 0  # when it arrived: the first chunk accepted in a second is acknowledged


@dataclass(frozen=True)
class AudioClaim:
    verdict: Verdict
    state: AudioState  # after the acceptance, or as found when refused
    ticket: AudioTicket  # the one accepted (give it back with ``release`` if the chunk is not delivered)
    late: bool = False  # accepted although older than the newest accepted (a gap filled)
