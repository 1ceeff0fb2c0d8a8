"""The deployed frontends' dialect of the WebSocket protocol (requirement 9): their messages,
mapped onto ours, each counted in ``LegacyMessageCount`` (dimension ``MessageType``) and refused
with ``LEGACY_DIALECT_DISABLED`` once ``legacy_dialect_enabled`` is false. The mapping itself
lives in ``babelcast.legacy.dialect``; docs/websocket-protocol.md#the-legacy-dialect."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from babelcast.errors import InvalidMessage, LegacyDialectDisabled, SessionNotFound
from babelcast.integration.legacy_state import LegacySessionState
from babelcast.legacy.dialect import JoinSession, LegacyAudio, SwitchLanguage, language_distribution
from babelcast.validation import parse_model
from babelcast.websocket import MessageHandler, Reply, WsCaller

from ws_message.handler import (
    _session_of,
    _speaker,
    app,
    change_language,
    dependencies,
    send_audio,
)

METRIC = "LegacyMessageCount"


def legacy_state() -> LegacySessionState:
    # no cache of its own: the boto3 client under it is the process-wide one
    return LegacySessionState(dependencies().settings.sessions_table_name)


def counted(message_type: str) -> None:
    """Count one use of the legacy dialect (refused ones too: after the switch-off they are the
    clients still to update), and refuse it when the dialect is switched off."""
    deps = dependencies()
    deps.metrics.add(METRIC, 1, dimensions={"MessageType": message_type}, rollup=True)
    if not deps.settings.legacy_dialect_enabled:
        raise LegacyDialectDisabled()


def legacy_action(name: str) -> Callable[[MessageHandler], MessageHandler]:
    def register(handler: MessageHandler) -> MessageHandler:
        def guarded(caller: WsCaller, body: dict[str, Any]) -> Any:
            counted(name)
            return handler(caller, body)

        app.action(name)(guarded)
        return handler

    return register


def unnumbered_audio(caller: WsCaller, body: dict[str, Any], message_type: str) -> list[dict[str, Any]]:
    """A chunk without ``sequence`` (``audioChunk``, or the older ``sendAudio``): numbered by the
    server in arrival order, then exactly our ``sendAudio``."""
    counted(message_type)
    message = parse_model(LegacyAudio, body)
    user = _speaker(caller)
    sequence = legacy_state().next_audio_sequence(_session_of(caller), user)
    numbered = {"action": "sendAudio", "audioData": message.audio_data, "sequence": sequence}
    # no audioAck: the sequence is the server's, so the client cannot resend by it
    return [dict(reply) for reply in _replies(send_audio(caller, numbered)) if reply.get("type") != "audioAck"]


def _replies(replies: Reply | Sequence[Reply] | None) -> Sequence[Reply]:
    return [replies] if isinstance(replies, Mapping) else replies or []


@app.action("audioChunk")
def audio_chunk(caller: WsCaller, body: dict[str, Any]) -> list[dict[str, Any]]:
    return unnumbered_audio(caller, body, "audioChunk")


@legacy_action("endSession")
def end_session(caller: WsCaller, body: dict[str, Any]) -> None:
    """DELETE /sessions/{id}: the session ends for everyone (sessionEnded, then the sockets close)."""
    dependencies().sessions.end(_session_of(caller), _speaker(caller))


def _set_muted(caller: WsCaller, muted: bool) -> None:
    user = _speaker(caller)
    legacy_state().set_muted(_session_of(caller), user, muted)  # the stream tells every connection


@legacy_action("muteBroadcast")
def mute(caller: WsCaller, body: dict[str, Any]) -> None:
    _set_muted(caller, True)


@legacy_action("unmuteBroadcast")
def unmute(caller: WsCaller, body: dict[str, Any]) -> None:
    _set_muted(caller, False)


@legacy_action("switchLanguage")
def switch_language(caller: WsCaller, body: dict[str, Any]) -> Any:
    message = parse_model(SwitchLanguage, body)
    return change_language(caller, {"action": "changeLanguage", "targetLanguage": message.target_language})


@legacy_action("joinSession")
def join_session(caller: WsCaller, body: dict[str, Any]) -> dict[str, Any]:
    """The connection joined at $connect: this answers with the session (sessionJoined), after
    switching a listener to ``targetLanguage`` when it names another."""
    message = parse_model(JoinSession, body)
    session_id = _session_of(caller)
    if message.session_id is not None and message.session_id != session_id:
        raise InvalidMessage("This connection belongs to another session; connect with ?sessionId=<id> to join it.")
    reply: dict[str, Any] = {"type": "sessionJoined", "sessionId": session_id, "role": caller.role}
    if message.target_language is not None and caller.role == "listener":
        change_language(caller, {"action": "changeLanguage", "targetLanguage": message.target_language})
        reply["targetLanguage"] = message.target_language
    session = dependencies().sessions_table.get(session_id)
    if session is None:
        raise SessionNotFound(session_id)
    return {**reply, "session": session.to_api()}


@legacy_action("refreshConnection")
def refresh_connection(caller: WsCaller, body: dict[str, Any]) -> dict[str, Any]:
    """The client opened this connection to replace one about to be closed: $connect already
    attached it to the session, so there is nothing left to do but say so."""
    return {
        "type": "connectionRefreshComplete",
        "sessionId": _session_of(caller),
        "role": caller.role,
        "timestamp": time.time_ns() // 1_000_000,
    }


def status_fields(session_id: str, listener_count: int) -> dict[str, Any]:
    """The top-level counts the legacy speaker app reads from ``sessionStatus``, beside ours in
    ``session`` (one Query of the session's connections); nothing once the dialect is off."""
    if not dependencies().settings.legacy_dialect_enabled:
        return {}
    channels = (r.channel for r in dependencies().connections.of_session(session_id) if r.role == "listener")
    return {"listenerCount": listener_count, "languageDistribution": language_distribution(channels)}
