"""Every WebSocket message route (selected by ``action``): audio, heartbeats, speaker controls,
listener language changes, status, and the legacy ``createSession``. Replies go back over the
@connections API; rules live in ``babelcast.domain``."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any

from babelcast.domain.audio import AudioService
from babelcast.domain.catch_up import CatchUp
from babelcast.domain.sessions import SessionPolicy, SessionService
from babelcast.errors import (
    InvalidMessage,
    LegacyCreationDisabled,
    NoSessionYet,
    NotListener,
    NotSpeaker,
    SessionNotFound,
    ValidationFailed,
)
from babelcast.integration import budget
from babelcast.integration.audio import AudioBufferTable, AudioStream
from babelcast.integration.audio_ledger import AudioLedger
from babelcast.integration.catch_up_table import CatchUpTable
from babelcast.integration.connections_api import ConnectionsApi
from babelcast.integration.connections_table import ConnectionsTable
from babelcast.integration.sessions_table import SessionsTable
from babelcast.metrics import Metrics, flushes_metrics
from babelcast.models import CreateSessionRequest, SessionStatus, UpdateSessionRequest
from babelcast.runtime import cold_start
from babelcast.settings import MessageSettings
from babelcast.validation import parse_model
from babelcast.websocket import MessageApp, WsCaller
from pydantic import BaseModel, ConfigDict, Field

SETTINGS = MessageSettings
MAX_SEQUENCE = 2**53 - 1  # integers JavaScript clients can represent exactly


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class Dependencies:
    settings: MessageSettings
    sessions_table: SessionsTable
    connections: ConnectionsTable
    sessions: SessionService
    audio: AudioService
    api: ConnectionsApi
    metrics: Metrics
    catch_up: CatchUp


@cache
def dependencies() -> Dependencies:
    settings, metrics = cold_start(MessageSettings, "ws_message")
    sessions_table = SessionsTable(settings.sessions_table_name, quotas_table_name=settings.rate_limits_table_name)
    policy = SessionPolicy(
        settings.supported_languages, settings.session_ttl_hours, settings.create_rate_limit_per_minute
    )
    sessions = SessionService(store=sessions_table, policy=policy, metrics=metrics)
    audio = AudioService(
        AudioLedger(settings.sessions_table_name),
        AudioBufferTable(settings.audio_buffer_table_name),
        AudioStream(settings.audio_stream_name),
        metrics,
        budget,
        settings.audio_buffer_seconds,
    )
    connections = ConnectionsTable(settings.connections_table_name, settings.sessions_table_name)
    catch_up = CatchUp(CatchUpTable(settings.catch_up_table_name), settings.catch_up_seconds, _now_ms)
    return Dependencies(
        settings,
        sessions_table,
        connections,
        sessions,
        audio,
        ConnectionsApi(settings.connections_endpoint),
        metrics,
        catch_up,
    )


app = MessageApp(lambda: dependencies().api, lambda: dependencies().metrics)


@flushes_metrics(lambda: dependencies().metrics)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.handle(event, context)


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    action: str


class SendAudio(_Message):
    audio_data: Annotated[str, Field(alias="audioData", min_length=1, max_length=1_500_000)]
    sequence: Annotated[int, Field(ge=0, le=MAX_SEQUENCE)]


class ChangeLanguage(_Message):
    target_language: Annotated[str, Field(alias="targetLanguage", max_length=8)]


class CatchUpRequest(_Message):
    after_sequence: Annotated[int | None, Field(alias="afterSequence", ge=0, le=MAX_SEQUENCE)] = None
    seconds: Annotated[int | None, Field(ge=1, le=3600)] = None


def _session_of(caller: WsCaller) -> str:
    """The session this connection belongs to: from the authorizer context (set at $connect),
    or from the connection record for legacy connections that created theirs later."""
    if caller.session_id:
        return caller.session_id
    record = dependencies().connections.get(caller.connection_id)
    if record is None or not record.session_id:
        raise NoSessionYet()
    return record.session_id


def _speaker(caller: WsCaller) -> str:
    if caller.role != "speaker" or not caller.user_id:
        raise NotSpeaker()
    return caller.user_id


@app.action("sendAudio", echo=("sequence",))
def send_audio(caller: WsCaller, body: dict[str, Any]) -> list[dict[str, Any]]:
    """No reply when the chunk is accepted, but ``audioAck`` for the first chunk accepted in each
    second and for a resend; warnings name the chunk. Errors name it too (``echo``): the speaker
    resends that sequence."""
    if "sequence" not in body:  # the deployed clients' older sendAudio (legacy dialect)
        return legacy.unnumbered_audio(caller, body, "sendAudio")
    message = parse_model(SendAudio, body)
    user = _speaker(caller)
    outcome = dependencies().audio.send(
        session_id=_session_of(caller), user_id=user, sequence=message.sequence, audio_data=message.audio_data
    )
    replies = []
    if outcome.out_of_order:
        replies.append(
            {
                "type": "error",
                "code": "AUDIO_OUT_OF_ORDER",
                "severity": "warning",
                "sequence": message.sequence,
                "newestSequence": outcome.newest_sequence,
                "forwarded": outcome.forwarded or outcome.buffered,
                "message": f"Chunk {message.sequence} is older than chunk {outcome.newest_sequence}: "
                + (
                    "accepted late, after newer audio."
                    if outcome.forwarded or outcome.buffered
                    else "not forwarded (already received, or too old)."
                ),
            }
        )
    if outcome.acknowledge and outcome.newest_sequence is not None:
        # "audio arriving": everything up to this sequence was accepted (docs/websocket-protocol.md)
        replies.append({"type": "audioAck", "sequence": outcome.newest_sequence, "buffered": outcome.buffer_depth})
    if outcome.dropped_chunks:
        replies.append(
            {
                "type": "error",
                "code": "AUDIO_BUFFER_FULL",
                "severity": "warning",
                "sequence": message.sequence,
                "message": f"More than {dependencies().settings.audio_buffer_seconds} s of audio is "
                f"buffered while paused; the oldest {outcome.dropped_chunks} chunk(s) were "
                "dropped.",
            }
        )
    return replies


@app.action("heartbeat")
def heartbeat(caller: WsCaller, body: dict[str, Any]) -> dict[str, Any]:
    return {"type": "heartbeatAck", "timestamp": _now_ms()}


def _set_status(caller: WsCaller, status: SessionStatus) -> None:
    user = _speaker(caller)
    session_id = _session_of(caller)
    # One conditional write (owner + not ended). The change stream then tells every connection.
    dependencies().sessions.update(session_id, user, UpdateSessionRequest(status=status))
    if status is SessionStatus.ACTIVE:
        dependencies().audio.flush(session_id)  # paused audio first, before any newer chunk


@app.action("pauseBroadcast")
def pause(caller: WsCaller, body: dict[str, Any]) -> None:
    _set_status(caller, SessionStatus.PAUSED)


@app.action("resumeBroadcast")
def resume(caller: WsCaller, body: dict[str, Any]) -> None:
    _set_status(caller, SessionStatus.ACTIVE)


@app.action("changeLanguage")
def change_language(caller: WsCaller, body: dict[str, Any]) -> dict[str, Any]:
    message = parse_model(ChangeLanguage, body)
    if caller.role != "listener":
        raise NotListener("Only listeners choose a target language.")
    deps = dependencies()
    if message.target_language not in deps.settings.supported_languages:
        raise ValidationFailed(
            details=[("targetLanguage", f"supported: {', '.join(deps.settings.supported_languages)}")]
        )
    session_id = _session_of(caller)
    # the language it connected with is the usual guess; a wrong one costs one more write
    deps.connections.change_language(caller.connection_id, session_id, message.target_language, caller.target_language)
    return {"type": "sessionStatus", "sessionId": session_id, "targetLanguage": message.target_language}


@app.action("catchUp")
def catch_up(caller: WsCaller, body: dict[str, Any]) -> list[dict[str, Any]]:
    """The kept segments of the listener's language after ``afterSequence`` (a reconnect) or of
    the last ``seconds`` (a late join), in order and marked ``replayed``, then
    ``catchUpComplete``. Segments still being delivered arrive live, after it."""
    message = parse_model(CatchUpRequest, body)
    if (message.after_sequence is None) == (message.seconds is None):
        raise ValidationFailed(details=[("afterSequence", "give either afterSequence or seconds")])
    if caller.role != "listener":
        raise NotListener("Only listeners catch up on what was said.")
    record = dependencies().connections.get(caller.connection_id)  # its language now (changeLanguage)
    if record is None or not record.session_id or not record.channel:
        raise NoSessionYet()
    replay = dependencies().catch_up.replay(
        record.session_id, record.channel, after=message.after_sequence, seconds=message.seconds
    )
    complete = {"type": "catchUpComplete", "lastSequence": replay.last_sequence, "replayed": len(replay.messages)}
    return [*replay.messages, complete]


@app.action("getSessionStatus")
def session_status(caller: WsCaller, body: dict[str, Any]) -> dict[str, Any]:
    session_id = _session_of(caller)
    session = dependencies().sessions_table.get(session_id)
    if session is None:
        raise SessionNotFound(session_id)
    return {
        "type": "sessionStatus",
        "sessionId": session_id,
        "role": caller.role,
        "session": session.to_api(),
        **legacy.status_fields(session_id, session.listener_count),
    }


@app.action("createSession")
def create_session(caller: WsCaller, body: dict[str, Any]) -> dict[str, Any]:
    """The legacy flow (requirement 9): connect without sessionId, then create over the socket.
    One session per connection: a repeated createSession (a client retrying after a lost reply)
    gets the connection's session again, and nothing more is created or counted."""
    deps = dependencies()
    if not deps.settings.legacy_creation_enabled:
        raise LegacyCreationDisabled()
    user = _speaker(caller)
    record = deps.connections.get(caller.connection_id)
    if record is None or caller.session_id:
        raise InvalidMessage("This connection already belongs to a session; open a new one to create another.")
    if record.session_id:
        return _created(record.session_id, user)
    request = parse_model(
        CreateSessionRequest, {k: v for k, v in body.items() if k != "action"}, deps.sessions.validation_context
    )
    session = deps.sessions.create(user, request)
    attached = deps.connections.attach_session(caller.connection_id, session.session_id)
    if attached != session.session_id:  # a concurrent createSession of this connection won
        deps.sessions.end(session.session_id, user)  # ours is not this connection's: no orphan left live
        return _created(attached, user)
    deps.metrics.add("LegacySessionCreationCount", 1)
    return {"type": "sessionCreated", "sessionId": session.session_id, "session": session.to_api()}


def _created(session_id: str, user: str) -> dict[str, Any]:
    session = dependencies().sessions.get(session_id)
    if session.speaker_id != user:
        raise NotSpeaker()
    return {"type": "sessionCreated", "sessionId": session.session_id, "session": session.to_api()}


from ws_message import legacy  # noqa: E402 - registers the legacy dialect's actions on ``app``
