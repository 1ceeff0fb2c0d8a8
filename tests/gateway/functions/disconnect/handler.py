import json
import os
from pathlib import Path


def handle(event, context):
    record = (
        Path(os.environ["RECORD_DIR"]) / f"disconnect-{event['requestContext']['connectionId'].replace('/', '_')}.json"
    )
    # written whole, then renamed: the test polling for it never reads half a file
    partial = record.with_suffix(".partial")
    partial.write_text(json.dumps(event))
    partial.replace(record)
    return {"statusCode": 200}
