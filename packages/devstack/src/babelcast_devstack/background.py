"""Start the local stack (`babelcast-dev up`) as a background process on free ports, for
integration tests and benchmarks; stop it by its PID."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babelcast_devstack.dev_logs import DEV_LOGS_VARIABLE
from babelcast_devstack.emulator import EXTERNAL_ENDPOINT_VARIABLE
from babelcast_devstack.terraform import repository_root


@dataclass
class BackgroundStack:
    process: subprocess.Popen[bytes]
    local_dir: Path
    log_path: Path
    document: dict[str, Any]
    ready_seconds: float

    def stop(self, timeout: float = 60) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        return int(self.process.returncode)


def spawn(
    local_dir: Path, *args: str, external_endpoint: str | None = None, environment: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """``environment``: variables added to this process's (e.g. BABELCAST_CORS_ORIGINS)."""
    root = repository_root()
    if not (root / "dist" / "manifest.json").exists():
        subprocess.run([sys.executable, str(root / "scripts" / "package_functions.py")], check=True)
    variables = {k: v for k, v in os.environ.items() if k != EXTERNAL_ENDPOINT_VARIABLE} | dict(environment or {})
    if external_endpoint:
        variables[EXTERNAL_ENDPOINT_VARIABLE] = external_endpoint
    # tests and benchmarks read the functions' logs in the stack's log
    variables.setdefault(DEV_LOGS_VARIABLE, "functions")
    # a previous run's file (a killed stack, or a kept local_dir) must not pass for this one's
    (local_dir / "endpoints.json").unlink(missing_ok=True)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "babelcast_devstack.cli",
            "up",
            "--no-package",
            "--local-dir",
            str(local_dir),
            "--http-port",
            "0",
            "--ws-port",
            "0",
            "--emulator-port",
            "0",
            "--docs-port",
            "0",
            "--web-port",
            "0",
            *args,
        ],
        stdout=(local_dir / "stack.log").open("wb"),
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        env=variables,
    )


def wait_ready(process: subprocess.Popen[bytes], local_dir: Path, timeout: float = 180) -> dict[str, Any]:
    endpoints = local_dir / "endpoints.json"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if endpoints.exists():
            document: dict[str, Any] = json.loads(endpoints.read_text())
            return document
        if process.poll() is not None:
            break
        time.sleep(0.1)
    log = (local_dir / "stack.log").read_text(errors="replace")[-4000:]
    raise RuntimeError(f"the local stack did not become ready:\n{log}")


def start(
    local_dir: Path, *args: str, external_endpoint: str | None = None, environment: Mapping[str, str] | None = None
) -> BackgroundStack:
    started = time.perf_counter()
    process = spawn(local_dir, *args, external_endpoint=external_endpoint, environment=environment)
    try:
        document = wait_ready(process, local_dir)
    except BaseException:
        BackgroundStack(process, local_dir, local_dir / "stack.log", {}, 0).stop()
        raise
    return BackgroundStack(process, local_dir, local_dir / "stack.log", document, time.perf_counter() - started)


@contextmanager
def stack_for_benchmark(use_running: bool, *args: str) -> Iterator[tuple[dict[str, Any], float, int]]:
    """The stack a benchmark measures: the running `make dev` one (``use_running``) or a new one on
    free ports, stopped afterwards. Yields its endpoints document, ready seconds and PID."""
    if use_running:
        document = json.loads((repository_root() / ".local" / "endpoints.json").read_text())
        yield document, float(document.get("startupSeconds", 0)), int(document["pid"])
        return
    with tempfile.TemporaryDirectory(prefix="bench-stack-") as tmp:
        running = start(Path(tmp), "--no-pipeline", *args)  # the stand-in is not what is measured
        try:
            yield running.document, running.ready_seconds, running.process.pid
        finally:
            running.stop()
