"""`make dev`'s lifecycle: Ctrl-C (SIGINT to the foreground process group) stops everything it
started — no process and no listening port left behind."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlparse

import requests
from babelcast_devstack.background import spawn, wait_ready

from tests.support.health import wait_healthy


def listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _stop(process: subprocess.Popen[bytes]) -> None:
    """A failed assertion must not leave a stack running: kill its whole process group."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def test_ctrl_c_stops_everything(tmp_path: Path) -> None:
    process = spawn(tmp_path)
    log_path = tmp_path / "stack.log"
    try:
        document = wait_ready(process, tmp_path)
        ports = [urlparse(document[key]).port for key in ("httpApiUrl", "awsEndpointUrl")]
        assert wait_healthy(document["httpApiUrl"]).status_code == 200  # starts a worker
        assert all(port and listening(port) for port in ports)
        os.killpg(process.pid, signal.SIGINT)  # what the terminal does on Ctrl-C
        assert process.wait(timeout=60) == 0, log_path.read_text()[-2000:]
    finally:
        _stop(process)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(listening(p) for p in ports if p):
        time.sleep(0.2)
    assert not [p for p in ports if p and listening(p)]
    try:
        os.killpg(process.pid, 0)
        leftover = True
    except ProcessLookupError:
        leftover = False
    assert not leftover, "a process of the stack's group is still running"
    assert not (tmp_path / "endpoints.json").exists()
    assert "stopped." in log_path.read_text()


def test_an_external_emulator_is_used_and_left_running(tmp_path: Path) -> None:
    """With AWS_ENDPOINT_URL set (e.g. LocalStack Pro), the stack applies onto it instead of
    starting moto, and stopping the stack does not stop that emulator."""
    from babelcast_devstack.emulator import moto_server

    with moto_server() as external:
        process = spawn(tmp_path, external_endpoint=external)
        log_path = tmp_path / "stack.log"
        try:
            document = wait_ready(process, tmp_path)
            assert document["awsEndpointUrl"] == external
            assert "external: " + external in log_path.read_text()
            assert wait_healthy(document["httpApiUrl"]).json()["status"] == "healthy"
            os.killpg(process.pid, signal.SIGTERM)
            assert process.wait(timeout=60) == 0
        finally:
            _stop(process)
        assert requests.get(f"{external}/moto-api/", timeout=10).ok, "the external emulator must keep running"
