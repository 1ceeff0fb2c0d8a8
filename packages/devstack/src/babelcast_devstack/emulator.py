"""The embedded AWS emulator: moto in server mode on 127.0.0.1, stopped by its PID."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

import boto3
import requests

from babelcast_devstack.identity import ID_SEED_VARIABLE

DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
# Set, it names an emulator already running (e.g. LocalStack): the stack applies onto it instead of
# starting its own. The same variable boto3 and the AWS provider read, so nothing else changes.
EXTERNAL_ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # as the servers themselves do: connections of a previous run in TIME_WAIT do not count
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def emulator_environment(endpoint: str, region: str = "us-east-1") -> dict[str, str]:
    """Credentials and endpoint for an emulator. The AWS provider and boto3 both honour
    AWS_ENDPOINT_URL, so neither Terraform nor the functions need emulator-specific code."""
    return {**DUMMY_CREDENTIALS, "AWS_ENDPOINT_URL": endpoint, "AWS_REGION": region, "AWS_DEFAULT_REGION": region}


def emulator_client(endpoint: str | None, region: str, service: str, **options: Any) -> Any:
    """A boto3 client for ``service`` on the emulator, with its dummy credentials."""
    return boto3.session.Session().client(
        service,
        endpoint_url=endpoint,
        region_name=region,  # type: ignore[call-overload]
        aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        **options,
    )


@contextmanager
def moto_server(
    port: int | None = None, log_path: Path | None = None, startup_seconds: float = 30, *, id_seed: str | None = None
) -> Iterator[str]:
    """Run moto's server on 127.0.0.1 for the duration of the block; yields its endpoint.
    ``id_seed``: the Cognito pool and client ids derive from it (identity.py), not from chance."""
    port = port or free_port()
    if not port_is_free(port):
        raise RuntimeError(f"port {port} on 127.0.0.1 is in use; choose another with BABELCAST_EMULATOR_PORT")
    endpoint = f"http://127.0.0.1:{port}"
    log: IO[bytes] | int = log_path.open("ab") if log_path else subprocess.DEVNULL
    process = subprocess.Popen(
        [sys.executable, "-m", "babelcast_devstack.emulator_server", "127.0.0.1", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        env={**os.environ, ID_SEED_VARIABLE: id_seed} if id_seed else None,
    )
    try:
        deadline = time.monotonic() + startup_seconds
        while True:
            try:
                if requests.get(f"{endpoint}/moto-api/", timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the AWS emulator did not start on {endpoint}")
            time.sleep(0.1)
        yield endpoint
    finally:
        stop_process_group(process)
        if not isinstance(log, int):
            log.close()


def stop_process_group(process: subprocess.Popen[bytes], grace_seconds: float = 5) -> None:
    if process.poll() is not None:
        return
    with_suppressed = (ProcessLookupError, PermissionError)
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        with suppress(*with_suppressed):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except with_suppressed:
        process.wait()
