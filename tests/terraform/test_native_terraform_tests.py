"""The module's own `terraform test` suite (terraform/tests/*.tftest.hcl): names, validations and
conditional resources, against a mocked aws provider (no AWS, no emulator)."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.report import record
from tests.support.terraform_runs import ROOT, terraform_env

pytestmark = pytest.mark.terraform
MODULE = ROOT / "terraform"


def test_terraform_test_passes_every_run(tmp_path: Path) -> None:
    env = {**terraform_env(), "TF_DATA_DIR": str(tmp_path / ".terraform")}
    lock = MODULE / ".terraform.lock.hcl"  # the module commits none: its callers lock
    try:
        subprocess.run(
            ["terraform", "init", "-backend=false", "-input=false", "-no-color"],
            cwd=MODULE,
            env=env,
            check=True,
            capture_output=True,
        )
        started = time.perf_counter()
        result = subprocess.run(
            ["terraform", "test", "-no-color"],
            cwd=MODULE,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=900,
        )
        seconds = round(time.perf_counter() - started, 1)
    finally:
        lock.unlink(missing_ok=True)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    summary = re.search(r"Success! (\d+) passed, 0 failed\.", result.stdout)
    assert summary, result.stdout[-2000:]
    files = sorted(p.name for p in (MODULE / "tests").glob("*.tftest.hcl"))
    declared = sum(len(re.findall(r'^run "', (MODULE / "tests" / f).read_text(), re.M)) for f in files)
    assert int(summary.group(1)) == declared  # every run ran (none skipped)
    record("terraform test (mock provider)", "runs", f"{declared} in {len(files)} files")
    record("terraform test (mock provider)", "seconds", seconds)
