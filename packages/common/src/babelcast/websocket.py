"""API Gateway WebSocket events: what a connection carries, and the one place where domain
errors become $connect statuses or ``error`` messages on the socket."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from babelcast.adapter import Declarations, answer_for
from babelcast.errors import DomainError, InvalidMessage, RateLimited, UnknownAction
from babelcast.integration import budget
from babelcast.integration.connections_api import ConnectionsApi
from babelcast.json_input import parse_json
from babelcast.logging import bind_request_context, get_logger
from babelcast.metrics import Metrics

_log = get_logger(__name__)
MAX_ECHOED_ACTION = 64  # longer than any action name
# Kept for posting the reply or error after the work: one @connections attempt (connect + read)
REPLY_RESERVE_SECONDS = 2.6


@dataclass(frozen=True)
class WsCaller:
    """The connection and who is behind it. ``role``/``user_id`` come from the $connect
    authorizer's context, which API Gateway attaches to every later event of the connection."""

    connection_id: str
    route_key: str
    request_id: str
    role: str
    user_id: str | None
    session_id: str | None
    query: Mapping[str, str]
    target_language: str | None = None  # a listener's language at $connect (the authorizer's context)

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> WsCaller:
        context = event.get("requestContext") or {}
        authorizer = context.get("authorizer") or {}
        query = event.get("queryStringParameters") or {}
        user = authorizer.get("userId")
        session = authorizer.get("sessionId")
        return cls(
            connection_id=str(context.get("connectionId", "")),
            route_key=str(context.get("routeKey", "")),
            request_id=str(context.get("requestId", "")),
            role="speaker" if authorizer.get("role") == "speaker" and user else "listener",
            user_id=str(user) if user else None,
            session_id=str(session) if session else None,
            query={str(k): str(v) for k, v in query.items()},
            target_language=str(authorizer.get("targetLanguage") or "") or None,
        )


def bind(caller: WsCaller, aws_request_id: str) -> None:
    bind_request_context(
        correlation_id=caller.request_id or caller.connection_id,
        connection_id=caller.connection_id,
        route=caller.route_key,
        role=caller.role,
        aws_request_id=aws_request_id,
    )


def connect_response(error: DomainError | None) -> dict[str, Any]:
    """$connect can only answer with an HTTP status (API Gateway cannot send a close code during
    the handshake); browsers then see close code 1006 and can ask GET /sessions/{id} why."""
    if error is None:
        return {"statusCode": 200}
    return {"statusCode": error.status, "body": json.dumps({"code": error.code, "message": error.message})}


Reply = Mapping[str, Any]
MessageHandler = Callable[[WsCaller, dict[str, Any]], Reply | Sequence[Reply] | None]
MAX_ECHOED_INTEGER = 2**53 - 1  # what a JavaScript client represents exactly
_INTERNAL = DomainError("Something went wrong on our side. Please retry.")


@dataclass(frozen=True)
class Action:
    name: str
    handler: MessageHandler
    echo: tuple[str, ...]


class MessageApp(Declarations[Action]):
    """Routes messages by ``action`` (the API's route selection expression) to handlers; a reply
    or an ``error`` goes back over the @connections API."""

    kind = "action"

    def __init__(self, api: Callable[[], ConnectionsApi], metrics: Callable[[], Metrics]) -> None:
        super().__init__()
        self._api = api
        self._metrics = metrics

    @property
    def handlers(self) -> dict[str, MessageHandler]:
        return {name: action.handler for name, action in self.declared.items()}

    def action(self, name: str, *, echo: tuple[str, ...] = ()) -> Callable[[MessageHandler], MessageHandler]:
        """Register the handler of ``name``. Its error replies repeat the message's ``echo``
        fields (integers only, never other client input), e.g. the ``sequence`` of a failed chunk."""
        return self._declaring(name, lambda handler: Action(name, handler, echo))

    def handle(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        """Handle one message (the function's handler flushes the metrics after it)."""
        started = time.perf_counter()
        budget.begin(context, REPLY_RESERVE_SECONDS)
        caller = WsCaller.from_event(event)
        bind(caller, getattr(context, "aws_request_id", ""))
        metrics = self._metrics()
        action = ""  # until the message names one: the reply's `action` is "" when it had none
        body: dict[str, Any] = {}
        reply: Reply | Sequence[Reply] | None
        try:
            body = _parse(event.get("body"))
            requested = body.get("action")
            declared = self.declared.get(requested) if isinstance(requested, str) else None
            if declared is None:
                # echoed in the reply and logged: never a client's oversized or non-text value
                action = requested[:MAX_ECHOED_ACTION] if isinstance(requested, str) else ""
                raise UnknownAction()
            action = str(requested)
            reply = declared.handler(caller, body)
        except Exception as caught:  # never let a bug kill the socket silently or leak a trace
            error = answer_for(
                caught,
                rejected="message_rejected",
                failed="message_rejected",
                with_status=False,
                internal=_INTERNAL,
                action=action,
            )
            reply = {
                "type": "error",
                "code": error.code,
                "message": error.message,
                "action": action,
                "requestId": caller.request_id,
                **self._echo(action, body),
            }
            if error.details:  # which field and why, as the HTTP API's 400 says (never the value)
                reply["details"] = [{"field": field, "issue": issue} for field, issue in error.details]
            if isinstance(error, RateLimited):  # HTTP's Retry-After, for a client to act on
                reply["retryAfter"] = error.retry_after_seconds
        with budget.answering():
            for message in [reply] if isinstance(reply, Mapping) else reply or []:
                try:
                    self._api().post(caller.connection_id, message)
                except Exception as error:  # the socket may be gone: nothing else to do
                    _log.warning("reply_failed", error_type=type(error).__name__)
        elapsed = (time.perf_counter() - started) * 1000
        known = action if action in self.declared else "unknown"
        metrics.add("WebSocketMessageDuration", elapsed, unit="Milliseconds", dimensions={"Action": known})
        _log.info("message_handled", action=known, duration_ms=round(elapsed, 2))
        return {"statusCode": 200}

    def _echo(self, action: str, body: Mapping[str, Any]) -> dict[str, int]:
        declared = self.declared.get(action)
        fields = declared.echo if declared else ()
        return {
            name: body[name] for name in fields if type(body.get(name)) is int and 0 <= body[name] <= MAX_ECHOED_INTEGER
        }


def _parse(body: Any) -> dict[str, Any]:
    # API Gateway caps messages at 128 KB; the handler still bounds what it parses (defence in depth)
    if not isinstance(body, str) or len(body) > 2_000_000:
        raise InvalidMessage()
    try:
        parsed = parse_json(body)
    except ValueError:
        raise InvalidMessage("Messages must be JSON objects with an 'action' field.") from None
    if not isinstance(parsed, dict):
        raise InvalidMessage()
    return parsed
