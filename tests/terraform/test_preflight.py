"""scripts/preflight.py against the embedded emulator: it reads with the caller's credentials,
says in plain words what is missing, and passes once it exists."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from babelcast_devstack.emulator import emulator_client, emulator_environment, moto_server

from tests.support.terraform_runs import EMULATOR_ACCOUNT, REGION, ROOT, terraform_env

pytestmark = pytest.mark.terraform


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with moto_server(log_path=tmp_path_factory.mktemp("preflight") / "moto.log") as url:
        yield url


def preflight(endpoint: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in terraform_env().items() if not k.startswith("AWS_")} | emulator_environment(
        endpoint, REGION
    )
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "preflight.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def write_root(directory: Path, module: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "main.tf").write_text(
        f'provider "aws" {{\n  region = "{REGION}"\n  allowed_account_ids = ["{EMULATOR_ACCOUNT}"]\n}}\n\n'
        f'module "babelcast" {{\n  source = "../.."\n  environment = "qa"\n{module}}}\n'
    )
    return directory


def test_another_account_is_named_and_refused(endpoint: str) -> None:
    result = preflight(endpoint, "staging")  # allowed_account_ids = the staging placeholder account
    assert result.returncode == 1, result.stdout
    assert f"These credentials belong to account {EMULATOR_ACCOUNT}" in result.stdout
    assert "222222222222" in result.stdout


def test_what_is_missing_then_present(endpoint: str, tmp_path: Path) -> None:
    topic = f"arn:aws:sns:{REGION}:{EMULATOR_ACCOUNT}:estate-oncall"
    root = write_root(
        tmp_path / "qa",
        '  existing_user_pool = { user_pool_id = "us-east-1_Missing1", client_id = "missingclient1" }\n'
        f'  existing_alarm_topic = {{ arn = "{topic}" }}\n'
        '  existing_artifacts_bucket = { name = "estate-artifacts-qa" }\n',
    )
    first = preflight(endpoint, "--root", str(root))
    assert first.returncode == 1, first.stdout
    assert "has no CloudWatch Logs role in its account settings" in first.stdout
    assert "manage_apigateway_account_logging = true" in first.stdout
    assert "the user pool us-east-1_Missing1 (existing_user_pool) cannot be found" in first.stdout
    assert f"the alarm topic {topic} (existing_alarm_topic) cannot be found" in first.stdout
    assert "the artifacts bucket estate-artifacts-qa (existing_artifacts_bucket) cannot be reached" in first.stdout
    assert "4 thing(s) missing" in first.stdout

    def client(service: str) -> Any:
        return emulator_client(endpoint, REGION, service)

    principal = {"Service": "apigateway.amazonaws.com"}
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": principal}],
    }
    role = client("iam").create_role(RoleName="apigateway-logs", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    client("apigateway").update_account(
        patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": role["Arn"]}]
    )
    pool = client("cognito-idp").create_user_pool(PoolName="shared")["UserPool"]["Id"]
    app = client("cognito-idp").create_user_pool_client(UserPoolId=pool, ClientName="babelcast")["UserPoolClient"]
    client("sns").create_topic(Name="estate-oncall")
    client("s3").create_bucket(Bucket="estate-artifacts-qa")
    write_root(
        root,
        f'  existing_user_pool = {{ user_pool_id = "{pool}", client_id = "{app["ClientId"]}" }}\n'
        f'  existing_alarm_topic = {{ arn = "{topic}" }}\n'
        '  existing_artifacts_bucket = { name = "estate-artifacts-qa" }\n',
    )
    second = preflight(endpoint, "--root", str(root))
    assert second.returncode == 0, second.stdout
    assert f"API Gateway in {REGION} logs through {role['Arn']}" in second.stdout
    assert "nothing missing" in second.stdout
