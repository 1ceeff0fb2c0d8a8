"""A REQUEST authorizer: ?auth=allow|deny|unauthorized|crash."""


def handle(event, context):
    mode = (event.get("queryStringParameters") or {}).get("auth", "allow")
    if mode == "unauthorized":
        raise Exception("Unauthorized")
    if mode == "crash":
        raise RuntimeError("authorizer bug")
    return {
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
        "context": {"role": "speaker", "seenType": event["type"]},
    }
