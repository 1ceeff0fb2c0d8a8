#!/usr/bin/env python3
"""Build one reproducible Lambda zip per function: dist/<function>.zip.

Each zip holds the function's package, the shared ``babelcast`` package and only the
third-party runtime dependencies it needs (pinned by uv.lock), as wheels for the Lambda
platform and Python version rather than this machine's. Packages the Lambda runtime already
ships (boto3 & co.) are left out. Entries are sorted with fixed timestamps and permissions, so
rebuilding from the same sources gives byte-identical zips (and Terraform sees no change).

Every module is shipped with its bytecode, compiled by the runtime's Python version: Lambda's
/var/task is read-only, so without it each cold start compiles every imported module again
(~0.2 s of a ~0.7 s cold start). The .pyc files are "unchecked-hash" (no timestamp, so
reproducible) and name their source as /var/task/..., where Lambda unpacks the zip.

A zip is rebuilt only when its inputs changed: the manifest records a hash of each function's
sources, the shared package, uv.lock, pyproject.toml, this script and the build options; when it
matches and the zip is the one recorded, the zip is kept (`--force` rebuilds anyway).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS_DIR = ROOT / "functions"
SHARED_PACKAGES = {"babelcast": ROOT / "packages" / "common" / "src" / "babelcast"}
PLATFORMS = {"x86_64": "x86_64-manylinux2014", "arm64": "aarch64-manylinux2014"}
FIXED_DATE = (1980, 1, 1, 0, 0, 0)
EXCLUDED_PARTS = {".mypy_cache", ".pytest_cache", "tests", ".lock"}
EXCLUDED_SUFFIXES = {".pyo"}
LAMBDA_TASK_ROOT = "/var/task"


def uv() -> str:
    found = os.environ.get("UV") or shutil.which("uv") or str(ROOT / ".tools" / "bin" / "uv")
    if not Path(found).exists() and not shutil.which(found):
        sys.exit("uv not found: run `make install` first")
    return found


def packaging_config() -> dict[str, Any]:
    config: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["babelcast"]["packaging"]
    return config


def function_names() -> list[str]:
    return sorted(p.parent.name for p in FUNCTIONS_DIR.glob("*/pyproject.toml"))


def function_project(name: str) -> dict[str, object]:
    return dict(tomllib.loads((FUNCTIONS_DIR / name / "pyproject.toml").read_text()))


def runtime_requirements(project_name: str, provided: set[str]) -> list[str]:
    """Pinned third-party requirements of one workspace member, from the lock file."""
    exported = subprocess.run(
        [
            uv(),
            "export",
            "--package",
            project_name,
            "--no-dev",
            "--frozen",
            "--no-emit-workspace",
            "--no-hashes",
            "--no-header",
            "--no-annotate",
            "--quiet",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    requirements = []
    for raw_line in exported.splitlines():
        line = raw_line.strip()
        if not line or line.startswith(("#", "-e", ".")):
            continue
        distribution = line.split("==", 1)[0].split(";", 1)[0].strip().lower().replace("_", "-")
        if distribution not in provided:
            requirements.append(line)
    return requirements


def install_wheels(requirements: list[str], target: Path, architecture: str, python: str) -> None:
    if not requirements:
        return
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write("\n".join(requirements) + "\n")
    try:
        subprocess.run(
            [
                uv(),
                "pip",
                "install",
                "--quiet",
                "--target",
                str(target),
                "--python-platform",
                PLATFORMS[architecture],
                "--python-version",
                python,
                "--only-binary",
                ":all:",
                "--no-deps",
                "--no-installer-metadata",
                "--requirement",
                handle.name,
            ],
            cwd=ROOT,
            check=True,
        )
    finally:
        Path(handle.name).unlink()


def copy_package(source: Path, destination: Path) -> None:
    shutil.copytree(source, destination, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo"))


def included(path: Path, base: Path) -> bool:
    relative = path.relative_to(base)
    return not (EXCLUDED_PARTS & set(relative.parts)) and path.suffix not in EXCLUDED_SUFFIXES


def compile_bytecode(staging: Path, python: str | None) -> None:
    """Replace whatever caches the staging holds with bytecode compiled by the runtime's Python."""
    for cache in sorted(staging.rglob("__pycache__"), reverse=True):
        shutil.rmtree(cache)
    if python is None:
        return
    # Reproducible bytecode: a set of strings is marshalled in hash order (random per process unless
    # the seed is fixed; -s -P rather than -I, which would ignore it), and whether a constant is
    # marshalled as a reference depends on what the process compiled before: one process, in order.
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")} | {"PYTHONHASHSEED": "0"}
    subprocess.run(
        [
            python,
            "-s",
            "-P",
            "-m",
            "compileall",
            "-q",
            "-j",
            "1",
            "--invalidation-mode",
            "unchecked-hash",
            "-s",
            str(staging),
            "-p",
            LAMBDA_TASK_ROOT,
            str(staging),
        ],
        check=True,
        env=environment,
    )


def lambda_python(version: str) -> str | None:
    """The runtime's interpreter if this machine has it (the same lookup as the local stack's)."""
    from babelcast_devstack.runtime_python import find_lambda_python

    try:
        return find_lambda_python(version, ROOT)
    except RuntimeError as missing:
        print(f"warning: {missing}; the zips will carry no bytecode (slower cold starts)", file=sys.stderr)
        return None


