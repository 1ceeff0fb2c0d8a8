"""The whole local stack (`make dev`), started once per test run in a subprocess on free ports:
embedded emulator, the real Terraform applied onto it, the local gateway serving the zips.

With AWS_ENDPOINT_URL set (`make localstack-test`) the stack applies onto that emulator instead,
exactly as `make dev` does.
"""

from __future__ import annotations

import gzip
import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import jwt
import moto
import pytest
from babelcast_devstack import background
from babelcast_devstack.accounts import Account, create_speaker, log_in
from babelcast_devstack.cors_origins import CORS_ORIGINS_VARIABLE
from babelcast_devstack.emulator import EXTERNAL_ENDPOINT_VARIABLE
from babelcast_devstack.terraform import repository_root

from tests.support.report import record
from tests.support.terraform_source import EXTERNAL_STACK_DIR

ROOT = repository_root()
# Against an external emulator the stack's Terraform state is kept here (`make localstack-down` removes it)
# Every token a test logged in for: the log audit (test_zz_log_audit.py) proves none reached a log
# line (forged tokens are caught there by their JWT shape).
ISSUED_TOKENS: set[str] = set()
EXTRA_ORIGIN = "http://localhost:5999"


@dataclass
class Stack:
    document: dict[str, Any]
    log_path: Path
    run_id: str = ""  # set only on an external emulator, which keeps earlier runs' data

    @property
    def embedded_emulator(self) -> bool:
        return not self.run_id

    def name(self, base: str) -> str:
        """A username unique to this run on an external emulator, which keeps earlier runs' users
        (and their sessions); as given on the embedded one, which starts empty."""
        return f"{base}-{self.run_id}" if self.run_id else base

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
        return create_speaker(self.endpoint, self.region, self.document["userPoolId"], username and self.name(username))

    def tokens(self, account: Account) -> dict[str, str]:
        tokens = log_in(self.endpoint, self.region, self.document["userPoolClientId"], account)
        ISSUED_TOKENS.update(tokens.values())
        return tokens

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
        if not self.embedded_emulator:
            pytest.skip("forging tokens needs the embedded emulator's signing key (not LocalStack's)")
        private = json.loads(
            gzip.decompress(
                (Path(moto.__file__).parent / "cognitoidp" / "resources" / "jwks-private.json.gz").read_bytes()
            )
        )
        key = jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(private))
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": private["kid"]})  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    external = os.environ.get(EXTERNAL_ENDPOINT_VARIABLE) or None
    if external:
        # the emulator outlives this run: keep the Terraform state where the next run finds it,
        # so it updates the resources this one created instead of colliding with them
        local_dir = EXTERNAL_STACK_DIR
        local_dir.mkdir(parents=True, exist_ok=True)
    else:
        local_dir = tmp_path_factory.mktemp("stack")
    # schedules run every 2 s here so the sweep is exercised without waiting a minute; no pipeline
    # stand-in: these tests write their own segments (tests/web runs a stack with it)
    # one more browser origin, as a frontend developer adds theirs (test_dev_stack_for_browsers.py)
    origins = {CORS_ORIGINS_VARIABLE: EXTRA_ORIGIN}
    running = background.start(
        local_dir, "--schedule-interval", "2", "--no-pipeline", external_endpoint=external, environment=origins
    )
    if not external:
        record("local stack", "ready (s, integration fixture)", round(running.ready_seconds, 1))
    try:
        yield Stack(running.document, running.log_path, run_id=secrets.token_hex(3) if external else "")
    finally:
        running.stop()
