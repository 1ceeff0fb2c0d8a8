"""The API Gateway ``@connections`` management API: send to, probe and close WebSocket
connections. Fan-out posts in parallel: one slow or dead socket must not hold up the others."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from babelcast.domain.connection_records import Delivery
from babelcast.integration.aws import client_error_code, management_client
from babelcast.logging import get_logger, with_request_context

_log = get_logger(__name__)
FANOUT_WORKERS = 32


class ConnectionsApi:
    # what its calls raise as they come (the sweep tolerates them per connection)
    failures: tuple[type[Exception], ...] = (ClientError, BotoCoreError)

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    @property
    def client(self) -> Any:
        return management_client(self.endpoint)

    def post(self, connection_id: str, message: Mapping[str, Any]) -> bool:
        """Send one JSON message. False when the connection is gone (410); other failures raise."""
        try:
            self.client.post_to_connection(ConnectionId=connection_id, Data=json.dumps(message).encode())
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
        """Post to every connection in parallel; reports delivered, gone (410) and failed counts."""
        ids = list(connection_ids)
        delivery = Delivery()
        if not ids:
            return delivery

        def send(connection_id: str) -> tuple[str, str]:
            body = message(connection_id) if callable(message) else message
            try:
                return connection_id, "delivered" if self.post(connection_id, body) else "gone"
            except (ClientError, BotoCoreError) as error:
                _log.warning("post_failed", connection_id=connection_id, error_type=type(error).__name__)
                return connection_id, "failed"

        with ThreadPoolExecutor(max_workers=min(FANOUT_WORKERS, len(ids))) as pool:
            for connection_id, outcome in pool.map(with_request_context(send), ids):
                if outcome == "delivered":
                    delivery.delivered += 1
                elif outcome == "gone":
                    delivery.gone.append(connection_id)
                else:
                    delivery.failed += 1
        return delivery

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
