import time


def handle(event, context):
    time.sleep(float((event.get("queryStringParameters") or {}).get("seconds", "5")))
    return {"slept": True}
