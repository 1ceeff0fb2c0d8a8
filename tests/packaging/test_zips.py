"""The Lambda zips: contents, size, reproducibility, and importability in a clean runtime."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.support.lambda_runtime import LAMBDA_PYTHON, ROOT, runtime_environment
from tests.support.report import record

pytestmark = pytest.mark.packaging
FUNCTIONS = sorted(p.parent.name for p in (ROOT / "functions").glob("*/pyproject.toml"))
MAX_ZIP_BYTES = 5 * 1024 * 1024


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two independent builds of every function, into two directories."""
    outputs = []
    for run in ("first", "second"):
        out = tmp_path_factory.mktemp(run)
        subprocess.run([sys.executable, str(ROOT / "scripts" / "package_functions.py"), "--out", str(out)], check=True)
        outputs.append(out)
    return outputs[0], outputs[1]


@pytest.mark.parametrize("function", FUNCTIONS)
def test_rebuild_is_byte_identical(built: tuple[Path, Path], function: str) -> None:
    first, second = (hashlib.sha256((out / f"{function}.zip").read_bytes()).hexdigest() for out in built)
    assert first == second
    size = (built[0] / f"{function}.zip").stat().st_size
    record("Lambda zips", function, f"{size / 1024 / 1024:.2f} MiB, rebuild byte-identical: {first == second}")


@pytest.mark.parametrize("function", FUNCTIONS)
def test_zip_holds_code_shared_package_and_only_runtime_dependencies(built: tuple[Path, Path], function: str) -> None:
    archive = built[0] / f"{function}.zip"
    assert archive.stat().st_size <= MAX_ZIP_BYTES
    with zipfile.ZipFile(archive) as zipped:
        names = zipped.namelist()
        infos = zipped.infolist()
    top_level = {name.split("/", 1)[0] for name in names}
    assert {function, "babelcast", "pydantic", "pydantic_core", "structlog"} <= top_level
    assert not top_level & {"boto3", "botocore", "s3transfer", "tests", "bin"}, "runtime-provided or dev files bundled"
    assert not top_level & {"babelcast_client", "babelcast_devstack", "websockets"}, "client/dev-only packages bundled"
    assert names == sorted(names)
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
    # wheels for the Lambda platform and runtime, not this machine's interpreter
    binaries = [n for n in names if n.endswith(".so")]
    assert binaries and all(f"cpython-{LAMBDA_PYTHON.replace('.', '')}" in n for n in binaries)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_module_ships_with_its_runtime_bytecode(built: tuple[Path, Path], function: str) -> None:
    """Lambda's code directory is read-only: a module without bytecode is compiled again at every
    cold start. Each .py has the runtime version's .pyc, checked by hash only (no timestamp) and
    naming its source where Lambda unpacks the zip; there is no other bytecode."""
    tag = f"cpython-{LAMBDA_PYTHON.replace('.', '')}"
    with zipfile.ZipFile(built[0] / f"{function}.zip") as zipped:
        names = set(zipped.namelist())
        sources = {n for n in names if n.endswith(".py")}
        expected = {f"{n.rsplit('/', 1)[0]}/__pycache__/{n.rsplit('/', 1)[1][:-3]}.{tag}.pyc" if "/" in n
                    else f"__pycache__/{n[:-3]}.{tag}.pyc" for n in sources}  # fmt: skip
        assert {n for n in names if n.endswith((".pyc", ".pyo"))} == expected
        handler = zipped.read(f"{function}/__pycache__/handler.{tag}.pyc")
    flags = int.from_bytes(handler[4:8], "little")
    assert flags == 0b01, "unchecked-hash pyc (bit 0: hash-based, bit 1: check source) expected"
    assert f"/var/task/{function}/handler.py".encode() in handler


def test_manifest_records_every_zip(built: tuple[Path, Path]) -> None:
    manifest = json.loads((built[0] / "manifest.json").read_text())
    assert manifest["python"] == LAMBDA_PYTHON
    assert manifest["bytecode"] is True
    assert set(manifest["functions"]) == set(FUNCTIONS)
    for function, entry in manifest["functions"].items():
        digest = hashlib.sha256((built[0] / f"{function}.zip").read_bytes()).hexdigest()
        assert entry["sha256"] == digest


IMPORT_AND_INVOKE = """
import json, os, sys
sys.path.insert(0, sys.argv[1])
forbidden = ("{root}/packages", "{root}/functions", "{root}/.venv", "{root}/tests")
assert not any(p.startswith(forbidden) or p in ("{root}", "") for p in sys.path), sys.path
module = __import__(sys.argv[2] + ".handler", fromlist=["lambda_handler"])
for name, loaded in list(sys.modules.items()):
    path = getattr(loaded, "__file__", None) or ""
    assert not path.startswith(forbidden), (name, path)
# importing must not read settings: the environment is empty here
env = dict(os.environ)
assert callable(module.lambda_handler)
settings = module.SETTINGS
os.environ.update(json.loads(sys.argv[3]))
if sys.argv[2] == "http_api":  # exercise pydantic-core's binary in the target Python: validation of a 404
    event = {{"version": "2.0", "routeKey": "GET /nowhere", "rawPath": "/nowhere", "headers": {{}},
             "requestContext": {{"requestId": "r1", "http": {{"method": "GET", "path": "/nowhere"}}}}}}
    print(json.dumps(module.lambda_handler(event, None)))
else:
    print(json.dumps({{"statusCode": 404, "body": json.dumps({{"code": "ROUTE_NOT_FOUND"}}), "settings": sorted(
        settings.environment_variables())}}))
"""


@pytest.mark.parametrize("function", FUNCTIONS)
def test_zip_imports_and_runs_in_a_clean_lambda_like_interpreter(
    built: tuple[Path, Path], function: str, tmp_path: Path
) -> None:
    python = runtime_environment()
    extracted = tmp_path / "task"
    with zipfile.ZipFile(built[0] / f"{function}.zip") as zipped:
        zipped.extractall(extracted)
    environment = {
        "SESSIONS_TABLE_NAME": "t-sessions",
        "RATE_LIMITS_TABLE_NAME": "t-rate-limits",
        "ENVIRONMENT": "test",
        "SERVICE_VERSION": "1",
        "SUPPORTED_LANGUAGES": "en",
        "CURSOR_SIGNING_KEYS": "packaging-test-cursor-key-0123456789abcdef",
    }
    # (other functions are imported only: their settings need real endpoints to be useful)
    result = subprocess.run(
        [
            str(python),
            "-I",
            "-c",
            IMPORT_AND_INVOKE.format(root=ROOT),
            str(extracted),
            function,
            json.dumps(environment),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    response = json.loads(result.stdout.strip().splitlines()[-1])
    assert response["statusCode"] == 404
    assert json.loads(response["body"])["code"] == "ROUTE_NOT_FOUND"
