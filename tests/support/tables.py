"""Table definitions for in-process moto tests. tests/contract checks them against Terraform."""

from __future__ import annotations

from typing import Any

SESSIONS_TABLE: dict[str, Any] = {
    "KeySchema": [{"AttributeName": "sessionId", "KeyType": "HASH"}],
    "AttributeDefinitions": [
        {"AttributeName": "sessionId", "AttributeType": "S"},
        {"AttributeName": "speakerId", "AttributeType": "S"},
        {"AttributeName": "createdAt", "AttributeType": "N"},
    ],
    "GlobalSecondaryIndexes": [
        {
            "IndexName": "by-speaker",
            "KeySchema": [
                {"AttributeName": "speakerId", "KeyType": "HASH"},
                {"AttributeName": "createdAt", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
    ],
    "BillingMode": "PAY_PER_REQUEST",
}
RATE_LIMITS_TABLE: dict[str, Any] = {
    "KeySchema": [{"AttributeName": "limitKey", "KeyType": "HASH"}],
    "AttributeDefinitions": [{"AttributeName": "limitKey", "AttributeType": "S"}],
    "BillingMode": "PAY_PER_REQUEST",
}
CONNECTIONS_TABLE: dict[str, Any] = {
    "KeySchema": [{"AttributeName": "connectionId", "KeyType": "HASH"}],
    "AttributeDefinitions": [
        {"AttributeName": "connectionId", "AttributeType": "S"},
        {"AttributeName": "sessionId", "AttributeType": "S"},
        {"AttributeName": "channel", "AttributeType": "S"},
    ],
    "GlobalSecondaryIndexes": [
        {
            "IndexName": "by-session",
            "KeySchema": [
                {"AttributeName": "sessionId", "KeyType": "HASH"},
                {"AttributeName": "channel", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
    ],
    "BillingMode": "PAY_PER_REQUEST",
}
AUDIO_BUFFER_TABLE: dict[str, Any] = {
    "KeySchema": [
        {"AttributeName": "sessionId", "KeyType": "HASH"},
        {"AttributeName": "position", "KeyType": "RANGE"},
    ],
    "AttributeDefinitions": [
        {"AttributeName": "sessionId", "AttributeType": "S"},
        {"AttributeName": "position", "AttributeType": "N"},
    ],
    "BillingMode": "PAY_PER_REQUEST",
}
CATCH_UP_TABLE: dict[str, Any] = {
    "KeySchema": [
        {"AttributeName": "channel", "KeyType": "HASH"},
        {"AttributeName": "sequence", "KeyType": "RANGE"},
    ],
    "AttributeDefinitions": [
        {"AttributeName": "channel", "AttributeType": "S"},
        {"AttributeName": "sequence", "AttributeType": "N"},
    ],
    "BillingMode": "PAY_PER_REQUEST",
}
