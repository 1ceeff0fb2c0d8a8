"""Section "packages": the size of each zip in dist/, and whether a rebuild is byte-identical."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from .common import ROOT


def packages() -> dict[str, Any]:
    """Sizes of dist/*.zip, and a second build into a temporary directory compared byte for byte."""
    manifest = json.loads((ROOT / "dist" / "manifest.json").read_text())
    built: dict[str, Any] = manifest["functions"]
    with tempfile.TemporaryDirectory(prefix="bench-rebuild-") as tmp:
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "scripts" / "package_functions.py"),
                "--architecture",
                manifest["architecture"],
                "--python",
                manifest["python"],
                "--out",
                tmp,
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        rebuilt = {
            name: hashlib.sha256((Path(tmp) / entry["zip"]).read_bytes()).hexdigest() for name, entry in built.items()
        }
        differs = [name for name, entry in built.items() if rebuilt[name] != entry["sha256"]]
    sizes = {name: (ROOT / "dist" / entry["zip"]).stat().st_size for name, entry in built.items()}
    budgets = {name: entry["max_bytes"] for name, entry in built.items() if "max_bytes" in entry}
    return {"bytes": sizes, "max_bytes": budgets, "rebuild_identical": not differs, "rebuild_differs": differs}
