"""The staging and prod environment roots on the emulator, with their own settings.

- staging is planned: its backend and account guard are swapped for the emulator's, and the
  saved plan is checked (encryption, TLS-only policy, lifecycle, alarms with full runbook links).
  It first proves that allowed_account_ids refuses the emulator's account.
- prod is applied, re-planned (empty) and destroyed, all of it except the TLS-only bucket policy:
  moto applies a Deny statement whatever its condition and serves plain HTTP, so that policy would
  refuse every upload. Its document is checked in prod's saved plan instead.

The S3 backend and the accounts of these roots are replaced by override files in the scratch
copy only (a local backend, the emulator's account), as the local stack does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from babelcast_devstack.terraform import Terraform

from tests.support.terraform_runs import EMULATOR_ACCOUNT, Deployment, applied, package, resources

# three (or one) whole deployments applied in a fixture: far beyond the suite's default per-test timeout
pytestmark = [pytest.mark.terraform, pytest.mark.timeout(1800)]
RUNBOOK = "https://git.example.com/speech/babelcast/blob/main/docs/operating.md#"


def on_the_emulator(terraform: Terraform, artifacts: str, *, account: bool = True) -> None:
    override: dict[str, Any] = {"terraform": {"backend": {"local": {}}}}
    if account:
        override["provider"] = {"aws": {"allowed_account_ids": [EMULATOR_ACCOUNT]}}
    terraform.override("emulator", override)
    terraform.override_module("artifacts", artifacts_dir=artifacts)


def assert_production_plan(plan: dict[str, Any], environment: str) -> None:
    (stream_a, stream_b) = resources(plan, "aws_kinesis_stream")
    for stream in (stream_a, stream_b):
        assert (stream["values"]["encryption_type"], stream["values"]["kms_key_id"]) == ("KMS", "alias/aws/kinesis")
    (policy,) = resources(plan, "aws_s3_bucket_policy")
    (statement,) = json.loads(policy["values"]["policy"])["Statement"]
    assert (statement["Effect"], statement["Action"], statement["Principal"]) == ("Deny", "s3:*", "*")
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    (lifecycle,) = resources(plan, "aws_s3_bucket_lifecycle_configuration")
    (rule,) = lifecycle["values"]["rule"]
    assert rule["noncurrent_version_expiration"][0]["noncurrent_days"] == 30
    assert rule["abort_incomplete_multipart_upload"][0]["days_after_initiation"] == 1
    (encryption,) = resources(plan, "aws_s3_bucket_server_side_encryption_configuration")
    assert encryption["values"]["rule"][0]["apply_server_side_encryption_by_default"][0]["sse_algorithm"] == "AES256"
    tables = resources(plan, "aws_dynamodb_table")
    sessions = next(t for t in tables if t["values"]["name"] == f"babelcast-{environment}-sessions")
    assert sessions["values"]["point_in_time_recovery"] == [{"enabled": True}]
    alarms = resources(plan, "aws_cloudwatch_metric_alarm")
    assert len(alarms) == 15
    assert all(RUNBOOK in a["values"]["alarm_description"] for a in alarms)


def test_staging_is_refused_by_another_account_then_planned(tmp_path_factory: pytest.TempPathFactory) -> None:
    base = tmp_path_factory.mktemp("staging")
    artifacts = str(package(base / "dist"))

    def prepare(terraform: Terraform) -> None:
        on_the_emulator(terraform, artifacts, account=False)

    with applied(base, "environments/staging", prepare, report="staging onto moto (seconds)", apply=False) as staging:
        refused = staging.terraform.run("plan", check=False)
        assert refused.returncode != 0
        assert "not allowed" in refused.stderr and EMULATOR_ACCOUNT in refused.stderr, refused.stderr[-2000:]
        on_the_emulator(staging.terraform, artifacts)
        plan = staging.plan()
    assert_production_plan(plan, "staging")
    sweeper = next(
        f for f in resources(plan, "aws_lambda_function") if f["values"]["function_name"].endswith("-sweeper")
    )
    assert sweeper["values"]["reserved_concurrent_executions"] == 1
    tables = resources(plan, "aws_dynamodb_table")
    assert {t["values"]["deletion_protection_enabled"] for t in tables} == {False}


@pytest.fixture(scope="module")
def applied_prod(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Deployment, dict[str, Any]]]:
    base = tmp_path_factory.mktemp("prod")
    artifacts = str(package(base / "dist"))
    saved: dict[str, Any] = {}

    def prepare(terraform: Terraform) -> None:
        on_the_emulator(terraform, artifacts)
        terraform.init()
        saved.update(Deployment(terraform, {}, "").plan())
        # the one part moto cannot take (see the module docstring), checked in the plan above
        terraform.override(
            "emulator", {"resource": {"aws_s3_bucket_policy": {"artifacts": {"count": 0}}}}, directory="../.."
        )

    with applied(base, "environments/prod", prepare, report="prod onto moto (seconds)") as deployment:
        yield deployment, saved


@pytest.fixture
def prod(applied_prod: tuple[Deployment, dict[str, Any]]) -> tuple[Deployment, dict[str, Any]]:
    deployment, saved = applied_prod
    return deployment.standing(), saved


def test_prod_plan_has_the_production_settings(prod: tuple[Deployment, dict[str, Any]]) -> None:
    _, plan = prod
    assert_production_plan(plan, "prod")
    assert {t["values"]["deletion_protection_enabled"] for t in resources(plan, "aws_dynamodb_table")} == {True}


def test_prod_applied_encrypts_expires_and_protects(prod: tuple[Deployment, dict[str, Any]]) -> None:
    deployment, _ = prod
    outputs = deployment.outputs
    kinesis = deployment.client("kinesis")
    for stream in outputs["streams"].values():
        summary = kinesis.describe_stream_summary(StreamName=stream["name"])["StreamDescriptionSummary"]
        assert (summary["EncryptionType"], summary["KeyId"]) == ("KMS", "alias/aws/kinesis")
    s3 = deployment.client("s3")
    bucket = outputs["artifacts_bucket_name"]
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    (rule,) = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == 30
    assert rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 1
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    dynamodb = deployment.client("dynamodb")
    for table in outputs["tables"].values():
        assert dynamodb.describe_table(TableName=table["name"])["Table"]["DeletionProtectionEnabled"] is True
    sessions = outputs["tables"]["sessions"]["name"]
    backups = dynamodb.describe_continuous_backups(TableName=sessions)["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    assert {fn["environment"]["ENVIRONMENT"] for fn in outputs["functions"].values()} == {"prod"}
    sweeper = outputs["functions"]["connection_sweeper"]["function_name"]
    assert (
        deployment.client("lambda").get_function_concurrency(FunctionName=sweeper)["ReservedConcurrentExecutions"] == 1
    )
    # the queues behind the stream mappings and the schedule are encrypted
    sqs = deployment.client("sqs")
    for queue in outputs["queues"].values():
        attributes = sqs.get_queue_attributes(QueueUrl=queue["url"], AttributeNames=["SqsManagedSseEnabled"])
        assert attributes["Attributes"]["SqsManagedSseEnabled"] == "true"


def test_prod_alarms_link_the_runbook_and_notify_an_encrypted_topic(prod: tuple[Deployment, dict[str, Any]]) -> None:
    deployment, _ = prod
    outputs = deployment.outputs
    alarms = [
        a
        for page in deployment.client("cloudwatch")
        .get_paginator("describe_alarms")
        .paginate(AlarmNamePrefix="babelcast-prod-")
        for a in page["MetricAlarms"]
    ]
    assert sorted(a["AlarmName"] for a in alarms) == outputs["alarm_names"]
    assert all(RUNBOOK in a["AlarmDescription"] for a in alarms)
    assert {tuple(a["AlarmActions"]) for a in alarms} == {(outputs["alarm_topic_arn"],)}
    attributes = deployment.client("sns").get_topic_attributes(TopicArn=outputs["alarm_topic_arn"])["Attributes"]
    assert attributes["KmsMasterKeyId"] == outputs["alarm_topic_kms_key_arn"]


def test_prod_second_plan_is_empty_and_destroy_needs_protection_off(prod: tuple[Deployment, dict[str, Any]]) -> None:
    deployment, _ = prod
    terraform = deployment.terraform
    result = terraform.run("plan", "-detailed-exitcode", check=False, timed="second plan")
    assert result.returncode == 0, result.stdout[-4000:]
    # as an operator retiring prod would: switch deletion protection off, apply, then destroy
    artifacts = deployment_artifacts(terraform)
    terraform.override_module("artifacts", artifacts_dir=artifacts, deletion_protection=False)
    terraform.run("apply", "-auto-approve", timed="apply without deletion protection")
    deployment.destroy("prod onto moto (seconds)")
    terraform.override_module("artifacts", artifacts_dir=artifacts)  # prod as it was, should a later test apply it
    assert deployment.client("dynamodb").list_tables()["TableNames"] == []
    assert deployment.client("lambda").list_functions()["Functions"] == []


def deployment_artifacts(terraform: Terraform) -> str:
    """The artifacts directory the emulator override gave the module."""
    override = json.loads((terraform.workdir / "artifacts_override.tf.json").read_text())
    return str(override["module"]["babelcast"]["artifacts_dir"])
