"""What API Gateway's WebSocket API hands to functions, and how it reads its REQUEST authorizer.

Each rule here is backed by a public recorded event or the developer guide (tests/events/README.md
names the source of each fixture; tests/gateway/test_fidelity_websocket.py compares field by field):

- ``$connect`` events carry the client's handshake headers minus the hop-by-hop ``Connection`` and
  ``Upgrade``, plus ``X-Amzn-Trace-Id`` and ``X-Forwarded-For/-Port/-Proto``; the authorizer input
  keeps ``Connection: upgrade`` and ``Upgrade: websocket`` and adds ``content-length: 0``.
- ``$disconnect`` events carry only ``Host``, ``x-api-key``, ``X-Forwarded-For`` and ``x-restapi``
  (the last three empty), whatever the handshake sent.
- ``identity`` has ``userAgent`` only when the client sent a User-Agent.
- The authorizer's ``context`` values reach every later event as strings (numbers and booleans
  stringified, null kept); an object or array value, a missing ``principalId`` or a result over
  8 KB makes ``$connect`` fail with 500. ``integrationLatency`` is in the ``$connect`` event only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from multidict import CIMultiDictProxy

from babelcast_devstack.invocation import aws_id, forwarded_for, request_time, trace_id

MAX_AUTHORIZER_RESULT_BYTES = 8 * 1024  # "AWS Lambda authorizer result size 8 KB"
_HOP_BY_HOP = {"connection", "upgrade"}


class AuthorizerRefused(Exception):
    """The authorizer's result refuses the connection; ``status`` is what the client gets."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class Handshake:
    """The client's upgrade request, as the events of one connection need it."""

    def __init__(self, headers: CIMultiDictProxy[str], source_ip: str, scheme: str, port: int | None) -> None:
        self.source_ip = source_ip
        self.user_agent = headers.get("User-Agent")
        self.host = headers.get("Host", "")
        self._pairs = [(name, value) for name, value in headers.items()]
        self._added = {
            "X-Amzn-Trace-Id": headers.get("X-Amzn-Trace-Id") or trace_id(),
            "X-Forwarded-For": forwarded_for(headers.get("X-Forwarded-For"), source_ip),
            "X-Forwarded-Port": str(port or ""),
            "X-Forwarded-Proto": scheme,
        }

    def _headers(self, *, authorizer: bool) -> list[tuple[str, str]]:
        added = dict(self._added)
        if authorizer:
            added.update({"Connection": "upgrade", "Upgrade": "websocket"})
        replaced = {name.lower() for name in added}
        pairs = [(n, v) for n, v in self._pairs if n.lower() not in replaced and n.lower() not in _HOP_BY_HOP]
        pairs += added.items()
        if authorizer and not any(n.lower() == "content-length" for n, _ in pairs):
            pairs.append(("content-length", "0"))
        return pairs

    def connect_headers(self, *, authorizer: bool = False) -> tuple[dict[str, str], dict[str, list[str]]]:
        """``headers`` (repeats joined with commas) and ``multiValueHeaders`` of $connect events."""
        single: dict[str, str] = {}
        multi: dict[str, list[str]] = {}
        for name, value in self._headers(authorizer=authorizer):
            single[name] = f"{single[name]},{value}" if name in single else value
            multi.setdefault(name, []).append(value)
        return single, multi

    def disconnect_headers(self) -> tuple[dict[str, str], dict[str, list[str]]]:
        single = {"Host": self.host, "x-api-key": "", "X-Forwarded-For": "", "x-restapi": ""}
        return single, {name: [value] for name, value in single.items()}

    def identity(self) -> dict[str, str]:
        identity = {"sourceIp": self.source_ip}
        if self.user_agent is not None:
            identity["userAgent"] = self.user_agent
        return identity


