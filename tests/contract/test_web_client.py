"""The TypeScript client (packages/web-client) and the server agree on error codes: every code the
service can send (a DomainError in `babelcast.errors`) has the same HTTP status in the client's
ERROR_CODE_STATUS, read from the built package by Node. A UI branches on what the client derives
from it (`kind`), so a drifted status would send the user down the wrong path."""

from __future__ import annotations

import inspect
import json
import shutil
import subprocess

from babelcast import errors
from babelcast_devstack.terraform import repository_root

DIST = repository_root() / "packages" / "web-client" / "dist" / "index.js"


def server_statuses() -> dict[str, set[int]]:
    table: dict[str, set[int]] = {}
    for _, cls in inspect.getmembers(errors, inspect.isclass):
        if issubclass(cls, errors.DomainError):
            table.setdefault(cls.code, set()).add(cls.status)
    return table


def client_statuses() -> dict[str, int]:
    node = shutil.which("node")
    assert node, "Node.js >= 20 is needed for packages/web-client (see README)"
    assert DIST.exists(), "packages/web-client is not built: run `make install`"
    script = f"import {{ ERROR_CODE_STATUS as t }} from {json.dumps(DIST.as_uri())}; console.log(JSON.stringify(t));"
    out = subprocess.run(
        [node, "--input-type=module", "-e", script], capture_output=True, text=True, timeout=60, check=True
    )
    table: dict[str, int] = json.loads(out.stdout)
    return table


def test_every_server_error_code_has_its_status_in_the_typescript_client() -> None:
    server = server_statuses()
    assert all(len(statuses) == 1 for statuses in server.values()), f"one status per code on the server: {server}"
    client = client_statuses()
    drift = {
        code: (min(statuses), client.get(code)) for code, statuses in server.items() if client.get(code) not in statuses
    }
    assert drift == {}, "code: (server, client) status; fix ERROR_CODE_STATUS in packages/web-client/src/errors.ts"


def test_the_typescript_client_knows_no_code_the_server_cannot_send() -> None:
    assert set(client_statuses()) - set(server_statuses()) == set()
