"""Lazily created, process-wide boto3 clients (created on first use, reused by warm invocations).

boto3 honours AWS_ENDPOINT_URL, so the same code runs against AWS, moto or LocalStack.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, ReadTimeoutError

from babelcast.errors import DependencyFailure, DependencyUnavailable
from babelcast.integration import budget
from babelcast.logging import get_logger

if TYPE_CHECKING:
    from mypy_boto3_apigatewaymanagementapi import ApiGatewayManagementApiClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_kinesis import KinesisClient
    from mypy_boto3_lambda import LambdaClient

# babelcast.integration.budget gives each attempt the read timeout the invocation has left for it
# (at most 5 s) and starts or retries an attempt only when it fits, so the attempts and timeouts a
# call really gets follow from the function's remaining time (docs/operating.md, "Retries and
# timeouts"); the read timeouts below apply where botocore cannot set one per request.
_CLIENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 4},  # attempts in all, the first included
    connect_timeout=budget.DATA_CONNECT_SECONDS,
    read_timeout=budget.DATA_READ_SECONDS,
    tcp_keepalive=True,
)
# The health probe: one short attempt, so that GET /health answers within ~2 s whatever DynamoDB does.
_PROBE_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=0.5, read_timeout=1.2)
THROTTLING_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "ServiceUnavailable",
        "LimitExceededException",
    }
)
_log = get_logger(__name__)
# One session for every client: its loader caches what all clients read (endpoints, partitions,
# retry rules, the service list), which a session per client would parse again on a cold start.
# Sessions are not thread-safe, and fan-out threads may ask for a client together: looking up and
# creating happen under one lock, so each client is created once (clients are thread-safe).
_lock = threading.Lock()
_session: boto3.session.Session | None = None
_clients: dict[tuple[str, str | None, int], Any] = {}


def boto_session() -> boto3.session.Session:
    """The process-wide session (its credentials sign the hand-made @connections posts too)."""
    global _session  # noqa: PLW0603 - the process-wide session, created on first use
    with _lock:
        _session = _session or boto3.session.Session()
        return _session


def _client(service: str, config: Config, endpoint_url: str | None = None) -> Any:
    global _session  # noqa: PLW0603 - the process-wide session, created on first use
    with _lock:
        key = (service, endpoint_url, id(config))
        if key not in _clients:
            _session = _session or boto3.session.Session()
            client = _session.client(service, endpoint_url=endpoint_url, config=config)  # type: ignore[call-overload]
            budget.install(client)
            _clients[key] = client
        return _clients[key]


def dynamodb_client() -> DynamoDBClient:
    client: DynamoDBClient = _client("dynamodb", _CLIENT_CONFIG)
    return client


def probe_dynamodb_client() -> DynamoDBClient:
    client: DynamoDBClient = _client("dynamodb", _PROBE_CONFIG)
    return client


def kinesis_client() -> KinesisClient:
    client: KinesisClient = _client("kinesis", _CLIENT_CONFIG)
    return client


def lambda_client() -> LambdaClient:
    """Invoking a function (the broadcast hands shards of a segment's listeners to itself)."""
    client: LambdaClient = _client("lambda", _CLIENT_CONFIG)
    return client


# Posting to many connections in parallel: one pooled client per endpoint, shared by threads
# (botocore clients are thread-safe), with a connection pool as wide as the fan-out.
_MANAGEMENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 2},
    connect_timeout=1,
    read_timeout=1.5,
    max_pool_connections=64,
)


def management_client(endpoint: str) -> ApiGatewayManagementApiClient:
    client: ApiGatewayManagementApiClient = _client("apigatewaymanagementapi", _MANAGEMENT_CONFIG, endpoint)
    return client


def reset_clients() -> None:
    """Forget the session and its clients (tests switch emulators between cases)."""
    global _session  # noqa: PLW0603
    with _lock:
        _session = None
        _clients.clear()


def client_error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", "Unknown"))


def is_condition_failure(error: ClientError) -> bool:
    return client_error_code(error) == "ConditionalCheckFailedException"


def is_transaction_cancelled(error: ClientError) -> bool:
    return client_error_code(error) == "TransactionCanceledException"


def raise_dependency_error(error: Exception, *, dependency: str, operation: str) -> NoReturn:
    """Log a failed AWS call with context (never its message: it can name resources) and raise
    the domain error a client should see."""
    if isinstance(error, ClientError):
        code = client_error_code(error)
        _log.error("dependency_call_failed", dependency=dependency, operation=operation, aws_error_code=code)
        if code in THROTTLING_CODES:
            raise DependencyUnavailable() from None
        raise DependencyFailure() from None
    _log.error("dependency_unreachable", dependency=dependency, operation=operation, error_type=type(error).__name__)
    if isinstance(error, ConnectionError | ReadTimeoutError | budget.BudgetExhausted):
        raise DependencyUnavailable() from None
    raise DependencyFailure() from None


@contextmanager
def aws_call(
    dependency: str, operation: str, *, passthrough: Callable[[ClientError], bool] | None = None
) -> Iterator[None]:
    """Translate AWS failures into domain errors; ``passthrough`` lets callers handle expected
    client errors (e.g. a failed condition) themselves."""
    try:
        yield
    except ClientError as error:
        if passthrough is not None and passthrough(error):
            raise
        raise_dependency_error(error, dependency=dependency, operation=operation)
    except BotoCoreError as error:
        raise_dependency_error(error, dependency=dependency, operation=operation)


class DynamoTable:
    """Base of the table classes: the table's name and the shared, lazily created client (a test
    may inject its own)."""

    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self.table_name = table_name
        self._client = client

    @property
    def client(self) -> DynamoDBClient:
        return self._client or dynamodb_client()