def request_context(
    *,
    api_id: str,
    stage: str,
    connection_id: str,
    connected_at: int,
    handshake: Handshake,
    route_key: str,
    event_type: str,
    epoch: int,
) -> dict[str, Any]:
    """``requestContext`` of a WebSocket event (the same request id appears as ``extendedRequestId``)."""
    rid = aws_id()
    return {
        "routeKey": route_key,
        "eventType": event_type,
        "extendedRequestId": rid,
        "requestTime": request_time(epoch),
        "messageDirection": "IN",
        "stage": stage,
        "connectedAt": connected_at,
        "requestTimeEpoch": epoch,
        "identity": handshake.identity(),
        "requestId": rid,
        "domainName": handshake.host,
        "connectionId": connection_id,
        "apiId": api_id,
    }


def authorizer_context(result: Any, method_arn: str) -> dict[str, Any]:
    """What a REQUEST authorizer's result puts in ``requestContext.authorizer`` (without
    ``integrationLatency``), or AuthorizerRefused: 403 when the policy does not allow the
    method, 500 when the result breaks API Gateway's rules."""
    if not isinstance(result, dict) or len(json.dumps(result).encode()) > MAX_AUTHORIZER_RESULT_BYTES:
        raise AuthorizerRefused(500)
    principal = result.get("principalId")
    context = result.get("context")
    context = {} if context is None else context  # absent or null; [], "" or 0 is no map
    if not isinstance(principal, str) or not principal or not isinstance(context, dict):
        raise AuthorizerRefused(500)
    rendered = {str(key): _context_value(value) for key, value in context.items()}
    if not policy_allows(result.get("policyDocument"), method_arn):
        raise AuthorizerRefused(403)
    return {**rendered, "principalId": principal}


def _context_value(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)  # the number as the authorizer's JSON wrote it
    raise AuthorizerRefused(500)  # objects and arrays are not valid context values


def policy_allows(policy: Any, method_arn: str) -> bool:
    """An IAM policy from a REQUEST authorizer allows ``execute-api:Invoke`` on the method; a
    policy that is not a policy document breaks the authorizer's contract (AuthorizerRefused 500)."""
    if not isinstance(policy, dict):
        raise AuthorizerRefused(500)
    statements = policy.get("Statement")
    statements = [statements] if isinstance(statements, dict) else statements
    if not isinstance(statements, list):
        raise AuthorizerRefused(500)
    allowed = False
    for statement in statements:
        if not isinstance(statement, dict):
            raise AuthorizerRefused(500)
        actions, resources = _strings(statement.get("Action")), _strings(statement.get("Resource"))
        if not any(a in ("execute-api:Invoke", "execute-api:*", "*") for a in actions):
            continue
        if not any(_iam_pattern(r).fullmatch(method_arn) for r in resources):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = allowed or statement.get("Effect") == "Allow"
    return allowed


def _strings(value: Any) -> list[str]:
    """A statement's ``Action`` or ``Resource``: a string or a list of strings."""
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise AuthorizerRefused(500)
    return values


def _iam_pattern(resource: str) -> re.Pattern[str]:
    """IAM wildcards: ``*`` any run of characters, ``?`` one; nothing else is special (unlike fnmatch's ``[...]``)."""
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in resource), re.DOTALL)


def selection_value(expression: str, body: str) -> str | None:
    """Evaluate ``$request.body.<path>`` against a text message; None routes it to ``$default``
    (not JSON, nested too deeply for the parser, or no string at the path)."""
    if not expression.startswith("$request.body."):
        return None
    try:
        value: Any = json.loads(body)
    except (ValueError, RecursionError):
        return None
    for part in expression.removeprefix("$request.body.").split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value if isinstance(value, str) else None


def gateway_error(message: str, connection_id: str, request_id: str) -> str:
    """The frame API Gateway sends a client whose message it could not deliver."""
    return json.dumps({"message": message, "connectionId": connection_id, "requestId": request_id})


def query_parameters(pairs: Mapping[str, str] | Any) -> tuple[dict[str, str], dict[str, list[str]]]:
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in pairs.items():
        single[name] = value  # the last one wins in queryStringParameters, as on AWS's format 1.0
        multi.setdefault(name, []).append(value)
    return single, multi
