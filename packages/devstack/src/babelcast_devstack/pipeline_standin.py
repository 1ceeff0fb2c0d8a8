"""A local stand-in for the translation pipeline (never deployed): it reads the audio stream as the
real pipeline would and, for every language that has listeners, writes translated segments to the
translated-segments stream in the pipeline contract (docs/architecture.md#the-pipeline-contract).

About one segment per second of speech: the caption says what it stands for ("[es] segment 12 —
1.0 s of audio") and the audio is the speaker's own PCM passed through, so a listener under
`make dev` sees and hears something without any speech service.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import contextlib
import json
import time
import wave
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babelcast.domain.audio_records import AudioRecord
from babelcast.integration.connections_table import ConnectionsTable

from babelcast_devstack.emulator import emulator_client

BYTES_PER_SAMPLE = 2  # pcm_s16le, the only encoding the service accepts
SEGMENT_SECONDS = 1.0
IDLE_FLUSH_SECONDS = 1.0  # a shorter remainder is sent once the speaker has been quiet this long
SHARD_DISCOVERY_SECONDS = 2.0


def segment_record(session_id: str, language: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """One translated-segments record as the broadcast function reads it (the pipeline contract):
    partition key = session id, so one session's segments stay in order on one shard."""
    data = {"sessionId": session_id, "targetLanguage": language, "payload": dict(payload)}
    return {"PartitionKey": session_id, "Data": json.dumps(data, ensure_ascii=False).encode()}


def stand_in_payload(
    language: str, number: int, pcm: bytes, *, sample_rate: int, source: AudioRecord, first_sequence: int
) -> dict[str, Any]:
    seconds = len(pcm) / (sample_rate * BYTES_PER_SAMPLE)
    return {
        "type": "translation",
        "segment": number,
        "sourceLanguage": source.source_language,
        "targetLanguage": language,
        "translatedText": f"[{language}] segment {number} — {seconds:.1f} s of audio",
        "translatedAudio": base64.b64encode(pcm).decode(),
        "audioEncoding": source.encoding,
        "sampleRate": sample_rate,
        "durationMs": round(seconds * 1000),
        "sequences": [first_sequence, source.sequence],
        "receivedAt": source.received_at,
        "standIn": True,
    }


@dataclass
class _Speech:
    """What one session's speaker has said since the last segment."""

    pcm: bytearray = field(default_factory=bytearray)
    segments: int = 0
    last_audio: float = 0.0
    first_sequence: int = 0
    latest: AudioRecord | None = None


