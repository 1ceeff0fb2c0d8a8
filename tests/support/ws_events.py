"""API Gateway WebSocket events (CONNECT / MESSAGE / DISCONNECT) and the $connect REQUEST
authorizer event, shaped like AWS's recorded events."""

from __future__ import annotations

import base64
import json
import secrets
import time
from typing import Any

API_ID = "abc123"
STAGE = "live"


def _context(connection_id: str, route_key: str, event_type: str, authorizer: dict[str, Any] | None) -> dict[str, Any]:
    now = int(time.time() * 1000)
    rid = base64.b64encode(secrets.token_bytes(10)).decode()
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
        context["authorizer"] = {
            "principalId": authorizer.get("userId", "anonymous"),
            "integrationLatency": 12,
            **authorizer,
        }
    return context


def new_connection_id() -> str:
    return base64.b64encode(secrets.token_bytes(10)).decode()


def connect_event(connection_id: str, query: dict[str, str], authorizer: dict[str, Any]) -> dict[str, Any]:
    headers = {"Host": f"{API_ID}.execute-api.us-east-1.amazonaws.com", "Sec-WebSocket-Version": "13"}
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
    context["messageId"] = base64.b64encode(secrets.token_bytes(10)).decode()
    text = body if isinstance(body, str) else json.dumps(body)
    return {"requestContext": context, "body": text, "isBase64Encoded": False}


def disconnect_event(connection_id: str, authorizer: dict[str, Any], code: int = 1001) -> dict[str, Any]:
    context = _context(connection_id, "$disconnect", "DISCONNECT", authorizer)
    context.update({"disconnectStatusCode": code, "disconnectReason": "Going away"})
    return {"headers": {}, "multiValueHeaders": {}, "requestContext": context, "isBase64Encoded": False}


def authorizer_event(query: dict[str, str]) -> dict[str, Any]:
    connection_id = new_connection_id()
    return {
        "type": "REQUEST",
        "methodArn": f"arn:aws:execute-api:us-east-1:123456789012:{API_ID}/{STAGE}/$connect",
        "headers": {},
        "multiValueHeaders": {},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()},
        "stageVariables": {},
        "requestContext": _context(connection_id, "$connect", "CONNECT", None),
    }


def session_change_event(session_id: str, old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The sessions table's stream event carrying one MODIFY record (images in DynamoDB JSON)."""
    change = {"Keys": {"sessionId": {"S": session_id}}, "OldImage": old, "NewImage": new, "SequenceNumber": "100",
              "StreamViewType": "NEW_AND_OLD_IMAGES"}  # fmt: skip
    return {"Records": [{"eventID": "1", "eventName": "MODIFY", "eventSource": "aws:dynamodb", "dynamodb": change}]}
