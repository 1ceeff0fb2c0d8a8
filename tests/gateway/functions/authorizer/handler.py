"""A REQUEST authorizer: ?auth=allow|deny|unauthorized|crash decides; ?ctx=<shape> picks the
context it returns (to test API Gateway's rules on it); records its input for the tests."""

import json
import os
from pathlib import Path

CONTEXTS = {
    "typed": {"s": "text", "n": 42, "f": 1.5, "b": True, "z": None},
    "object": {"o": {"nested": 1}},
    "array": {"a": [1, 2]},
    "big": {"big": "x" * 9000},
}


def handle(event, context):
    query = event.get("queryStringParameters") or {}
    record = Path(os.environ["RECORD_DIR"]) / f"authorizer-{event['requestContext']['connectionId']}.json"
    partial = record.with_suffix(".partial")
    partial.write_text(json.dumps(event))
    partial.replace(record)
    mode = query.get("auth", "allow")
    if mode == "unauthorized":
        raise Exception("Unauthorized")
    if mode == "crash":
        raise RuntimeError("authorizer bug")
    result = {
        "principalId": "user-1",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": "execute-api:Invoke",
                    "Effect": "Allow" if mode == "allow" else "Deny",
                    "Resource": event["methodArn"],
                }
            ],
        },
        "context": CONTEXTS.get(query.get("ctx", ""), {"role": "speaker", "seenType": event["type"]}),
    }
    if query.get("ctx") == "noprincipal":
        del result["principalId"]
    return result