class PipelineStandIn:
    """Polls the audio stream through the emulator's Kinesis API (blocking calls run on threads)."""

    def __init__(
        self,
        endpoint: str,
        region: str,
        outputs: Mapping[str, Any],
        *,
        log: Callable[[str], None] = print,
        poll_interval: float = 0.2,
        from_start: bool = True,
    ) -> None:
        self.audio_stream = str(outputs["audio_stream_name"])
        self.segments_stream = str(outputs["translated_segments_stream_name"])
        self.kinesis = emulator_client(endpoint, region, "kinesis")
        self.connections = ConnectionsTable(
            str(outputs["connections_table_name"]),
            str(outputs["sessions_table_name"]),
            client=emulator_client(endpoint, region, "dynamodb"),
        )
        self.log = log
        self.poll_interval = poll_interval
        # a fresh embedded emulator: read everything; an external one keeps earlier runs' audio
        self.start_position = "TRIM_HORIZON" if from_start else "LATEST"
        self.sessions: dict[str, _Speech] = {}
        self.written = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        iterators: dict[str, str | None] = {}
        discovered = 0.0
        while True:
            try:
                if time.monotonic() - discovered > SHARD_DISCOVERY_SECONDS:
                    discovered = time.monotonic()
                    for shard in await asyncio.to_thread(self._shards):
                        if shard not in iterators:
                            iterators[shard] = await asyncio.to_thread(self._iterator, shard)
                for shard, iterator in list(iterators.items()):
                    if iterator is None:
                        continue
                    response = await asyncio.to_thread(self.kinesis.get_records, ShardIterator=iterator, Limit=1000)
                    iterators[shard] = response.get("NextShardIterator")
                    for record in response.get("Records", []):
                        await asyncio.to_thread(self._hear, record["Data"])
                await asyncio.to_thread(self._flush_quiet_sessions)
            except asyncio.CancelledError:
                raise
            except Exception as failure:  # the stand-in must never take the stack down
                self.log(f"pipeline stand-in: {type(failure).__name__}: {failure}")
                await asyncio.sleep(1.0)
            await asyncio.sleep(self.poll_interval)

    def _shards(self) -> list[str]:
        shards = self.kinesis.list_shards(StreamName=self.audio_stream).get("Shards", [])
        return [str(shard["ShardId"]) for shard in shards]

    def _iterator(self, shard: str) -> str:
        response = self.kinesis.get_shard_iterator(
            StreamName=self.audio_stream, ShardId=shard, ShardIteratorType=self.start_position
        )
        return str(response["ShardIterator"])

    def _hear(self, data: bytes) -> None:
        try:
            record = AudioRecord.from_json(data)
            pcm = base64.b64decode(record.audio_data, validate=True)
        except (KeyError, TypeError, ValueError, binascii.Error):
            self.log("pipeline stand-in: skipped an audio record that is not in the documented shape")
            return
        speech = self.sessions.setdefault(record.session_id, _Speech())
        if not speech.pcm:
            speech.first_sequence = record.sequence
        speech.pcm += pcm
        speech.latest, speech.last_audio = record, time.monotonic()
        segment_bytes = int(record.sample_rate * SEGMENT_SECONDS) * BYTES_PER_SAMPLE
        while len(speech.pcm) >= segment_bytes:
            self._emit(record.session_id, speech, segment_bytes)

    def _flush_quiet_sessions(self) -> None:
        now = time.monotonic()
        for session_id, speech in list(self.sessions.items()):
            if speech.pcm and now - speech.last_audio >= IDLE_FLUSH_SECONDS:
                self._emit(session_id, speech, len(speech.pcm))

    def _emit(self, session_id: str, speech: _Speech, size: int) -> None:
        pcm, speech.pcm = bytes(speech.pcm[:size]), speech.pcm[size:]
        source = speech.latest
        assert source is not None
        speech.segments += 1
        first, speech.first_sequence = speech.first_sequence, source.sequence
        languages = sorted(
            {c.channel for c in self.connections.of_session(session_id) if c.role == "listener" and c.channel}
        )
        for language in languages:  # only languages somebody listens to, as the real pipeline does
            payload = stand_in_payload(
                language, speech.segments, pcm, sample_rate=source.sample_rate, source=source, first_sequence=first
            )
            self.kinesis.put_record(StreamName=self.segments_stream, **segment_record(session_id, language, payload))
            self.written += 1


def add_segment_command(commands: Any) -> None:
    """`babelcast-dev segment` (make dev-segment): write one segment by hand, as the pipeline would."""
    segment = commands.add_parser(
        "segment", help="write one translated segment for a session's listeners of a language"
    )
    segment.add_argument("session_id")
    segment.add_argument("--language", required=True, help="the listeners' target language, e.g. es")
    segment.add_argument("--text", default=None, help="the caption (translatedText)")
    segment.add_argument("--wav", type=Path, default=None, help="16-bit mono WAV sent as translatedAudio")
    segment.add_argument("--json", dest="payload", default=None, help="a whole payload object instead")
    segment.add_argument("--local-dir", type=Path, default=None)


def inject(document: Mapping[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """Puts the record on the running stack's translated-segments stream; returns what was written."""
    if args.payload is not None:
        payload = json.loads(args.payload)
        if not isinstance(payload, dict):
            raise SystemExit("--json must be a JSON object")
    else:
        payload = {
            "type": "translation",
            "targetLanguage": args.language,
            "translatedText": args.text if args.text is not None else f"[{args.language}] injected segment",
        }
        if args.wav is not None:
            with wave.open(str(args.wav), "rb") as audio:
                if audio.getsampwidth() != BYTES_PER_SAMPLE or audio.getnchannels() != 1:
                    raise SystemExit("--wav must be 16-bit mono PCM")
                payload.update(
                    translatedAudio=base64.b64encode(audio.readframes(audio.getnframes())).decode(),
                    audioEncoding="pcm_s16le",
                    sampleRate=audio.getframerate(),
                )
    outputs = document["outputs"]
    kinesis = emulator_client(document["awsEndpointUrl"], document["region"], "kinesis")
    written = kinesis.put_record(
        StreamName=outputs["translated_segments_stream_name"], **segment_record(args.session_id, args.language, payload)
    )
    shown = {k: (f"<{len(v)} base64 characters>" if k == "translatedAudio" else v) for k, v in payload.items()}
    return {
        "sessionId": args.session_id,
        "targetLanguage": args.language,
        "payload": shown,
        "sequenceNumber": written["SequenceNumber"],
    }
