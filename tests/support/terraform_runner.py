"""Run the real root module with the terraform CLI, from a scratch copy (no state in the repo)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def cli_config() -> str:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "terraform_cli_config.py")],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip


def emulator_environment(endpoint: str, region: str = "us-east-1") -> dict[str, str]:
    """Credentials and endpoint for an emulator. The AWS provider and boto3 both honour
    AWS_ENDPOINT_URL, so the root module needs no emulator-specific configuration."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
    }


@dataclass
class Terraform:
    workdir: Path
    env: dict[str, str]
    timings: dict[str, float] = field(default_factory=dict)

    @classmethod
    def scratch_copy(cls, destination: Path, extra_env: dict[str, str]) -> Terraform:
        shutil.copytree(
            ROOT / "terraform", destination,
            ignore=shutil.ignore_patterns(".terraform", "terraform.tfstate*", ".terraform.lock.hcl", "*.tfplan"),
        )  # fmt: skip
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
        config = cli_config()
        if config:
            env["TF_CLI_CONFIG_FILE"] = config
        env.update({"TF_IN_AUTOMATION": "1", "TF_INPUT": "0", "CHECKPOINT_DISABLE": "1", **extra_env})
        return cls(destination, env)

    def run(self, *args: str, check: bool = True, timed: str | None = None) -> subprocess.CompletedProcess[str]:
        started = time.perf_counter()
        result = subprocess.run(
            ["terraform", *args, "-no-color"] if args[0] not in {"workspace", "output", "show"} else
            ["terraform", *args],
            cwd=self.workdir, env=self.env, capture_output=True, text=True, timeout=900, check=False,
        )  # fmt: skip
        if timed:
            self.timings[timed] = round(time.perf_counter() - started, 2)
        if check and result.returncode != 0:
            raise AssertionError(
                f"terraform {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        return result

    def init(self) -> None:
        self.run("init", "-input=false", timed="init")

    def select_workspace(self, name: str) -> None:
        self.run("workspace", "select", "-or-create", name)

    def outputs(self) -> dict[str, Any]:
        raw = json.loads(self.run("output", "-json").stdout)
        return {name: value["value"] for name, value in raw.items()}

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = json.loads(self.run("show", "-json").stdout)
        return state
