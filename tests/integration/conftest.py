"""The whole local stack (`make dev`), started once per test run in a subprocess on free ports:
embedded emulator, the real Terraform applied onto it, the local gateway serving the zips."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import jwt
import moto
import pytest
from babelcast_devstack.accounts import Account, create_speaker, log_in
from babelcast_devstack.terraform import repository_root

from tests.support.report import record

ROOT = repository_root()


@dataclass
class Stack:
    document: dict[str, Any]
    log_path: Path

    @property
    def http(self) -> str:
        return str(self.document["httpApiUrl"])

    @property
    def websocket(self) -> str:
        return str(self.document["websocketUrl"])

    @property
    def endpoint(self) -> str:
        return str(self.document["awsEndpointUrl"])

    @property
    def region(self) -> str:
        return str(self.document["region"])

    @property
    def outputs(self) -> dict[str, Any]:
        outputs: dict[str, Any] = self.document["outputs"]
        return outputs

    def speaker(self, username: str | None = None) -> Account:
        return create_speaker(self.endpoint, self.region, self.document["userPoolId"], username)

    def tokens(self, account: Account) -> dict[str, str]:
        return log_in(self.endpoint, self.region, self.document["userPoolClientId"], account)

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=self.region,  # type: ignore[call-overload]
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def forge(self, claims: dict[str, Any]) -> str:
        """A token signed with the emulator's Cognito signing key (moto ships it): lets tests
        build correctly signed tokens that are expired or otherwise invalid."""
        private = json.loads(
            gzip.decompress(
                (Path(moto.__file__).parent / "cognitoidp" / "resources" / "jwks-private.json.gz").read_bytes()
            )
        )
        key = jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(private))
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": private["kid"]})  # type: ignore[arg-type]


def _start(
    local_dir: Path, extra_args: list[str], external_endpoint: str | None = None
) -> tuple[subprocess.Popen[bytes], Path]:
    if not (ROOT / "dist" / "http_api.zip").exists():
        subprocess.run([sys.executable, str(ROOT / "scripts" / "package_functions.py")], check=True)
    log_path = local_dir / "stack.log"
    process = subprocess.Popen(
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
            *extra_args,
        ],
        stdout=log_path.open("wb"),
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        env={
            **{k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"},
            **({"AWS_ENDPOINT_URL": external_endpoint} if external_endpoint else {}),
        },
    )
    return process, log_path


def wait_ready(
    process: subprocess.Popen[bytes], local_dir: Path, log_path: Path, timeout: float = 120
) -> dict[str, Any]:
    endpoints = local_dir / "endpoints.json"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if endpoints.exists():
            document: dict[str, Any] = json.loads(endpoints.read_text())
            return document
        if process.poll() is not None:
            break
        time.sleep(0.2)
    raise RuntimeError(f"the local stack did not become ready:\n{log_path.read_text()[-4000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    local_dir = tmp_path_factory.mktemp("stack")
    started = time.perf_counter()
    process, log_path = _start(local_dir, [])
    try:
        document = wait_ready(process, local_dir, log_path)
        record("local stack", "ready (s, integration fixture)", round(time.perf_counter() - started, 1))
        yield Stack(document, log_path)
    finally:
        stop(process)
