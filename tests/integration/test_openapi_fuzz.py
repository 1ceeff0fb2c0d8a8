"""schemathesis against docs/openapi.yaml on the local stack, with a real Cognito token: every
operation Terraform declares, with generated valid (positive) and invalid (negative) requests,
on generated session ids and on a session the caller owns. Checks: no 5xx, and every response
conforms to the document (status, content type, headers, body schema); invalid input is refused.

Bounded inside `make test` (BABELCAST_FUZZ_EXAMPLES per operation, mode and target; default 6);
`make fuzz` runs it with many more, and new random cases each time."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.api_documents import openapi
from tests.support.report import record
from tests.support.stack import Stack
from tests.support.terraform_source import ROOT, http_routes

EXAMPLES = int(os.environ.get("BABELCAST_FUZZ_EXAMPLES", "6"))
# `make test` replays the same cases every run (a regression guard that cannot flake); `make fuzz`
# explores new ones each time.
EXPLORE = os.environ.get("BABELCAST_FUZZ_EXPLORE") == "1"
# Hypothesis keeps caches (they hold this machine's paths) under .local, not in the checkout
set_hypothesis_home_dir(ROOT / ".local" / "hypothesis")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@dataclass
class Tally:
    cases: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: dict[str, str] = field(default_factory=dict)  # one example per distinct problem
    unsatisfiable: list[str] = field(default_factory=list)

    def run(self, strategy: Any, label: str, checks: list[Any], call: Callable[[Any], Any]) -> None:
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            derandomize=not EXPLORE,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def generated(case: Any) -> None:
            self.check(label, case, checks, call)

        try:
            generated()
        except Unsatisfiable:  # e.g. negative mode where nothing can be made invalid (GET /health)
            self.unsatisfiable.append(label)

    def check(self, label: str, case: Any, checks: list[Any], call: Callable[[Any], Any]) -> None:
        self.cases += 1
        response = call(case)
        self.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=checks)
        except (FailureGroup, Failure, AssertionError) as failed:
            problems = failed.exceptions if isinstance(failed, FailureGroup) else [failed]
            for problem in problems:
                title = getattr(problem, "title", type(problem).__name__)
                key = f"{label} -> {response.status_code}: {title}"
                self.failures.setdefault(key, f"{key}\n{str(problem)[:600]}\n{case.as_curl_command()[:600]}")


def test_the_api_conforms_to_its_openapi_document_under_fuzzing(stack: Stack) -> None:
    started = time.perf_counter()
    speaker = stack.speaker()  # its own account: its creation rate limit is its own
    token = stack.tokens(speaker)["idToken"]
    auth = {"Authorization": f"Bearer {token}"}
    owned = requests.post(f"{stack.http}/sessions", json={"sourceLanguage": "en"}, headers=auth, timeout=30)
    assert owned.status_code == 201, owned.text
    owned_id = owned.json()["sessionId"]

    schema = schemathesis.openapi.from_dict(openapi())
    deployed = set(http_routes())  # an operation documented before its route is deployed is not fuzzed yet
    tally = Tally()
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"schemathesis cannot use an operation: {result.err()}"
        if f"{result.ok().method.upper()} {result.ok().path}" in deployed:
            operations.append(result.ok())
    assert len(operations) == len(deployed)
    call_kwargs = {"base_url": stack.http, "session": requests.Session(), "headers": auth}
    for operation in operations:
        label = f"{operation.method.upper()} {operation.path}"
        targets: dict[str, dict[str, Any] | None] = {"": None}
        if "{sessionId}" in operation.path:
            targets["owned session"] = {"sessionId": owned_id}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            checks = CHECKS + ([negative_data_rejection] if mode is GenerationMode.NEGATIVE else [])
            for target, path_parameters in targets.items():
                strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)
                run_label = f"{label} [{', '.join(filter(None, (mode.value, target)))}]"
                tally.run(strategy, run_label, checks, lambda case: case.call(**call_kwargs))
    elapsed = time.perf_counter() - started
    server_errors = sum(n for status, n in tally.statuses.items() if status >= 500)
    record("openapi fuzzing (schemathesis)", "examples per operation, mode and target", EXAMPLES)
    record("openapi fuzzing (schemathesis)", "operations", len(operations))
    record("openapi fuzzing (schemathesis)", "test cases generated", tally.cases)
    record("openapi fuzzing (schemathesis)", "responses by status", dict(sorted(tally.statuses.items())))
    record("openapi fuzzing (schemathesis)", "server errors (5xx)", server_errors)
    record("openapi fuzzing (schemathesis)", "failures (distinct)", len(tally.failures))
    record("openapi fuzzing (schemathesis)", "seconds", round(elapsed, 1))
    record("openapi fuzzing (schemathesis)", "runs with nothing to negate", tally.unsatisfiable)
    assert tally.cases >= len(operations) * EXAMPLES
    assert not tally.failures, "\n\n".join(tally.failures.values())
    assert server_errors == 0
