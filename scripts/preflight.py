#!/usr/bin/env python3
"""Check, with the caller's own AWS credentials, what an environment root needs before its first
apply, and say in plain words what is missing. Reads only (Get/Describe/List calls).

    make preflight WORKSPACE=prod      # = python scripts/preflight.py prod
    python scripts/preflight.py --root ../estate/babelcast   # any configuration calling the module

Settings come from the root's main.tf: the aws provider block (region, allowed_account_ids) and
the module "babelcast" block. A setting given as an expression (a reference to another resource)
cannot be read here and is reported as not checked. Exit status: 0 when nothing is missing, 1
otherwise; warnings do not fail. boto3 finds credentials, profile and AWS_ENDPOINT_URL as usual.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import hcl2
from botocore.exceptions import BotoCoreError, ClientError

ROOT = Path(__file__).resolve().parent.parent
MODULE = "babelcast"
# Lambda keeps this much of the account's concurrency unreserved, whatever functions reserve.
MINIMUM_UNRESERVED = 100


def _plain(value: Any) -> Any:
    """python-hcl2 keeps quotes and interpolations: a literal becomes its value; an expression None."""
    if isinstance(value, str):
        if value.startswith('"') and value.endswith('"'):
            value = value[1:-1]
        return None if "${" in value else value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k.strip('"'): _plain(v) for k, v in value.items() if k != "__is_block__"}
    return value


def read_root(directory: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(aws provider settings, module "babelcast" arguments) of a root's main.tf."""
    with (directory / "main.tf").open() as handle:
        parsed = hcl2.load(handle)
    providers = [
        _plain(body)
        for block in parsed.get("provider", [])
        for label, body in block.items()
        if label.strip('"') == "aws"
    ]
    primary = next((p for p in providers if "alias" not in p), providers[0] if providers else {})
    modules = [
        body for block in parsed.get("module", []) for label, body in block.items() if label.strip('"') == MODULE
    ]
    if not modules:
        raise SystemExit(f'{directory / "main.tf"} has no module "{MODULE}" block')
    return primary, _plain(modules[0])


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    missing: int = 0

    def ok(self, text: str) -> None:
        self.lines.append(f"  ok       {text}")

    def warn(self, text: str) -> None:
        self.lines.append(f"  warning  {text}")

    def miss(self, text: str) -> None:
        self.missing += 1
        self.lines.append(f"  MISSING  {text}")


def _error(error: Exception) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code") or error)
    return type(error).__name__


