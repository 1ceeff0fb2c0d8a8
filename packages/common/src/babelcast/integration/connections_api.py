"""The API Gateway ``@connections`` management API: send to, probe and close WebSocket
connections. Fan-out posts in parallel: one slow or dead socket must not hold up the others.

API Gateway answers ``LimitExceededException`` (429) when the account's post rate is exceeded or
a client's buffer is full: the post is tried again after a backoff with full jitter (so the
threads that were throttled together do not come back together), while the invocation has time;
what is still undelivered then is reported, for the caller to hand on."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from babelcast.domain.connection_records import Delivery
from babelcast.integration import budget
from babelcast.integration.aws import client_error_code, management_client
from babelcast.integration.signed_posts import signed_request
from babelcast.logging import get_logger, with_request_context

_log = get_logger(__name__)
FANOUT_WORKERS = 32
THROTTLE_BACKOFF_SECONDS = 0.05  # the first backoff's ceiling; it doubles per 429, up to the cap
THROTTLE_BACKOFF_CAP_SECONDS = 1.0
THROTTLE_RETRIES = 8  # per post, also outside Lambda (no deadline)
# an attempt after a backoff starts only if this much is left (one attempt, and handing the rest
# on: shard_invoker.py invokes within the reserve the handler keeps for answering)
POST_ATTEMPT_SECONDS = 1.5
sleep: Callable[[float], None] = time.sleep  # tests let a backoff pass without waiting


class ConnectionsApi:
    # what its calls raise as they come (the sweep tolerates them per connection)
    failures: tuple[type[Exception], ...] = (ClientError, BotoCoreError)

    def __init__(self, endpoint: str, *, signed: bool = False) -> None:
        self.endpoint = endpoint
        self.signed = signed  # posts signed by hand (signed_posts.py): the broadcast's hot path

    @property
    def client(self) -> Any:
        return management_client(self.endpoint)

    def post(self, connection_id: str, message: Mapping[str, Any]) -> bool:
        """Send one JSON message. False when the connection is gone (410); other failures raise."""
        return self.post_data(connection_id, json.dumps(message).encode())

    def post_data(self, connection_id: str, data: bytes) -> bool:
        try:
            if self.signed:
                signed_request("apigatewaymanagementapi", "PostToConnection", self.endpoint, connection_id, data)
            else:
                self.client.post_to_connection(ConnectionId=connection_id, Data=data)
        except ClientError as error:
            if client_error_code(error) == "GoneException":
                return False
            raise
        return True

    def is_connected(self, connection_id: str) -> bool:
        try:
            self.client.get_connection(ConnectionId=connection_id)
        except ClientError as error:
            if client_error_code(error) == "GoneException":
                return False
            raise
        return True

    def close(self, connection_id: str) -> None:
        try:
            self.client.delete_connection(ConnectionId=connection_id)
        except ClientError as error:
            if client_error_code(error) != "GoneException":
                raise

    def post_many(
        self, connection_ids: Iterable[str], message: Mapping[str, Any] | Callable[[str], Mapping[str, Any]]
    ) -> Delivery:
        """Post to every connection in parallel; reports delivered, gone (410) and failed ones
        (``undelivered``), and the throttled answers met on the way."""
        ids = list(connection_ids)
        delivery = Delivery()
        if not ids:
            return delivery
        shared = None if callable(message) else json.dumps(message).encode()  # encoded once for everyone

        def send(connection_id: str) -> tuple[str, str, int]:
            data = shared if shared is not None else json.dumps(message(connection_id)).encode()  # type: ignore[operator]
            return (connection_id, *self._send(connection_id, data))

        with ThreadPoolExecutor(max_workers=min(FANOUT_WORKERS, len(ids))) as pool:
            for connection_id, outcome, throttled in pool.map(with_request_context(send), ids):
                delivery.throttled += throttled
                if outcome == "delivered":
                    delivery.delivered += 1
                elif outcome == "gone":
                    delivery.gone.append(connection_id)
                else:
                    delivery.failed += 1
                    delivery.undelivered.append(connection_id)
        return delivery

    def _send(self, connection_id: str, data: bytes) -> tuple[str, int]:
        """One post, tried again after each 429 while time is left: (outcome, 429s met)."""
        ceiling, throttled = THROTTLE_BACKOFF_SECONDS, 0
        while True:
            try:
                return ("delivered" if self.post_data(connection_id, data) else "gone"), throttled
            except ClientError as error:
                if client_error_code(error) != "LimitExceededException":
                    _log.warning("post_failed", connection_id=connection_id, error_type=client_error_code(error))
                    return "failed", throttled
            except BotoCoreError as error:
                _log.warning("post_failed", connection_id=connection_id, error_type=type(error).__name__)
                return "failed", throttled
            throttled += 1
            pause = random.uniform(0, ceiling)  # noqa: S311 - jitter, not a secret
            if throttled > THROTTLE_RETRIES or budget.remaining() < pause + POST_ATTEMPT_SECONDS:
                return "throttled", throttled
            sleep(pause)
            ceiling = min(THROTTLE_BACKOFF_CAP_SECONDS, ceiling * 2)

    def close_many(self, connection_ids: Iterable[str]) -> None:
        ids = list(connection_ids)
        if not ids:
            return

        def close(connection_id: str) -> None:
            try:
                self.close(connection_id)
            except (ClientError, BotoCoreError) as error:
                _log.warning("close_failed", connection_id=connection_id, error_type=type(error).__name__)

        with ThreadPoolExecutor(max_workers=min(FANOUT_WORKERS, len(ids))) as pool:
            list(pool.map(with_request_context(close), ids))
