"""Run the real root module with the terraform CLI from a scratch copy, so no emulator state
ever lands next to real workspaces' state in terraform/."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def repository_root(start: Path | None = None) -> Path:
    here = (start or Path(__file__)).resolve()
    for candidate in [here, *here.parents]:
        if (candidate / "uv.lock").exists() and (candidate / "terraform").is_dir():
            return candidate
    raise RuntimeError("not inside the babelcast repository")


def cli_config(root: Path) -> str:
    """The CLI configuration the Makefile uses (a provider mirror when one is found)."""
    return subprocess.run(
        [sys.executable, str(root / "scripts" / "terraform_cli_config.py")],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip


@dataclass
class Terraform:
    workdir: Path
    env: dict[str, str]
    timings: dict[str, float] = field(default_factory=dict)

    @classmethod
    def scratch_copy(
        cls, root: Path, destination: Path, extra_env: Mapping[str, str], *, keep_state: bool = False
    ) -> Terraform:
        state_dir = destination / "terraform.tfstate.d"
        saved = None
        if keep_state and state_dir.exists():
            saved = destination.parent / "saved-state"
            shutil.rmtree(saved, ignore_errors=True)
            shutil.move(state_dir, saved)
        shutil.rmtree(destination, ignore_errors=True)
        shutil.copytree(
            root / "terraform", destination,
            ignore=shutil.ignore_patterns(".terraform", "terraform.tfstate*", ".terraform.lock.hcl", "*.tfplan"),
        )  # fmt: skip
        if saved is not None:
            shutil.move(saved, state_dir)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
        if config := cli_config(root):
            env["TF_CLI_CONFIG_FILE"] = config
        env.update({"TF_IN_AUTOMATION": "1", "TF_INPUT": "0", "CHECKPOINT_DISABLE": "1", **extra_env})
        return cls(destination, env)

    def run(self, *args: str, check: bool = True, timed: str | None = None) -> subprocess.CompletedProcess[str]:
        started = time.perf_counter()
        command = ["terraform", *args] + ([] if args[0] in {"workspace", "output", "show"} else ["-no-color"])
        result = subprocess.run(command, cwd=self.workdir, env=self.env, capture_output=True, text=True,
                                timeout=900, check=False)  # fmt: skip
        if timed:
            self.timings[timed] = round(time.perf_counter() - started, 2)
        if check and result.returncode != 0:
            output = f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            raise RuntimeError(f"terraform {' '.join(args)} failed:\n{output}")
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
