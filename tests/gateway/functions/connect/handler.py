"""$connect: ?status=<code> decides the outcome, ?sleep=<seconds> delays it; records the event for the tests."""

import json
import os
import time
from pathlib import Path


def handle(event, context):
    record = (
        Path(os.environ["RECORD_DIR"]) / f"connect-{event['requestContext']['connectionId'].replace('/', '_')}.json"
    )
    # written whole, then renamed: the test polling for it never reads half a file
    partial = record.with_suffix(".partial")
    partial.write_text(json.dumps(event))
    partial.replace(record)
    time.sleep(float((event.get("queryStringParameters") or {}).get("sleep", "0")))
    status = int((event.get("queryStringParameters") or {}).get("status", "200"))
    return {"statusCode": status}
