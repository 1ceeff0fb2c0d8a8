"""terraform/README.md's inputs and outputs tables are generated from variables.tf and outputs.tf:
regenerating them must change nothing."""

from __future__ import annotations

import subprocess
import sys

from tests.support.terraform_source import ROOT, parsed


def test_readme_tables_match_the_code() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "terraform_docs.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_every_input_and_output_is_in_the_readme() -> None:
    readme = (ROOT / "terraform" / "README.md").read_text()
    for kind, file_name in (("variable", "variables.tf"), ("output", "outputs.tf")):
        for block in parsed(file_name)[kind]:
            (name,) = block
            assert f"| `{name}` |" in readme, name
