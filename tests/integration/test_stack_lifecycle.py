"""`make dev`'s lifecycle: Ctrl-C (SIGINT to the foreground process group) stops everything it
started — no process and no listening port left behind."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path
from urllib.parse import urlparse

import requests
from babelcast_devstack.background import spawn, wait_ready


def listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_ctrl_c_stops_everything(tmp_path: Path) -> None:
    process = spawn(tmp_path)
    log_path = tmp_path / "stack.log"
    document = wait_ready(process, tmp_path)
    ports = [urlparse(document[key]).port for key in ("httpApiUrl", "awsEndpointUrl")]
    assert requests.get(f"{document['httpApiUrl']}/health", timeout=30).status_code == 200  # starts a worker
    assert all(port and listening(port) for port in ports)
    os.killpg(process.pid, signal.SIGINT)  # what the terminal does on Ctrl-C
    assert process.wait(timeout=60) == 0, log_path.read_text()[-2000:]
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
        document = wait_ready(process, tmp_path)
        assert document["awsEndpointUrl"] == external
        assert "external: " + external in log_path.read_text()
        assert requests.get(f"{document['httpApiUrl']}/health", timeout=30).json()["status"] == "healthy"
        os.killpg(process.pid, signal.SIGTERM)
        assert process.wait(timeout=60) == 0
        assert requests.get(f"{external}/moto-api/", timeout=10).ok, "the external emulator must keep running"
