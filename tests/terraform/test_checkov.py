"""checkov over terraform/ (root module, modules, examples): no failed check, and every skipped
check carries its reason inline. Runs the copy `make install` puts in .tools/checkov, offline,
with the options of .checkov.yaml (the same run as `make checkov`)."""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

import pytest

from tests.support.terraform_source import ROOT

CHECKOV = ROOT / ".tools" / "checkov" / "bin" / "checkov"


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    assert CHECKOV.exists(), f"checkov is not installed in {CHECKOV.parent.parent.name}/: run `make install`"
    environment = {k: v for k, v in os.environ.items() if k not in {"BC_API_KEY", "PRISMA_API_URL"}}
    environment["CKV_SKIP_PACKAGE_UPDATE_CHECK"] = "true"
    completed = subprocess.run(
        [str(CHECKOV), "--config-file", ".checkov.yaml", "--output", "json"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode in {0, 1}, f"checkov crashed ({completed.returncode}): {completed.stderr[-2000:]}"
    parsed = json.loads(completed.stdout)
    # One report per framework; the config selects only terraform.
    reports = parsed if isinstance(parsed, list) else [parsed]
    assert [r["check_type"] for r in reports] == ["terraform"]
    result: dict[str, Any] = reports[0]
    return result


def test_checkov_finds_no_failed_check(report: dict[str, Any]) -> None:
    summary = report["summary"]
    assert summary["parsing_errors"] == 0, summary
    assert summary["resource_count"] >= 30, f"checkov scanned too little: {summary}"
    failures = sorted(
        f"{c['check_id']} {c['check_name']} -- {c['resource']} ({c['file_path']}:{c['file_line_range'][0]})"
        for c in report["results"]["failed_checks"]
    )
    assert not failures, f"{len(failures)} failed checkov check(s):\n" + "\n".join(failures)


def test_every_skipped_check_has_a_reason(report: dict[str, Any]) -> None:
    skipped = report["results"]["skipped_checks"]
    assert len(skipped) == report["summary"]["skipped"] > 0
    unexplained = sorted(
        f"{c['check_id']} {c['resource']}"
        for c in skipped
        if len((c["check_result"].get("suppress_comment") or "").strip()) < 20
        or c["check_result"].get("suppress_comment") == "No comment provided"
    )
    assert not unexplained, "checkov skips without a reason (#checkov:skip=CKV_X: why):\n" + "\n".join(unexplained)
