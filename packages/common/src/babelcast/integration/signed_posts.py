"""PostToConnection signed by hand over a pooled HTTP connection: the broadcast's hot path.

A botocore ``post_to_connection`` spends most of its CPU outside the network: parameter
validation, serialisation, event hooks, retry handlers, response parsing. Fan-out makes one call
per listener, and that CPU, not the 20 ms round trip, is what limits how many posts one Lambda can
make in a second (scripts/measure_post_cpu.py prints both). This path does only what the call
needs: a SigV4 signature (botocore's own ``SigV4Auth``, with the credentials and region of the
process-wide boto3 session) and one POST on a urllib3 pool. Errors map to the same
``ClientError`` codes botocore raises (410 ``GoneException``, 429 ``LimitExceededException``, ...),
so callers cannot tell the two apart; the time budget (budget.py) bounds each attempt.
"""

from __future__ import annotations

import json
import threading
from typing import Any
from urllib.parse import quote, urlsplit

import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.exceptions import ClientError, ConnectionError, ReadTimeoutError

from babelcast.integration import budget
from babelcast.integration.aws import boto_session

SERVICE = "execute-api"
CONNECT_SECONDS = 1.0
READ_SECONDS = 1.5  # as the botocore management client's read timeout (aws.py)
POOL_SIZE = 64
# API Gateway names its error in this header; the status decides when it does not
_CODES_BY_STATUS = {
    400: "BadRequestException",
    403: "ForbiddenException",
    410: "GoneException",
    413: "PayloadTooLargeException",
    429: "LimitExceededException",
}
_pools: dict[str, urllib3.PoolManager] = {}
_lock = threading.Lock()


def _pool(endpoint: str) -> urllib3.PoolManager:
    with _lock:
        if endpoint not in _pools:
            _pools[endpoint] = urllib3.PoolManager(maxsize=POOL_SIZE, block=True, retries=False)
        return _pools[endpoint]


def _region(endpoint: str) -> str:
    host = urlsplit(endpoint).hostname or ""
    parts = host.split(".")
    if len(parts) >= 5 and parts[1] == "execute-api":  # <api>.execute-api.<region>.amazonaws.com
        return parts[2]
    return boto_session().region_name or "us-east-1"


def signed_request(service: str, operation: str, endpoint: str, connection_id: str, body: bytes) -> None:
    """One ``PostToConnection`` (``service``/``operation`` name what IAM authorizes: the contract
    tests read them here). Returns on 200; raises ``ClientError`` with botocore's error code,
    ``ConnectionError``/``ReadTimeoutError`` on the transport, ``BudgetExhausted`` when the
    invocation has no time left for an attempt."""
    assert (service, operation) == ("apigatewaymanagementapi", "PostToConnection")
    left = budget.remaining()
    if left < CONNECT_SECONDS + budget.MIN_READ_SECONDS:
        raise budget.BudgetExhausted(operation=operation)
    # the URL and headers botocore sends (so the signature is computed over the same request)
    url = f"{endpoint.rstrip('/')}/@connections/{quote(connection_id, safe='')}"
    request = AWSRequest(method="POST", url=url, data=body)
    credentials = boto_session().get_credentials()
    if credentials is None:
        raise ClientError({"Error": {"Code": "MissingCredentials", "Message": ""}}, operation)
    SigV4Auth(credentials.get_frozen_credentials(), SERVICE, _region(endpoint)).add_auth(request)
    timeout = urllib3.Timeout(connect=CONNECT_SECONDS, read=min(READ_SECONDS, left - CONNECT_SECONDS))
    try:
        response = _pool(endpoint).request(
            "POST", url, body=body, headers=dict(request.headers.items()), timeout=timeout, redirect=False
        )
    except urllib3.exceptions.ReadTimeoutError as error:
        raise ReadTimeoutError(endpoint_url=url) from error
    except urllib3.exceptions.HTTPError as error:
        raise ConnectionError(error=error) from error
    if response.status < 300:
        return
    code = (response.headers.get("x-amzn-ErrorType") or "").split(":")[0] or _CODES_BY_STATUS.get(
        response.status, f"Http{response.status}"
    )
    raise ClientError({"Error": {"Code": code, "Message": _message(response.data)}}, operation)


def _message(data: bytes) -> str:
    try:
        parsed: Any = json.loads(data or b"{}")
    except ValueError:
        return ""
    return str(parsed.get("message", "")) if isinstance(parsed, dict) else ""
