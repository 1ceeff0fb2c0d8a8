"""Contract: the domain owns its types and talks to AWS only through its ports. No module under
babelcast/domain imports babelcast.integration, boto3 or botocore (directly, or by importing a
module of its own package that does)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DOMAIN = Path(__file__).parents[2] / "packages" / "common" / "src" / "babelcast" / "domain"
FORBIDDEN_TOP = ("boto3", "botocore")  # and the mypy_boto3_* stubs


def imported_modules(source: str) -> set[str]:
    """Every module a source imports, at any depth of the tree (TYPE_CHECKING blocks included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def is_forbidden(module: str) -> bool:
    top = module.split(".", maxsplit=1)[0]
    return (
        top in FORBIDDEN_TOP
        or top.startswith("mypy_boto3")
        or module == "babelcast.integration"
        or module.startswith("babelcast.integration.")
    )


def forbidden_imports(source: str) -> list[str]:
    return sorted(name for name in imported_modules(source) if is_forbidden(name))


@pytest.mark.parametrize("module", sorted(p.name for p in DOMAIN.glob("*.py")))
def test_domain_modules_do_not_import_the_integration_layer_or_aws(module: str) -> None:
    found = forbidden_imports((DOMAIN / module).read_text())
    assert not found, f"babelcast/domain/{module} imports {found}: give the domain a port (domain/ports.py) instead"


@pytest.mark.parametrize(
    "line",
    [
        "from babelcast.integration.sessions_table import SessionsTable",
        "from babelcast.integration import budget",
        "from babelcast import integration",
        "import botocore.exceptions",
        "from botocore.exceptions import ClientError",
        "import boto3",
        "if TYPE_CHECKING:\n    from mypy_boto3_dynamodb import DynamoDBClient",
    ],
)
def test_the_check_reports_each_kind_of_forbidden_import(line: str) -> None:
    assert forbidden_imports(f"from __future__ import annotations\n{line}\n")


def test_the_check_reads_every_domain_module() -> None:
    assert {"ports.py", "fanout.py", "sessions.py"} <= {p.name for p in DOMAIN.glob("*.py")}
