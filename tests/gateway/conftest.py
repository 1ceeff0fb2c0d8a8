"""The HTTP gateway tests' fixtures: a JWT issuer, and a gateway over the fake functions that logs
into a list. Module-scoped, so each test module starts its own gateway and sees only its log lines
(the WebSocket modules define their own ``gateway`` and ``log_lines``, which take precedence)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.gateway.harness import Issuer, RunningGateway, build_config, running_gateway


@pytest.fixture(scope="module")
def issuer() -> Iterator[Issuer]:
    issuer = Issuer()
    yield issuer
    issuer.close()


@pytest.fixture(scope="module")
def log_lines() -> list[str]:
    return []


@pytest.fixture(scope="module")
def gateway(issuer: Issuer, tmp_path_factory: pytest.TempPathFactory, log_lines: list[str]) -> Iterator[RunningGateway]:
    tmp = tmp_path_factory.mktemp("gateway")
    (tmp / "records").mkdir()
    with running_gateway(build_config(tmp, issuer.url, tmp / "records"), tmp, log=log_lines.append) as running:
        yield running
