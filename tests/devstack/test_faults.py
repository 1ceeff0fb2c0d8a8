"""Fault injection in the embedded emulator (babelcast_devstack.faults): a stall holds a
service's requests until it ends and then applies them, a slow answer comes late after the write
was applied, a failure is refused unapplied, and only what the fault names is touched."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from babelcast_devstack import faults
from babelcast_devstack.emulator import emulator_client, moto_server
from botocore.config import Config
from botocore.exceptions import ClientError, ReadTimeoutError

from tests.support.tables import SESSIONS_TABLE

NO_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1}, read_timeout=10)


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    with moto_server() as endpoint:
        emulator_client(endpoint, "us-east-1", "dynamodb").create_table(TableName="t", **SESSIONS_TABLE)
        emulator_client(endpoint, "us-east-1", "kinesis").create_stream(StreamName="s", ShardCount=1)
        yield endpoint


@pytest.fixture(autouse=True)
def cleared(emulator: str) -> Iterator[None]:
    yield
    faults.clear(emulator)


def dynamodb(endpoint: str, config: Config = NO_RETRIES) -> Any:
    return emulator_client(endpoint, "us-east-1", "dynamodb", config=config)


def put(client: Any, key: str) -> float:
    started = time.monotonic()
    client.put_item(TableName="t", Item={"sessionId": {"S": key}})
    return time.monotonic() - started


def stored(endpoint: str, key: str) -> bool:
    return "Item" in dynamodb(endpoint).get_item(TableName="t", Key={"sessionId": {"S": key}})


def test_a_stall_holds_the_service_then_applies_what_it_held(emulator: str) -> None:
    kinesis = emulator_client(emulator, "us-east-1", "kinesis", config=NO_RETRIES)
    kinesis.put_record(StreamName="s", PartitionKey="k", Data=b"x")  # the first put is slow in moto: not measured
    client = dynamodb(emulator)
    faults.inject(emulator, action="stall", service="dynamodb", seconds=1.5)
    with ThreadPoolExecutor(2) as pool:
        held = pool.submit(put, client, "held-1")
        time.sleep(0.2)
        started = time.monotonic()
        kinesis.put_record(StreamName="s", PartitionKey="k", Data=b"x")
        assert time.monotonic() - started < 1, "another service is not held"
        assert 1.0 < held.result() < 3
    assert stored(emulator, "held-1")
    assert put(dynamodb(emulator), "after") < 1, "over when its seconds are"


def test_a_slow_answer_comes_after_the_write_was_applied(emulator: str) -> None:
    faults.inject(emulator, action="slow", service="dynamodb", operation="PutItem", delay=1.5, count=1)
    impatient = dynamodb(emulator, Config(retries={"mode": "standard", "total_max_attempts": 1}, read_timeout=0.5))
    with pytest.raises(ReadTimeoutError):
        put(impatient, "late")
    assert stored(emulator, "late"), "applied although its client gave up"
    assert put(impatient, "next") < 0.5, "count=1: the next one is on time"
    [fault] = faults.faults(emulator)
    assert fault["hits"] == 1


def test_a_failure_is_refused_unapplied_with_the_aws_error_code(emulator: str) -> None:
    faults.inject(
        emulator,
        action="fail",
        service="dynamodb",
        operation="PutItem",
        status=400,
        code="ProvisionedThroughputExceededException",
        count=2,
    )
    client = dynamodb(emulator)
    for key in ("refused-1", "refused-2"):
        with pytest.raises(ClientError) as refused:
            put(client, key)
        assert refused.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert not stored(emulator, "refused-1")
    put(client, "accepted")
    assert stored(emulator, "accepted")


def test_bad_fault_documents_are_refused(emulator: str) -> None:
    for bad in (
        {"action": "explode", "service": "dynamodb"},
        {"action": "stall", "service": "dynamodb"},
        {"action": "fail", "service": "dynamodb", "colour": "red"},
    ):
        with pytest.raises(ValueError):
            faults.inject(emulator, **bad)
    assert faults.faults(emulator) == []


def test_what_a_stall_held_is_applied_in_arrival_order(emulator: str) -> None:
    """A write and the write that undoes it, held by a stall: the undo must not overtake."""
    client = dynamodb(emulator)
    put(client, "ordered")
    faults.inject(emulator, action="stall", service="dynamodb", seconds=1.5)
    updates = [("SET n = :v", {":v": {"N": str(n)}}) for n in range(6)]
    with ThreadPoolExecutor(len(updates)) as pool:
        for expression, values in updates:
            pool.submit(
                client.update_item,
                TableName="t",
                Key={"sessionId": {"S": "ordered"}},
                UpdateExpression=expression,
                ExpressionAttributeValues=values,
            )
            time.sleep(0.05)
    item = client.get_item(TableName="t", Key={"sessionId": {"S": "ordered"}})["Item"]
    assert item["n"]["N"] == "5", "the last to arrive was applied last"


def test_a_resent_add_permission_leaves_one_statement_that_remove_permission_removes(emulator: str) -> None:
    """The estate destroy's five-minute wait: an AddPermission answered late is sent again by the
    SDK; AWS keeps one statement per Sid, so one RemovePermission must leave none."""
    role = emulator_client(emulator, "us-east-1", "iam").create_role(
        RoleName="f", AssumeRolePolicyDocument='{"Version": "2012-10-17", "Statement": []}'
    )["Role"]["Arn"]
    lambdas = emulator_client(emulator, "us-east-1", "lambda")
    lambdas.create_function(FunctionName="f", Runtime="python3.12", Role=role, Handler="h.h", Code={"ZipFile": _zip()})
    faults.inject(emulator, action="slow", service="lambda", delay=1.5, count=1)
    resending = Config(retries={"mode": "standard", "total_max_attempts": 2}, read_timeout=0.5)
    impatient = emulator_client(emulator, "us-east-1", "lambda", config=resending)
    impatient.add_permission(
        FunctionName="f", StatementId="once", Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com"
    )
    assert faults.faults(emulator)[0]["hits"] == 1, "the first AddPermission was answered late and sent again"
    lambdas.remove_permission(FunctionName="f", StatementId="once")
    with pytest.raises(ClientError) as gone:
        lambdas.get_policy(FunctionName="f")
    assert gone.value.response["Error"]["Code"] == "ResourceNotFoundException"


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("h.py", "def h(event, context):\n    return None\n")
    return buffer.getvalue()
