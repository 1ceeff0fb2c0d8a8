"""Returns the event and selected context fields, so tests can inspect what the gateway built."""

import json
import os


def handle(event, context):
    if event.get("rawPath", "").endswith("/boom"):
        raise ValueError("boom")
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json", "x-echo": "1"},
        "cookies": ["session=abc; Path=/"],
        "body": json.dumps(
            {
                "event": event,
                "function": context.function_name,
                "memory": context.memory_limit_in_mb,
                "remaining": context.get_remaining_time_in_millis(),
                "env": {k: os.environ.get(k) for k in ("MARKER", "AWS_ENDPOINT_URL", "CONNECTIONS_URL", "JWKS_URL")},
            }
        ),
    }
