import json
import os
from pathlib import Path


def handle(event, context):
    record = (
        Path(os.environ["RECORD_DIR"]) / f"disconnect-{event['requestContext']['connectionId'].replace('/', '_')}.json"
    )
    record.write_text(json.dumps(event))
    return {"statusCode": 200}
