"""One local stack for the web tests, as `make dev` runs it: the pipeline stand-in on and the web
apps (web/dist, built by `make web`) served on their own port. The integration suite's stack runs
without the stand-in (its tests write their own segments)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from babelcast_devstack import background

from tests.support.report import record
from tests.support.stack import Stack


@pytest.fixture(scope="session")
def web_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    local_dir = tmp_path_factory.mktemp("web-stack")
    running = background.start(local_dir)
    record("local stack", "ready (s, web fixture)", round(running.ready_seconds, 1))
    try:
        assert running.document["localPipeline"] == "stand-in"
        yield Stack(running.document, running.log_path)
    finally:
        running.stop()
