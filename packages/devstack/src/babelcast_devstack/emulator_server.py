"""moto's server, with requests applied one at a time.

moto's backends are not thread-safe (a DynamoDB transaction deep-copies tables while other
requests write), while AWS applies each request atomically. Serialising requests restores that
guarantee — conditional writes and transactions racing from many Lambda workers behave as on
AWS — at a throughput (hundreds of requests a second) that is plenty for one developer's stack.

Faults can be injected while it runs, so that tests (and developers) can see what a slow or
failing AWS does to the functions: see ``babelcast_devstack.faults`` and docs/testing-faults.md.

Run: python -m babelcast_devstack.emulator_server <host> <port>
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from moto.awslambda.policy import Policy
from moto.cognitoidp.models import CognitoIdpBackend
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import StreamShard, Table
from moto.dynamodb.responses import DynamoResult
from moto.kinesis.models import Stream
from moto.kinesis.responses import KinesisResponse
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple

from babelcast_devstack import identity
from babelcast_devstack.faults import CONTROL_PATH, FaultBoard


class _NotDispatched(dict[str, Any]):
    """moto would run a stream's event-source mappings itself (through Docker) on every write and
    then drop the records; the local stack's trigger runner polls the streams instead, as Lambda
    does, so moto must never see a mapping to dispatch."""

    def __setitem__(self, key: str, value: Any) -> None:
        pass


def _without_mapping_dispatch(model: Any) -> None:
    original = model.__init__

    def patched(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.lambda_event_source_mappings = _NotDispatched()

    model.__init__ = patched


class SerializedApplication:
    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.faults = FaultBoard()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ.get("PATH_INFO") == CONTROL_PATH:
            return self.faults.control(environ, start_response)
        fault = self.faults.match(environ)
        if fault is not None:
            failure = fault.before()  # waits outside the lock: other requests go on
            if failure is not None:
                return failure(start_response)
        try:
            with self.lock:
                # materialise the body inside the lock: moto may build it lazily
                body = list(self.app(environ, start_response))
        finally:
            if fault is not None:
                fault.served()
        if fault is not None:
            time.sleep(fault.answer_delay())  # applied, answered late: what a client that gave up saw
        return body


def _stream_survives_rollback() -> None:
    """A failed transaction makes moto restore every table it touched from a deep copy, replacing
    the table objects — and their change streams: shard iterators already handed out keep reading
    the orphaned shard, so a stream consumer goes silent after the first failed transaction
    (a routine event: a conditional write that loses a race). Keep one shard per table instead:
    never copy it (which also keeps transactions fast as the stream grows), and after a rollback
    re-attach it to the restored table, dropping the records the failed transaction appended."""

    def keep_shard(self: Any, memo: dict[int, Any]) -> Any:
        return self

    StreamShard.__deepcopy__ = keep_shard  # type: ignore[attr-defined]
    original = DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        before = {
            name: (table, table.stream_shard, len(table.stream_shard.items))
            for name, table in self.tables.items()
            if table.stream_shard is not None
        }
        try:
            original(self, transact_items)
        finally:
            for name, (table, shard, length) in before.items():
                restored = self.tables.get(name)
                if restored is not None and restored is not table:
                    del shard.items[length:]
                    shard.table = restored
                    restored.stream_shard = shard

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def _stream_tags_on_create() -> None:
    """AWS applies the Tags of a CreateStream request; moto drops them, so every later plan would
    show the streams' tags as a change. Apply them as AWS does."""
    original = KinesisResponse.create_stream

    def create_stream(self: Any) -> Any:
        result = original(self)
        tags = self._get_param("Tags")
        if tags:
            self.kinesis_backend.add_tags_to_stream(None, self._get_param("StreamName"), tags)
        return result

    KinesisResponse.create_stream = create_stream  # type: ignore[method-assign]


def stable_cognito_ids(seed: str) -> None:
    """Make moto's Cognito give derived ids in AWS's shapes (pool ``<region>_<9 alphanumerics>``,
    client 26 lowercase alphanumerics). An id already taken (a second pool of the same name)
    keeps moto's random one."""
    create_pool, create_client = CognitoIdpBackend.create_user_pool, CognitoIdpBackend.create_user_pool_client

    def create_user_pool(self: Any, name: str, extended_config: dict[str, Any]) -> Any:
        pool = create_pool(self, name, extended_config)
        stable = identity.user_pool_id(seed, self.region_name, name)
        if stable not in self.user_pools:
            del self.user_pools[pool.id]
            pool.arn = f"{pool.arn.rsplit('/', 1)[0]}/{stable}"
            pool.id = stable
            self.user_pools[stable] = pool
        return pool

    def create_user_pool_client(
        self: Any, user_pool_id: str, generate_secret: bool, extended_config: dict[str, Any]
    ) -> Any:
        client = create_client(self, user_pool_id, generate_secret, extended_config)
        clients = self.user_pools[user_pool_id].clients
        name = str((extended_config or {}).get("ClientName", ""))
        stable = identity.app_client_id(seed, user_pool_id, name)
        if stable not in clients:
            del clients[client.id]
            client.id = stable
            clients[stable] = client
        return client

    CognitoIdpBackend.create_user_pool = create_user_pool  # type: ignore[method-assign]
    CognitoIdpBackend.create_user_pool_client = create_user_pool_client  # type: ignore[method-assign]


def _one_statement_per_sid() -> None:
    """AWS keeps one statement per Sid in a function's resource policy; moto appends another copy
    when AddPermission is sent again, and RemovePermission then removes only the first. A loaded
    emulator answering an AddPermission late makes the provider's SDK resend it (seen in the estate
    example's apply: two identical POSTs for one aws_lambda_permission), and the later destroy waits
    five minutes for a statement that never goes. Keep one: a repeated Sid replaces its statement."""
    original = Policy.add_statement

    def add_statement(self: Any, raw: str, qualifier: str | None = None) -> tuple[Any, str]:
        statement, revision = original(self, raw, qualifier)
        added = self.statements[-1]
        self.statements[:] = [s for s in self.statements if s is added or s.get("Sid") != added.get("Sid")]
        return statement, revision

    Policy.add_statement = add_statement  # type: ignore[method-assign]


def _dynamodb_results_as_plain_json() -> None:
    """moto walks the botocore shape of every attribute of every item to serialise a DynamoDB
    answer: ~1 ms per item, so a 1 MB Query page (7 000+ connection records) took seconds and
    timed out the functions' reads. The result is already DynamoDB's wire JSON (attribute
    values as {"S": ...}): dump it directly, with the same status and content type; anything
    json cannot dump as is (binary values) goes the original way."""
    original = DynamoResult.execute_result

    def execute_result(self: DynamoResult, context: Any) -> Any:
        try:
            body = json.dumps(self.result)
        except TypeError:
            return original(self, context)
        return 200, {"Content-Type": "application/x-amz-json-1.0"}, body

    DynamoResult.execute_result = execute_result  # type: ignore[method-assign,assignment]


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    for model in (Table, Stream):
        _without_mapping_dispatch(model)
    _stream_survives_rollback()
    _stream_tags_on_create()
    if seed := identity.seed_from_environment():  # `make dev`: the same Cognito ids on every start of a checkout
        stable_cognito_ids(seed)
    _one_statement_per_sid()
    _dynamodb_results_as_plain_json()
    application = DomainDispatcherApplication(create_backend_app)
    run_simple(host, port, SerializedApplication(application), threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
