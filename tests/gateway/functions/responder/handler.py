"""Returns, as its result, the JSON document the request carried (to test response mapping)."""

import json


def handle(event, context):
    return json.loads(event["body"])
