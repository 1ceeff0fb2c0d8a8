"""Contract: each function's role grants exactly the IAM actions its code calls, plus the few the
runtime uses for it (logs, X-Ray; stream reads and the on-failure destination for stream consumers; KMS
with a customer-managed Kinesis key). A call added without its permission fails here, and so
does a permission left behind after its call is gone. How the actions are found: tests/support/iam_usage.py.
"""

from __future__ import annotations

import copy

import pytest

from tests.support.iam_usage import (
    COMMON_SOURCES,
    Drift,
    code_actions,
    compare,
    granted_actions,
    runtime_actions,
)
from tests.support.terraform_source import ROOT, functions

FUNCTIONS = sorted(functions())


def drift(function: str, code: dict[str, set[str]], granted: set[str]) -> Drift:
    used = set(code)
    return compare(granted, used | runtime_actions(function, used))


@pytest.mark.parametrize("function", FUNCTIONS)
def test_role_grants_exactly_the_actions_the_function_needs(function: str) -> None:
    code = code_actions(function)
    found = drift(function, code, granted_actions(function))
    missing = [f"{a} (called in {', '.join(sorted(code.get(a, {'the runtime'})))})" for a in sorted(found.missing)]
    assert not found.missing, f"{function} calls actions its role is not granted (functions.tf):\n" + "\n".join(missing)
    assert not found.extra, f"{function} is granted actions nothing calls (functions.tf): {sorted(found.extra)}"


def test_every_function_uses_aws_through_the_integration_layer_only() -> None:
    # The analysis starts from the handlers: a function that made no call would be suspicious for
    # any but the authorizer, which only verifies tokens.
    assert {f for f in FUNCTIONS if not code_actions(f)} == {"ws_authorizer"}


def test_a_call_added_to_the_code_is_reported_as_not_granted() -> None:
    handler = (ROOT / "functions" / "ws_disconnect" / "ws_disconnect" / "handler.py").read_text()
    added = handler + "\n\ndef audit(table: ConnectionsTable) -> int:\n    return sum(1 for _ in table.scan())\n"
    code = code_actions("ws_disconnect", {"ws_disconnect.handler": added})
    assert code["dynamodb:Scan"] == {"babelcast.integration.connections_table.ConnectionsTable.scan"}
    assert drift("ws_disconnect", code, granted_actions("ws_disconnect")) == Drift(
        missing={"dynamodb:Scan"}, extra=set()
    )


def test_a_call_removed_from_the_code_leaves_its_permission_reported_as_unused() -> None:
    module = (COMMON_SOURCES / "babelcast" / "integration" / "connections_table.py").read_text()
    assert module.count("self.client.scan(") == 1
    changed = module.replace("self.client.scan(", "self.client.query(")
    code = code_actions("connection_sweeper", {"babelcast.integration.connections_table": changed})
    found = drift("connection_sweeper", code, granted_actions("connection_sweeper"))
    assert found == Drift(missing={"dynamodb:Query"}, extra={"dynamodb:Scan"})


def test_a_policy_change_in_terraform_is_reported_in_both_directions() -> None:
    declared = copy.deepcopy(functions())
    statements = declared["ws_disconnect"]["policy_statements"]
    for statement in statements:
        statement["actions"] = [a for a in statement["actions"] if a != "dynamodb:DeleteItem"]
    statements[0]["actions"].append("dynamodb:Scan")
    found = drift("ws_disconnect", code_actions("ws_disconnect"), granted_actions("ws_disconnect", declared))
    assert found == Drift(missing={"dynamodb:DeleteItem"}, extra={"dynamodb:Scan"})


def test_stream_consumers_need_the_reads_and_the_on_failure_destination_they_are_granted() -> None:
    # The runtime part of the comparison, spelled out: Lambda polls the stream and reports given-up
    # batches with the consumer's role; Kinesis decrypts with it when a customer-managed key is set.
    tracing = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
    assert runtime_actions("session_events", set(code_actions("session_events"))) == tracing | {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
        "sqs:SendMessage",
        "kms:GenerateDataKey",  # it also produces to the audio stream
    }
    assert {"kinesis:SubscribeToShard", "kms:Decrypt", "sqs:SendMessage"} <= runtime_actions("broadcast", set())
    assert runtime_actions("http_api", set(code_actions("http_api"))) == tracing | {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    }
