"""API Gateway WebSocket events (CONNECT / MESSAGE / DISCONNECT) and the $connect REQUEST
authorizer event for unit tests, built to the facts in tests/events/facts/ (checked by
tests/gateway/test_fidelity_events.py)."""

from __future__ import annotations

import base64
import json
import secrets
import time
from typing import Any

API_ID = "abc123"
STAGE = "live"


def _aws_id() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(11)).decode()


def _context(connection_id: str, route_key: str, event_type: str, authorizer: dict[str, Any] | None) -> dict[str, Any]:
    now = int(time.time() * 1000)
    rid = _aws_id()
    context: dict[str, Any] = {
        "routeKey": route_key,
        "eventType": event_type,
        "extendedRequestId": rid,
        "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
        "messageDirection": "IN",
        "stage": STAGE,
        "connectedAt": now,
        "requestTimeEpoch": now,
        "identity": {"sourceIp": "203.0.113.7"},
        "requestId": rid,
        "domainName": f"{API_ID}.execute-api.us-east-1.amazonaws.com",
        "connectionId": connection_id,
        "apiId": API_ID,
    }
    if authorizer is not None:
        # the authorizer's context (strings) and principalId; its latency on CONNECT only
        latency = {"integrationLatency": 12} if event_type == "CONNECT" else {}
        context["authorizer"] = {"principalId": authorizer.get("userId", "anonymous"), **latency, **authorizer}
    return context


def new_connection_id() -> str:
    return _aws_id()


_FORWARDED = {
    "X-Amzn-Trace-Id": "Root=1-65f1c2a3-0123456789abcdef01234567",
    "X-Forwarded-For": "203.0.113.7",
    "X-Forwarded-Port": "443",
    "X-Forwarded-Proto": "https",
}


def connect_event(connection_id: str, query: dict[str, str], authorizer: dict[str, Any]) -> dict[str, Any]:
    headers = {"Host": f"{API_ID}.execute-api.us-east-1.amazonaws.com", "Sec-WebSocket-Version": "13", **_FORWARDED}
    event: dict[str, Any] = {
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "requestContext": _context(connection_id, "$connect", "CONNECT", authorizer),
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = query
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()}
    return event


def message_event(
    connection_id: str, body: Any, authorizer: dict[str, Any], route_key: str = "$default"
) -> dict[str, Any]:
    context = _context(connection_id, route_key, "MESSAGE", authorizer)
    context["messageId"] = _aws_id()
    text = body if isinstance(body, str) else json.dumps(body)
    return {"requestContext": context, "body": text, "isBase64Encoded": False}


def disconnect_event(connection_id: str, authorizer: dict[str, Any], code: int = 1001) -> dict[str, Any]:
    context = _context(connection_id, "$disconnect", "DISCONNECT", authorizer)
    context.update({"disconnectStatusCode": code, "disconnectReason": "Going away"})
    headers = {"Host": context["domainName"], "x-api-key": "", "X-Forwarded-For": "", "x-restapi": ""}
    return {
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "requestContext": context,
        "isBase64Encoded": False,
    }


def authorizer_event(query: dict[str, str]) -> dict[str, Any]:
    connection_id = new_connection_id()
    headers = {
        "Connection": "upgrade",
        "content-length": "0",
        "Host": f"{API_ID}.execute-api.us-east-1.amazonaws.com",
        "Upgrade": "websocket",
        **_FORWARDED,
    }
    return {
        "type": "REQUEST",
        "methodArn": f"arn:aws:execute-api:us-east-1:123456789012:{API_ID}/{STAGE}/$connect",
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()},
        "stageVariables": {},
        "requestContext": _context(connection_id, "$connect", "CONNECT", None),
    }


def session_change_event(session_id: str, old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The sessions table's stream event carrying one MODIFY record (images in DynamoDB JSON)."""
    change = {
        "Keys": {"sessionId": {"S": session_id}},
        "OldImage": old,
        "NewImage": new,
        "SequenceNumber": "100",
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    return {"Records": [{"eventID": "1", "eventName": "MODIFY", "eventSource": "aws:dynamodb", "dynamodb": change}]}
