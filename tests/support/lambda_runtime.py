"""A stand-in for the Lambda Python runtime: the runtime's Python version with only boto3 (which
the runtime provides) installed, in .cache/. Used to import zips exactly as Lambda would."""

from __future__ import annotations

import os
import shutil
import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAMBDA_PYTHON = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["babelcast"]["packaging"]["lambda_python"]


def _works(candidate: str) -> bool:
    try:
        out = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True, text=True, timeout=20, check=False,
        )  # fmt: skip
    except OSError:
        return False
    return out.returncode == 0 and out.stdout.strip() == LAMBDA_PYTHON


def find_lambda_python() -> str:
    """The runtime's interpreter: $LAMBDA_RUNTIME_PYTHON, python3.X on PATH, a pyenv or uv install."""
    pyenv_root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    candidates = [
        os.environ.get("LAMBDA_RUNTIME_PYTHON", ""),
        shutil.which(f"python{LAMBDA_PYTHON}") or "",
        *sorted(map(str, Path(pyenv_root).glob(f"versions/{LAMBDA_PYTHON}*/bin/python{LAMBDA_PYTHON}")), reverse=True),
        *sorted(map(str, (Path.home() / ".local/share/uv/python").glob(f"cpython-{LAMBDA_PYTHON}*/bin/python3"))),
    ]
    for candidate in filter(None, candidates):
        if _works(candidate):
            return candidate
    raise RuntimeError(
        f"Python {LAMBDA_PYTHON} (the Lambda runtime's version) was not found; install it (pyenv, uv or your "
        f"package manager) or point LAMBDA_RUNTIME_PYTHON at it"
    )


def runtime_environment() -> Path:
    """A virtualenv of the runtime's Python holding boto3 only; returns its python executable."""
    venv = ROOT / ".cache" / f"lambda-runtime-py{LAMBDA_PYTHON}"
    python = venv / "bin" / "python"
    marker = venv / ".ready"
    if not marker.exists():
        uv = os.environ.get("UV") or str(ROOT / ".tools" / "bin" / "uv")
        subprocess.run([uv, "venv", "--quiet", "--python", find_lambda_python(), str(venv)], check=True)
        subprocess.run([uv, "pip", "install", "--quiet", "--python", str(python), "boto3"], check=True)
        marker.touch()
    return python
