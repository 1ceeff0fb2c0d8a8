"""API Gateway HTTP API payload-2.0 events for unit tests, built from tests/events/http_api_v2_post_sessions.json
(an example written to the facts in tests/events/facts/, not a recording)."""

from __future__ import annotations

import base64
import copy
import json
import re
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

_TEMPLATE = json.loads((Path(__file__).parent.parent / "events" / "http_api_v2_post_sessions.json").read_text())
SPEAKER = "8f1b6c2e-1d0a-4c5f-9e7b-3a2d1c0b9a87"
OTHER_SPEAKER = "1a2b3c4d-0000-4000-8000-00000000beef"


def claims_for(sub: str) -> dict[str, str]:
    claims: dict[str, str] = dict(_TEMPLATE["requestContext"]["authorizer"]["jwt"]["claims"])
    claims["sub"] = sub
    return claims


def http_event(
    route_key: str,
    path: str,
    *,
    body: Any = None,
    raw_body: str | None = None,
    base64_body: bool = False,
    sub: str | None = SPEAKER,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An event as API Gateway delivers it for ``route_key``. ``sub=None`` means no authorizer
    ran (public routes carry no ``authorizer`` block)."""
    event: dict[str, Any] = copy.deepcopy(_TEMPLATE)
    method = route_key.split(" ", 1)[0]
    event["routeKey"] = event["requestContext"]["routeKey"] = route_key
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = method
    event["requestContext"]["requestId"] = base64.urlsafe_b64encode(secrets.token_bytes(11)).decode()
    params = _path_parameters(route_key, path)
    if params:
        event["pathParameters"] = params
    if query:
        event["queryStringParameters"] = query
        event["rawQueryString"] = urlencode(query, quote_via=quote)  # as sent: percent-encoded
    if headers:
        event["headers"].update({k.lower(): v for k, v in headers.items()})
    if sub is None:
        del event["requestContext"]["authorizer"]
    else:
        event["requestContext"]["authorizer"]["jwt"]["claims"] = claims_for(sub)
    text = raw_body if raw_body is not None else (json.dumps(body) if body is not None else None)
    if text is None:
        event.pop("body", None)
        event["headers"].pop("content-type", None)
        event["headers"]["content-length"] = "0"  # API Gateway sends it on every request
    elif base64_body:
        event["body"] = base64.b64encode(text.encode()).decode()
        event["isBase64Encoded"] = True
        event["headers"]["content-length"] = str(len(text.encode()))
    else:
        event["body"] = text
        event["headers"]["content-length"] = str(len(text.encode()))
    return event


def _path_parameters(route_key: str, path: str) -> dict[str, str]:
    template = route_key.split(" ", 1)[1]
    pattern = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$"
    match = re.match(pattern, path)
    return match.groupdict() if match else {}


class LambdaContext:
    function_name = "babelcast-test-http-api"
    memory_limit_in_mb = 512
    aws_request_id = "00000000-0000-4000-8000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000
