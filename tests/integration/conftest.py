"""The whole local stack (`make dev`), started once per test run in a subprocess on free ports:
embedded emulator, the real Terraform applied onto it, the local gateway serving the zips.

With AWS_ENDPOINT_URL set (`make localstack-test`) the stack applies onto that emulator instead,
exactly as `make dev` does.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest
from babelcast_devstack import background
from babelcast_devstack.cors_origins import CORS_ORIGINS_VARIABLE
from babelcast_devstack.emulator import EXTERNAL_ENDPOINT_VARIABLE
from babelcast_devstack.terraform import repository_root

from tests.support.log_audit import findings, log_texts
from tests.support.report import record
from tests.support.stack import EXTRA_ORIGIN, ISSUED_TOKENS, Stack
from tests.support.terraform_source import EXTERNAL_STACK_DIR

ROOT = repository_root()


# Against an external emulator the stack's Terraform state is kept here (`make localstack-down` removes it)
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
    # the session's log audit: every log the stack wrote, complete now that it has stopped
    tokens = {t for t in ISSUED_TOKENS if t}
    found = findings(log_texts(running.log_path.parent), tokens)
    record("log audit", "tokens looked for at the end of the session", len(tokens))
    if found:
        pytest.fail(f"the local stack's logs hold tokens or credentials: {found[:20]}", pytrace=False)
