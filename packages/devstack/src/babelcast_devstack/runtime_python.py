"""A stand-in for the Lambda Python runtime: the runtime's Python version with only boto3 (which
the runtime provides) installed, in <repo>/.cache/. Functions run in it see the same interpreter
and third-party packages as on Lambda, not this repository's development environment."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tomllib
from pathlib import Path


def repo_root(start: Path | None = None) -> Path:
    """The monorepo root: the nearest directory at or above `start` (default: this file) holding uv.lock."""
    here = (start or Path(__file__)).resolve()
    for directory in (here, *here.parents):
        if (directory / "uv.lock").is_file():
            return directory
    raise RuntimeError(f"no uv.lock above {here}: pass the repository root explicitly")


@functools.cache
def lambda_python_version(root: Path | None = None) -> str:
    """The runtime's Python version ("3.12"), declared once in pyproject.toml for packaging and tests."""
    pyproject = tomllib.loads((root or repo_root()).joinpath("pyproject.toml").read_text())
    return str(pyproject["tool"]["babelcast"]["packaging"]["lambda_python"])


def _works(candidate: str, version: str) -> bool:
    try:
        out = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and out.stdout.strip() == version


def _uv(root: Path) -> str:
    return os.environ.get("UV") or str(root / ".tools" / "bin" / "uv")


def _uv_python_find(root: Path, version: str) -> str:
    """What uv would pick (its managed installs included); "" when uv is missing or finds nothing."""
    try:
        out = subprocess.run(
            [_uv(root), "python", "find", "--system", "--no-project", "--no-python-downloads", version],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def find_lambda_python(version: str | None = None, root: Path | None = None) -> str:
    """The runtime's interpreter: $LAMBDA_RUNTIME_PYTHON, python3.X on PATH, a pyenv or uv install."""
    root = root or repo_root()
    version = version or lambda_python_version(root)
    pyenv_root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    candidates = [
        os.environ.get("LAMBDA_RUNTIME_PYTHON", ""),
        shutil.which(f"python{version}") or "",
        *sorted(map(str, Path(pyenv_root).glob(f"versions/{version}*/bin/python{version}")), reverse=True),
        *sorted(map(str, (Path.home() / ".local/share/uv/python").glob(f"cpython-{version}*/bin/python3"))),
    ]
    for candidate in filter(None, candidates):
        if _works(candidate, version):
            return candidate
    # Last, as it costs a process and only adds installs uv knows about in places not globbed above.
    found = _uv_python_find(root, version)
    if found and _works(found, version):
        return found
    raise RuntimeError(
        f"Python {version} (the Lambda runtime's version) was not found; install it (pyenv, uv or your "
        f"package manager) or point LAMBDA_RUNTIME_PYTHON at it"
    )


def runtime_environment(root: Path | None = None) -> Path:
    """A virtualenv of the runtime's Python holding boto3 only; returns its python executable."""
    root = root or repo_root()
    version = lambda_python_version(root)
    venv = root / ".cache" / f"lambda-runtime-py{version}"
    python = venv / "bin" / "python"
    marker = venv / ".ready"
    if not marker.exists():
        uv = _uv(root)
        interpreter = find_lambda_python(version, root)
        subprocess.run([uv, "venv", "--quiet", "--python", interpreter, str(venv)], check=True)
        subprocess.run([uv, "pip", "install", "--quiet", "--python", str(python), "boto3"], check=True)
        marker.touch()
    return python
