"""Message routes: answers through the @connections API with boto3, exactly as deployed code does."""

import json
import os

import boto3


def handle(event, context):
    client = boto3.client("apigatewaymanagementapi", endpoint_url=os.environ["CONNECTIONS_URL"])
    connection_id = event["requestContext"]["connectionId"]
    body = json.loads(event["body"]) if event.get("body", "").startswith("{") else {}
    if body.get("action") == "hangup":
        client.delete_connection(ConnectionId=connection_id)
        return {"statusCode": 200}
    if body.get("action") == "size":
        payload = {"type": "size", "bytes": len(event["body"].encode())}
    elif body.get("action") == "describe":
        described = client.get_connection(ConnectionId=connection_id)
        payload = {"type": "described", "sourceIp": described["Identity"]["SourceIp"]}
    elif body.get("action") == "gone":
        try:
            client.post_to_connection(ConnectionId="Z29uZQ==", Data=b"x")
            payload = {"type": "gone", "error": None}
        except client.exceptions.GoneException:
            payload = {"type": "gone", "error": "GoneException"}
    else:
        payload = {"type": "echo", "routeKey": event["requestContext"]["routeKey"], "event": event}
    client.post_to_connection(ConnectionId=connection_id, Data=json.dumps(payload).encode())
    return {"statusCode": 200}
