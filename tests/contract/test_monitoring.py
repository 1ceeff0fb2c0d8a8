"""Contract tests of the monitoring wiring: no function goes unwatched, no alarm points at a
runbook section that does not exist. (What the alarms watch once applied is asserted from the
emulator in tests/terraform.)"""

from __future__ import annotations

import re

from tests.support.terraform_source import ROOT, TERRAFORM, module_block

RUNBOOK = ROOT / "docs" / "operating.md"


def _markdown_anchors(text: str) -> set[str]:
    """GitHub's heading anchors: lowercased, punctuation other than '-' and '_' dropped, spaces to '-'."""
    headings = re.findall(r"^#{1,6} (.+)$", text, flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def test_every_declared_function_is_watched_by_the_monitoring_module() -> None:
    # module.functions is created for each entry of local.functions; the monitoring module must
    # receive all of them, unfiltered, so each gets its Lambda-errors alarm and dashboard line.
    assert module_block("functions.tf", "functions")["for_each"] == "${local.functions}"
    watched = module_block("monitoring.tf", "monitoring")["lambda_functions"]
    assert re.fullmatch(r"\$\{\{for (\w+), (\w+) in module\.functions : \1 => \2\.function_name\}\}", watched), watched


def test_alarm_descriptions_link_existing_runbook_sections() -> None:
    source = (TERRAFORM / "modules" / "monitoring" / "main.tf").read_text()
    linked = set(re.findall(r"Runbook: \$\{local\.runbook\}#([a-z0-9-]+(?:\$\{each\.key\})?)", source))
    # the latency alarm's anchor ends with its severity (for_each key)
    expanded = {a.replace("${each.key}", s) for a in linked for s in ("critical", "warning")}
    alarm_resources = re.findall(r'^resource "aws_cloudwatch_metric_alarm" "(\w+)"', source, flags=re.MULTILINE)
    assert len(linked) == len(alarm_resources), "every alarm's description links its runbook section"
    missing = expanded - _markdown_anchors(RUNBOOK.read_text())
    assert not missing, f"docs/operating.md has no section for {sorted(missing)}"
