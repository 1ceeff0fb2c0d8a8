"""Applying a configuration of terraform/ (an environment root or an example) onto an embedded
moto server for the Terraform tests: the zips, the scratch copy, the clients, the timings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from babelcast_devstack.emulator import emulator_environment, moto_server
from babelcast_devstack.terraform import Terraform, cli_config, repository_root

from tests.support.report import record

ROOT = repository_root()
REGION = "us-east-1"
EMULATOR_ACCOUNT = "123456789012"


def terraform_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_")}
    if config := cli_config(ROOT):
        env["TF_CLI_CONFIG_FILE"] = config
    return env


def package(destination: Path) -> Path:
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "package_functions.py"), "--out", str(destination)],
        check=True,
        capture_output=True,
    )
    return destination


@dataclass
class Deployment:
    terraform: Terraform
    outputs: dict[str, Any]
    endpoint: str

    def client(self, service: str, region: str = REGION) -> Any:
        return boto3.session.Session().client(  # type: ignore[call-overload]
            service,
            endpoint_url=self.endpoint,
            region_name=region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    destroyed: bool = False

    def destroy(self, report: str) -> None:
        destroy(self.terraform, report)
        self.destroyed = True

    def standing(self) -> Deployment:
        """Applied again if a test destroyed it earlier: a destroy test may run in any order (in
        file order it runs last, and nothing is applied twice)."""
        if self.destroyed:
            self.terraform.run("apply", "-auto-approve", timed="apply after a destroy")
            self.outputs = self.terraform.outputs()
            self.destroyed = False
        return self

    def plan(self, *args: str) -> dict[str, Any]:
        """A saved plan as JSON (terraform show -json)."""
        self.terraform.run("plan", "-out=tests.tfplan", *args, timed="plan")
        plan: dict[str, Any] = json.loads(self.terraform.run("show", "-json", "tests.tfplan").stdout)
        return plan


def destroy(terraform: Terraform, report: str) -> None:
    """terraform destroy, run once more after the emulator's DeleteTable race (and only then)."""
    try:
        terraform.run("destroy", "-auto-approve", timed="destroy")
    except RuntimeError as failed:
        # Seen about once in ten runs on a loaded machine: the single-threaded emulator answers a
        # DeleteTable late, the provider's SDK retries it, and the retry finds the table already
        # gone. A second destroy refreshes, sees it gone and finishes; the callers still assert
        # that nothing is left. Any other failure is a real one.
        if "DeleteTable" not in str(failed) or "ResourceNotFoundException" not in str(failed):
            raise
        record(report, "destroy retried after a repeated DeleteTable", "yes")
        terraform.run("destroy", "-auto-approve", timed="destroy")


@contextmanager
def applied(
    base: Path, configuration: str, prepare: Callable[[Terraform], None], *, report: str, apply: bool = True
) -> Iterator[Deployment]:
    """``configuration`` of a scratch copy of terraform/, prepared (override files), initialised
    and applied onto a fresh moto server; destroyed afterwards unless a test already did (a test
    that destroys it calls ``Deployment.destroy``; the fixture tests use hands out ``standing()``)."""
    with moto_server(log_path=base / "moto.log") as endpoint:
        terraform = Terraform.scratch_copy(
            ROOT, base / "terraform", emulator_environment(endpoint, REGION), configuration=configuration
        )
        prepare(terraform)
        terraform.init()
        if apply:
            terraform.run("apply", "-auto-approve", timed="apply")
        deployment = Deployment(terraform, terraform.outputs() if apply else {}, endpoint)
        try:
            yield deployment
        finally:
            if apply and not deployment.destroyed and "destroy" not in terraform.timings:
                terraform.run("destroy", "-auto-approve", check=False)
            for name, seconds in terraform.timings.items():
                record(report, name, seconds)


def resources(plan: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    """Planned resources of a type, anywhere in the module tree (their planned values)."""
    found: list[dict[str, Any]] = []

    def walk(module: dict[str, Any]) -> None:
        found.extend(r for r in module.get("resources", []) if r["type"] == resource_type and r["mode"] == "managed")
        for child in module.get("child_modules", []):
            walk(child)

    walk(plan["planned_values"]["root_module"])
    return found
