"""The TypeScript client (packages/web-client) against this run's local stack: its Node integration
suite (Vitest, test/integration/) runs with the stack's endpoints, as a frontend would use them —
real Cognito SRP sign-in, the HTTP API, a listener and the speaker over real WebSockets, both
session-creation paths. `make install` builds the package and installs its npm dependencies."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from babelcast_devstack.terraform import repository_root

from tests.support.report import record
from tests.support.stack import Stack

WEB_CLIENT = repository_root() / "packages" / "web-client"


def test_the_web_client_integration_suite_passes_against_the_stack(stack: Stack, tmp_path: Path) -> None:
    node = shutil.which("node")
    vitest = WEB_CLIENT / "node_modules" / ".bin" / "vitest"
    assert node, "Node.js >= 20 is needed for packages/web-client (see README)"
    assert vitest.exists(), "packages/web-client's npm dependencies are missing: run `make install`"
    document = {
        **stack.document,
        "speaker": vars(stack.speaker("web-speaker")),
        "otherSpeaker": vars(stack.speaker("web-other")),
    }
    endpoints = tmp_path / "endpoints.json"
    endpoints.write_text(json.dumps(document))
    results = tmp_path / "vitest.json"
    completed = subprocess.run(
        [
            str(vitest),
            "run",
            "--config",
            "vitest.integration.config.ts",
            "--reporter=default",
            "--reporter=json",
            f"--outputFile.json={results}",
        ],
        cwd=WEB_CLIENT,
        env={
            "PATH": str(Path(node).parent),
            "HOME": str(tmp_path),
            "BABELCAST_ENDPOINTS_FILE": str(endpoints),
            "NO_COLOR": "1",
        },
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-6000:] + completed.stderr[-3000:]
    report = json.loads(results.read_text())
    assert report["numPassedTests"] == report["numTotalTests"] > 0
    durations = [t["duration"] for suite in report["testResults"] for t in suite["assertionResults"]]
    record("web client (Node, local stack)", "integration tests passed", report["numPassedTests"])
    record("web client (Node, local stack)", "integration tests time (s)", round(sum(durations) / 1000, 1))
