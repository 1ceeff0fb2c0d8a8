"""Run one of the real environment roots (terraform/environments/<name>) with the terraform CLI
from a scratch copy of terraform/, so no emulator state ever lands in the repository. What the
emulator needs beyond the root (a local backend, the artifacts directory, an account) is written
as Terraform override files into the copy, never into the repository."""

from __future__ import annotations

import hashlib
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
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


# The module block every environment root (and the estate example) calls the module through.
MODULE = "babelcast"


@dataclass
class Terraform:
    workdir: Path
    env: dict[str, str]
    timings: dict[str, float] = field(default_factory=dict)

    @classmethod
    def scratch_copy(
        cls,
        root: Path,
        destination: Path,
        extra_env: Mapping[str, str],
        *,
        configuration: str = "environments/local",
        keep_state: bool = False,
    ) -> Terraform:
        """Copy terraform/ to ``destination`` and run in its ``configuration`` directory (an
        environment root or an example)."""
        state = destination / configuration / "terraform.tfstate"
        saved = destination.parent / "saved-state"
        if keep_state and state.exists():
            shutil.copyfile(state, saved)
        shutil.rmtree(destination, ignore_errors=True)
        shutil.copytree(
            root / "terraform",
            destination,
            ignore=shutil.ignore_patterns(".terraform", "terraform.tfstate*", "*.tfplan", "*_override.tf*"),
        )
        if keep_state and saved.exists():
            shutil.move(saved, state)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
        if config := cli_config(root):
            env["TF_CLI_CONFIG_FILE"] = config
        env.update({"TF_IN_AUTOMATION": "1", "TF_INPUT": "0", "CHECKPOINT_DISABLE": "1", **extra_env})
        return cls(destination / configuration, env)

    def override(self, name: str, content: Mapping[str, Any], *, directory: str = ".") -> Path:
        """Write ``content`` (Terraform's JSON syntax) as ``<name>_override.tf.json`` into the copy:
        Terraform merges it over the configuration in that directory (relative to the workdir)."""
        path = (self.workdir / directory / f"{name}_override.tf.json").resolve()
        path.write_text(json.dumps(content, indent=2) + "\n")
        return path

    def override_module(self, name: str, **arguments: Any) -> Path:
        """Override arguments of the root's ``module "babelcast"`` block."""
        return self.override(name, {"module": {MODULE: arguments}})

    def run(self, *args: str, check: bool = True, timed: str | None = None) -> subprocess.CompletedProcess[str]:
        started = time.perf_counter()
        command = ["terraform", *args] + ([] if args[0] in {"workspace", "output", "show"} else ["-no-color"])
        result = subprocess.run(
            command, cwd=self.workdir, env=self.env, capture_output=True, text=True, timeout=900, check=False
        )
        if timed:
            self.timings[timed] = round(time.perf_counter() - started, 2)
        if check and result.returncode != 0:
            output = f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            raise RuntimeError(f"terraform {' '.join(args)} failed:\n{output}")
        return result

    def init(self) -> None:
        self.run("init", "-input=false", timed="init")

    def init_unless_unchanged(self) -> bool:
        """`terraform init`, unless the last one ran in this data directory (TF_DATA_DIR) on the
        same configuration, lock file and CLI configuration: then nothing would change but a
        few seconds (the provider's checksum). Returns whether it ran."""
        data_dir = Path(self.env.get("TF_DATA_DIR") or self.workdir / ".terraform")
        marker = data_dir / "babelcast-init.sha256"
        tree = self.workdir.parent.parent  # the copy of terraform/ (workdir: environments/<name>)
        files = sorted(p for p in tree.rglob("*") if p.is_file() and p.name.endswith((".tf", ".hcl")))
        digest = hashlib.sha256(self.env.get("TF_CLI_CONFIG_FILE", "").encode())
        for path in files:
            digest.update(f"\x00{path.relative_to(tree)}\x00".encode() + path.read_bytes())
        if marker.is_file() and marker.read_text() == digest.hexdigest():
            return False
        marker.unlink(missing_ok=True)
        self.init()
        marker.write_text(digest.hexdigest())
        return True

    def outputs(self) -> dict[str, Any]:
        """The root's outputs; an environment root's single ``babelcast`` output (every output of
        the module) is unpacked."""
        return _unpacked(json.loads(self.run("output", "-json").stdout))

    def local_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The outputs and the state (in `terraform show -json`'s shape, managed resources' values)
        read from the local backend's state file: what `outputs()` and `state()` give, without the
        two terraform runs (seconds of a `make dev` start)."""
        raw = json.loads((self.workdir / "terraform.tfstate").read_text())
        resources = []
        for resource in raw.get("resources", []):
            kind = {"mode": resource["mode"], "type": resource["type"], "name": resource["name"]}
            resources += [
                kind | {"values": _values(resource["type"], instance.get("attributes") or {})}
                for instance in resource["instances"]
            ]
        state = {"format_version": "1.0", "values": {"root_module": {"resources": resources}}} if resources else {}
        return _unpacked(raw.get("outputs", {})), state

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = json.loads(self.run("show", "-json").stdout)
        return state


def _unpacked(raw: dict[str, Any]) -> dict[str, Any]:
    values = {name: value["value"] for name, value in raw.items()}
    module = values.get(MODULE)
    return dict(module) if set(values) == {MODULE} and isinstance(module, dict) else values


def _values(resource_type: str, attributes: dict[str, Any]) -> dict[str, Any]:
    """Attributes as `show -json` gives them: terraform_data's dynamically typed input and output
    are stored with their type, shown as their value."""
    if resource_type != "terraform_data":
        return attributes
    return {
        name: value["value"] if isinstance(value, dict) and set(value) == {"type", "value"} else value
        for name, value in attributes.items()
    }
