"""docker-compose.localstack.yml and the `make localstack-*` targets, checked without Docker.

* the image is pinned to an exact version (never `latest`), whichever image LOCALSTACK_IMAGE picks;
* LOCALSTACK_AUTH_TOKEN is passed through from the environment, never given a value here;
* LocalStack publishes on 127.0.0.1 only and has a healthcheck on /_localstack/health;
* SERVICES covers every AWS service the Terraform root module (and its modules) creates or reads,
  derived from the resource types, and lists nothing else without a stated reason;
* `make localstack-test` points the tests at LocalStack through the variable the devstack reads.
"""

from __future__ import annotations

import os
import re
import subprocess
from functools import cache
from typing import Any

import pytest
import yaml
from babelcast_devstack.emulator import EXTERNAL_ENDPOINT_VARIABLE

from tests.support.terraform_source import EXTERNAL_STACK_DIR, ROOT, TERRAFORM, parsed

COMPOSE_FILE = ROOT / "docker-compose.localstack.yml"
TARGETS = ("localstack-up", "localstack-test", "localstack-down")

# Terraform resource/data type prefix -> the LocalStack service its API calls go to (None: the
# provider computes it locally, no API call). Longest prefix wins; an unknown type fails the test
# below, so a new kind of resource cannot be added without deciding what LocalStack must run.
SERVICE_OF_TYPE: dict[str, str | None] = {
    "aws_apigatewayv2_": "apigatewayv2",
    "aws_api_gateway_": "apigateway",
    "aws_cognito_": "cognito-idp",
    "aws_dynamodb_": "dynamodb",
    "aws_lambda_": "lambda",
    "aws_iam_policy_document": None,
    "aws_iam_": "iam",
    "aws_kinesis_": "kinesis",
    "aws_s3_": "s3",
    "aws_cloudwatch_log_": "logs",
    "aws_cloudwatch_event_": "events",
    "aws_cloudwatch_": "cloudwatch",
    "aws_sns_": "sns",
    "aws_sqs_": "sqs",
    "aws_kms_": "kms",
    "aws_caller_identity": "sts",
    "aws_region": None,
    "aws_partition": None,
    "terraform_data": None,  # Terraform's built-in provider: no AWS service
}
# Services needed at run time rather than by a Terraform resource, each with its reason.
RUNTIME_SERVICES = {
    "sts": "the AWS provider calls GetCallerIdentity when it starts",
    "dynamodbstreams": "the local stack polls the sessions table's change stream (session_events)",
}


@cache
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return document


def localstack() -> dict[str, Any]:
    services: dict[str, Any] = compose()["services"]
    assert list(services) == ["localstack"], "one service: LocalStack"
    service: dict[str, Any] = services["localstack"]
    return service


def environment() -> dict[str, str | None]:
    declared = localstack()["environment"]
    if isinstance(declared, list):  # the `- NAME=value` form
        pairs = (entry.partition("=") for entry in declared)
        return {name: (value if sep else None) for name, sep, value in pairs}
    return dict(declared)


def default_of(value: str) -> str:
    """`${NAME:-default}` -> default (what Compose uses when NAME is unset); plain values as is."""
    match = re.fullmatch(r"\$\{[A-Z_][A-Z0-9_]*:?-(?P<default>[^}]*)\}", value)
    return match["default"] if match else value


def published_port() -> str:
    """The host port of `127.0.0.1:${LOCALSTACK_PORT:-4566}:4566`, as Compose resolves it by default."""
    host_side = localstack()["ports"][0].split(":", 1)[1].rsplit(":", 1)[0]
    return default_of(host_side)


def terraform_types() -> set[str]:
    types: set[str] = set()
    for path in [*TERRAFORM.glob("*.tf"), *TERRAFORM.glob("modules/*/*.tf")]:
        document = parsed(path.relative_to(TERRAFORM).as_posix())  # cached: other contract tests read them too
        for kind in ("resource", "data"):
            for block in document.get(kind, []):
                types.update(block)
    return types


def service_of(resource_type: str) -> str | None:
    matches = [prefix for prefix in SERVICE_OF_TYPE if resource_type.startswith(prefix)]
    if not matches:
        pytest.fail(f"{resource_type}: add the LocalStack service it needs to SERVICE_OF_TYPE (and to SERVICES)")
    return SERVICE_OF_TYPE[max(matches, key=len)]


