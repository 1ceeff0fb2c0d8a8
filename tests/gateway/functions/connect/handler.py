"""$connect: ?status=<code> decides the outcome; records the event for the tests."""

import json
import os
from pathlib import Path


def handle(event, context):
    record = (
        Path(os.environ["RECORD_DIR"]) / f"connect-{event['requestContext']['connectionId'].replace('/', '_')}.json"
    )
    # written whole, then renamed: the test polling for it never reads half a file
    partial = record.with_suffix(".partial")
    partial.write_text(json.dumps(event))
    partial.replace(record)
    status = int((event.get("queryStringParameters") or {}).get("status", "200"))
    return {"statusCode": status}