def write_zip(source: Path, destination: Path) -> None:
    files = sorted(
        (p for p in source.rglob("*") if p.is_file() and included(p, source)),
        key=lambda p: p.relative_to(source).as_posix(),
    )
    temporary = destination.with_suffix(".zip.tmp")
    with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in files:
            info = zipfile.ZipInfo(path.relative_to(source).as_posix(), date_time=FIXED_DATE)
            executable = os.access(path, os.X_OK) and path.suffix not in {".py", ".pyi", ".typed", ".txt"}
            info.external_attr = ((0o755 if executable else 0o644) | 0o100000) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, whatever the build host
            archive.writestr(info, path.read_bytes(), compresslevel=9)
    temporary.replace(destination)


def max_zip_bytes(config: dict[str, Any], name: str) -> int:
    """The function's zip size budget: its own, or every function's."""
    return int(config.get("max_zip_bytes_by_function", {}).get(name, config["max_zip_bytes"]))


def tree_files(directory: Path) -> list[Path]:
    """The files a zip is built from under ``directory`` (no caches, no tests), in a fixed order."""
    files = (p for p in directory.rglob("*") if p.is_file() and included(p, directory))
    return sorted(p for p in files if "__pycache__" not in p.parts and p.suffix != ".pyc")


def inputs_digest(files: list[Path], *options: str) -> str:
    """sha256 over ``options`` and each file's path (relative to the repository) and content."""
    digest = hashlib.sha256("\x00".join(options).encode())
    for path in files:
        name = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.as_posix()
        content = path.read_bytes()
        digest.update(f"\x00{name}\x00{len(content)}\x00".encode())
        digest.update(content)
    return digest.hexdigest()


def source_digests(names: list[str], architecture: str, python: str, bytecode: bool) -> dict[str, str]:
    """Each function's input hash: its own tree plus what every zip is built from."""
    shared = [ROOT / "uv.lock", ROOT / "pyproject.toml", Path(__file__).resolve()]
    for source in SHARED_PACKAGES.values():
        shared += tree_files(source)
    common = inputs_digest(shared, architecture, python, f"bytecode={bytecode}")
    return {name: inputs_digest(tree_files(FUNCTIONS_DIR / name), common) for name in names}


def unchanged(previous: dict[str, Any], name: str, source_sha256: str, out: Path) -> bool:
    """The zip in ``out`` was built from these very inputs and is still the one recorded."""
    entry = previous.get("functions", {}).get(name) or {}
    archive = out / f"{name}.zip"
    if entry.get("source_sha256") != source_sha256 or not archive.is_file():
        return False
    return bool(entry.get("sha256") == hashlib.sha256(archive.read_bytes()).hexdigest())


def previous_manifest(out: Path) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads((out / "manifest.json").read_text())
    except (OSError, ValueError):
        return {}
    return manifest


def build(
    name: str, architecture: str, python: str, provided: set[str], out: Path, *, compiler: str | None
) -> dict[str, object]:
    project = function_project(name)
    project_name = str(project["project"]["name"])  # type: ignore[index]
    with tempfile.TemporaryDirectory(prefix=f"package-{name}-") as tmp:
        staging = Path(tmp) / "root"
        staging.mkdir()
        install_wheels(runtime_requirements(project_name, provided), staging, architecture, python)
        for directory in (staging / "bin",):
            shutil.rmtree(directory, ignore_errors=True)
        copy_package(FUNCTIONS_DIR / name / name, staging / name)
        for package, source in SHARED_PACKAGES.items():
            copy_package(source, staging / package)
        compile_bytecode(staging, compiler)
        archive = out / f"{name}.zip"
        write_zip(staging, archive)
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    return {"zip": archive.name, "sha256": digest, "bytes": archive.stat().st_size}


def main() -> None:
    config = packaging_config()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("functions", nargs="*", help="functions to build (default: all)")
    parser.add_argument(
        "--architecture", choices=sorted(PLATFORMS), default=os.environ.get("LAMBDA_ARCHITECTURE", "x86_64")
    )
    parser.add_argument("--python", default=str(config["lambda_python"]), help="Lambda runtime Python version")
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    parser.add_argument("--force", action="store_true", help="rebuild even the zips whose inputs did not change")
    args = parser.parse_args()

    provided = {str(name).lower() for name in config["provided_by_runtime"]}
    names = args.functions or function_names()
    unknown = set(names) - set(function_names())
    if unknown:
        sys.exit(f"unknown functions: {', '.join(sorted(unknown))}")
    args.out.mkdir(parents=True, exist_ok=True)
    previous = {} if args.force else previous_manifest(args.out)
    manifest: dict[str, Any] = {"architecture": args.architecture, "python": args.python, "functions": {}}
    compiler = lambda_python(args.python)
    manifest["bytecode"] = compiler is not None
    digests = source_digests(names, args.architecture, args.python, compiler is not None)
    kept = []
    for name in names:
        if unchanged(previous, name, digests[name], args.out):
            manifest["functions"][name] = previous["functions"][name] | {"max_bytes": max_zip_bytes(config, name)}
            kept.append(name)
            continue
        result = build(name, args.architecture, args.python, provided, args.out, compiler=compiler)
        manifest["functions"][name] = result | {
            "max_bytes": max_zip_bytes(config, name),
            "source_sha256": digests[name],
        }
        print(f"  {result['zip']:<24} {int(str(result['bytes'])) / 1024:8.1f} KiB  sha256 {str(result['sha256'])[:16]}")
    if kept:
        print(f"  unchanged, not rebuilt: {len(kept)} of {len(names)} zips (their sources and uv.lock are as built)")
    # functions not asked for this time keep their entries (and zips)
    for name, entry in previous.get("functions", {}).items():
        manifest["functions"].setdefault(name, entry)
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