@dataclass
class Preflight:
    session: boto3.session.Session
    region: str
    report: Report

    def client(self, service: str, region: str | None = None) -> Any:
        return self.session.client(service, region_name=region or self.region)  # type: ignore[call-overload]

    def account(self, allowed: list[str] | None) -> bool:
        try:
            account = self.client("sts").get_caller_identity()["Account"]
        except (ClientError, BotoCoreError) as error:
            self.report.miss(f"No usable AWS credentials ({_error(error)}): sign in (profile, role) and run again.")
            return False
        if allowed and account not in allowed:
            self.report.miss(
                f"These credentials belong to account {account}, but this environment deploys only to "
                f"{', '.join(allowed)} (allowed_account_ids): use that account's credentials or role."
            )
            return False
        self.report.ok(f"credentials for account {account}, region {self.region}")
        return True

    def apigateway_logging(self, managed: bool) -> None:
        current = None
        try:
            current = self.client("apigateway").get_account().get("cloudwatchRoleArn")
        except (ClientError, BotoCoreError) as error:
            self.report.warn(f"could not read the API Gateway account settings ({_error(error)})")
            return
        if managed:
            if current:
                self.report.warn(
                    f"API Gateway in {self.region} already logs through {current}; this apply will replace it with "
                    "the module's role (manage_apigateway_account_logging = true): keep it true in one "
                    "configuration only."
                )
            else:
                self.report.ok(f"the API Gateway CloudWatch Logs role of {self.region} will be created by this apply")
            return
        if not current:
            self.report.miss(
                f"API Gateway in {self.region} has no CloudWatch Logs role in its account settings, so AWS will refuse "
                "the WebSocket stage's access logs. Set manage_apigateway_account_logging = true in one configuration "
                "for this account and region, or create the role in your account baseline (aws_api_gateway_account)."
            )
            return
        try:
            role = self.client("iam").get_role(RoleName=current.rsplit("/", 1)[-1])["Role"]
        except (ClientError, BotoCoreError) as error:
            self.report.miss(
                f"API Gateway's CloudWatch Logs role {current} cannot be found ({_error(error)}): recreate it."
            )
            return
        trusted = str(role.get("AssumeRolePolicyDocument", ""))
        if "apigateway.amazonaws.com" not in trusted:
            self.report.miss(f"the role {current} does not let apigateway.amazonaws.com assume it.")
        else:
            self.report.ok(f"API Gateway in {self.region} logs through {current}")

    def user_pool(self, pool: dict[str, Any] | None) -> None:
        if pool is None:
            self.report.ok("a user pool will be created")
            return
        pool_id, client_id = pool.get("user_pool_id"), pool.get("client_id")
        if not pool_id or not client_id:
            self.report.warn("existing_user_pool is set by an expression: not checked")
            return
        cognito = self.client("cognito-idp", pool_id.split("_")[0])
        try:
            cognito.describe_user_pool(UserPoolId=pool_id)
        except (ClientError, BotoCoreError) as error:
            self.report.miss(f"the user pool {pool_id} (existing_user_pool) cannot be found ({_error(error)}).")
            return
        try:
            cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)
        except (ClientError, BotoCoreError) as error:
            self.report.miss(f"the app client {client_id} is not a client of user pool {pool_id} ({_error(error)}).")
            return
        self.report.ok(f"user pool {pool_id} and its client {client_id} exist")

    def alarm_topic(self, topic: dict[str, Any] | None, monitoring: bool) -> None:
        if not monitoring or topic is None:
            return
        arn = topic.get("arn")
        if not arn:
            self.report.warn("existing_alarm_topic is set by an expression: not checked")
            return
        try:
            self.client("sns", arn.split(":")[3]).get_topic_attributes(TopicArn=arn)
            self.report.ok(f"alarm topic {arn} exists")
        except (ClientError, BotoCoreError) as error:
            self.report.miss(f"the alarm topic {arn} (existing_alarm_topic) cannot be found ({_error(error)}).")

    def certificate(self, label: str, domain: dict[str, Any] | None) -> None:
        if domain is None:
            return
        arn, name = domain.get("certificate_arn"), domain.get("domain_name")
        if not arn or not name:
            self.report.warn(f"{label} is set by an expression: not checked")
            return
        if arn.split(":")[3] != self.region:
            self.report.miss(
                f"the certificate of {name} ({label}) is in {arn.split(':')[3]}; "
                f"a regional API needs one in {self.region}."
            )
            return
        try:
            certificate = self.client("acm").describe_certificate(CertificateArn=arn)["Certificate"]
        except (ClientError, BotoCoreError) as error:
            self.report.miss(f"the certificate {arn} for {name} ({label}) cannot be found ({_error(error)}).")
            return
        names = {certificate.get("DomainName", ""), *certificate.get("SubjectAlternativeNames", [])}
        covered = name in names or any(n.startswith("*.") and name.split(".", 1)[-1] == n[2:] for n in names)
        if certificate.get("Status") != "ISSUED":
            self.report.miss(
                f"the certificate for {name} ({label}) is {certificate.get('Status')}, "
                "not ISSUED: finish its validation."
            )
        elif not covered:
            self.report.miss(f"the certificate {arn} does not cover {name} ({label}).")
        else:
            self.report.ok(f"certificate for {name} is issued in {self.region}")

    def concurrency(self, settings: dict[str, Any] | None) -> None:
        reserved = sum(int(s.get("reserved") or 0) for s in (settings or {}).values() if isinstance(s, dict))
        if not reserved:
            return
        try:
            limits = self.client("lambda").get_account_settings()["AccountLimit"]
        except (ClientError, BotoCoreError) as error:
            self.report.warn(
                f"could not read the Lambda account settings ({_error(error)}): "
                f"reserved concurrency {reserved} not checked"
            )
            return
        left = int(limits["UnreservedConcurrentExecutions"]) - reserved
        if left < MINIMUM_UNRESERVED:
            self.report.miss(
                f"reserving {reserved} executions would leave {left} unreserved in {self.region}; "
                "Lambda keeps at least "
                f"{MINIMUM_UNRESERVED}: ask for a higher concurrency quota or reserve less (function_concurrency)."
            )
        else:
            self.report.ok(f"reserving {reserved} executions leaves {left} unreserved")

    def artifacts_bucket(self, bucket: dict[str, Any] | None) -> None:
        if bucket is None:
            return
        name = bucket.get("name")
        if not name:
            self.report.warn("existing_artifacts_bucket is set by an expression: not checked")
            return
        try:
            self.client("s3").head_bucket(Bucket=name)
            self.report.ok(f"artifacts bucket {name} is reachable")
        except (ClientError, BotoCoreError) as error:
            self.report.miss(
                f"the artifacts bucket {name} (existing_artifacts_bucket) cannot be reached ({_error(error)})."
            )


def run(directory: Path, session_factory: Callable[[], boto3.session.Session] = boto3.session.Session) -> Report:
    provider, module = read_root(directory)
    session = session_factory()
    region = provider.get("region") or session.region_name or "us-east-1"
    report = Report()
    check = Preflight(session, region, report)
    if check.account(provider.get("allowed_account_ids")):
        check.apigateway_logging(bool(module.get("manage_apigateway_account_logging")))
        check.user_pool(module.get("existing_user_pool"))
        check.alarm_topic(module.get("existing_alarm_topic"), module.get("monitoring_enabled", True) is not False)
        check.certificate("http_api_domain", module.get("http_api_domain"))
        check.certificate("websocket_api_domain", module.get("websocket_api_domain"))
        check.concurrency(module.get("function_concurrency"))
        check.artifacts_bucket(module.get("existing_artifacts_bucket"))
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("environment", nargs="?", help="an environment root: terraform/environments/<environment>")
    parser.add_argument("--root", type=Path, help="any root directory calling the module instead")
    args = parser.parse_args(argv)
    directory = args.root or (ROOT / "terraform" / "environments" / (args.environment or ""))
    if not (directory / "main.tf").is_file():
        parser.error(f"no root at {directory}: name an environment (local, dev, staging, prod) or --root")
    report = run(directory)
    print(f"preflight of {directory.relative_to(ROOT) if directory.is_relative_to(ROOT) else directory}:")
    print("\n".join(report.lines))
    print("nothing missing" if not report.missing else f"{report.missing} thing(s) missing: fix them before applying")
    return 1 if report.missing else 0


if __name__ == "__main__":
    sys.exit(main())