def test_the_image_is_pinned_to_an_exact_version() -> None:
    image = default_of(localstack()["image"])
    repository, _, tag = image.rpartition(":")
    assert repository in {"localstack/localstack-pro", "localstack/localstack"}, image
    # 4.14.0 or calendar versions such as 2026.6.0; never latest, stable or a bare major
    assert re.fullmatch(r"\d+\.\d+\.\d+", tag), f"{image}: pin an exact version tag"


def test_the_auth_token_is_passed_through_without_a_value() -> None:
    env = environment()
    assert "LOCALSTACK_AUTH_TOKEN" in env, "the Pro image needs the token from the caller's environment"
    assert env["LOCALSTACK_AUTH_TOKEN"] is None, "no token (nor a default) may be written in the file"


def test_ports_are_published_on_loopback_only() -> None:
    ports = localstack()["ports"]
    assert ports, "the gateway port must be published"
    for port in ports:
        assert isinstance(port, str), f"{port}: use the host_ip:host:container string form"
        assert port.startswith("127.0.0.1:"), f"{port}: bind 127.0.0.1 only"
    assert published_port() == "4566", "LocalStack's usual port, as the docs say"


def test_the_healthcheck_asks_localstack_for_its_health() -> None:
    check = localstack()["healthcheck"]["test"]
    command = " ".join(check) if isinstance(check, list) else check
    assert "/_localstack/health" in command
    assert "--fail" in command or " -f" in command, "an HTTP error must count as unhealthy"


def test_no_docker_socket_is_mounted() -> None:
    """The local gateway runs the functions; LocalStack running them too would consume the same
    stream records twice."""
    volumes = [str(volume) for volume in localstack().get("volumes", [])]
    assert not [volume for volume in volumes if "docker.sock" in volume]


def test_services_cover_what_terraform_uses_and_nothing_unexplained() -> None:
    listed = set(default_of(environment()["SERVICES"] or "").split(","))
    used = {service for resource_type in terraform_types() if (service := service_of(resource_type))}
    assert {"apigatewayv2", "cognito-idp", "dynamodb", "kinesis", "lambda"} <= used, "the derivation found them"
    assert used - listed == set(), "SERVICES misses services the root module uses"
    assert listed - used - set(RUNTIME_SERVICES) == set(), "SERVICES lists services nothing uses"


def make_dry_run(target: str) -> str:
    # run as a top-level make even under `make test`: a sub-make would print "Entering/Leaving
    # directory" lines and inherit the parent's flags
    environment = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MAKELEVEL", "MFLAGS"}}
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", target],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env=environment,
    )
    return result.stdout


def test_each_target_is_described_in_make_help() -> None:
    makefile = (ROOT / "Makefile").read_text()
    for target in TARGETS:
        assert re.search(rf"^{target}:.*## \S", makefile, re.MULTILINE), f"{target} needs a ## description"


def test_localstack_up_waits_for_the_healthcheck_and_down_removes_everything() -> None:
    up, down = make_dry_run("localstack-up"), make_dry_run("localstack-down")
    assert re.search(r"docker compose -f docker-compose\.localstack\.yml up -d --wait", up), up
    assert re.search(r"docker compose -f docker-compose\.localstack\.yml down --volumes", down), down
    # LocalStack's resources are gone with its volume: so must be the Terraform state describing them
    assert f"rm -rf {EXTERNAL_STACK_DIR.relative_to(ROOT)}" in down, down


def test_localstack_test_points_the_stack_at_localstack_like_make_dev() -> None:
    command = make_dry_run("localstack-test").strip().splitlines()[-1]
    match = re.search(rf"\b{EXTERNAL_ENDPOINT_VARIABLE}=http://127\.0\.0\.1:(\d+) ", command)
    assert match, f"the tests must reach LocalStack through {EXTERNAL_ENDPOINT_VARIABLE}: {command}"
    assert match[1] == published_port(), "the port the tests use is the one LocalStack publishes"
    assert "-m pytest tests/integration" in command


def test_the_compose_file_and_makefile_name_no_path_of_this_machine() -> None:
    for path in (COMPOSE_FILE, ROOT / "Makefile"):
        text = path.read_text()
        assert not re.search(r"/(work|root|home)/", text), f"{path.name} names a machine path"


def test_docs_explain_what_needs_pro() -> None:
    text = (ROOT / "docs" / "localstack.md").read_text()
    for fact in ("apigatewayv2", "cognito-idp", "LOCALSTACK_AUTH_TOKEN", "make localstack-test"):
        assert fact in text, fact
    assert default_of(localstack()["image"]).rpartition(":")[2] in text, "docs name the pinned version"
