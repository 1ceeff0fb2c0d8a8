"""The documentation stays reachable: the README is the index of docs/."""

from __future__ import annotations

import re

from tests.support.terraform_source import ROOT


def test_the_readme_links_every_document() -> None:
    """A newcomer finds every document from the README: no document in docs/ is orphaned."""
    readme = (ROOT / "README.md").read_text()
    linked = set(re.findall(r"\]\((docs/[^)#]+)", readme))
    documents = {f"docs/{path.name}" for path in (ROOT / "docs").iterdir() if path.suffix in {".md", ".yaml"}}
    assert documents - linked == set(), "link these from README.md"
