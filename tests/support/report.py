"""Figures measured by tests (AWS calls, timings, sizes), printed at the end of the run and kept
in .local/reports/test-figures.json. Informational only: assertions live in the tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
FIGURES: dict[str, dict[str, Any]] = {}


def record(section: str, name: str, value: Any) -> None:
    FIGURES.setdefault(section, {})[name] = value


def write_and_render() -> list[str]:
    if not FIGURES:
        return []
    path = ROOT / ".local" / "reports" / "test-figures.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(FIGURES, indent=2, sort_keys=True) + "\n")
    lines = []
    for section, values in sorted(FIGURES.items()):
        lines.append(f"{section}:")
        lines += [f"  {name}: {value}" for name, value in sorted(values.items())]
    return lines
