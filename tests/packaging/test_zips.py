"""The Lambda zips: contents, size, reproducibility, and importability in a clean runtime."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
import subprocess
import sys
import time
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.support.lambda_runtime import LAMBDA_PYTHON, ROOT, runtime_environment
from tests.support.report import record

pytestmark = pytest.mark.packaging
FUNCTIONS = sorted(p.parent.name for p in (ROOT / "functions").glob("*/pyproject.toml"))
# Each function carries only what its pyproject.toml declares: the JWT crypto (babelcast[jwt]) is
# the token verifier's alone, and it is the one zip with a larger size budget (pyproject.toml).
TOKEN_VERIFIERS = {"ws_authorizer"}
JWT_CRYPTO = {"jwt", "cryptography", "cffi", "pycparser"}
ELF_MACHINES = {"x86_64": 0x3E, "arm64": 0xB7}  # e_machine of each Lambda architecture's binaries
WHEEL_PLATFORMS = {"x86_64": "x86_64", "arm64": "aarch64"}


def wheel_tags(zipped: zipfile.ZipFile) -> dict[str, list[str]]:
    """The platform tags of every wheel installed into the zip (its .dist-info/WHEEL)."""
    return {
        name.split("/", 1)[0]: [
            line.removeprefix("Tag: ") for line in zipped.read(name).decode().splitlines() if line.startswith("Tag: ")
        ]
        for name in zipped.namelist()
        if name.endswith(".dist-info/WHEEL")
    }


def assert_built_for_lambda(zipped: zipfile.ZipFile, architecture: str) -> None:
    """Wheels and binaries for the Lambda platform and runtime, not this machine's interpreter:
    every wheel pure or manylinux for the architecture and CPython 3.12 (its own ABI or the stable
    ABI of an earlier 3.x), every shared object an ELF file of that architecture."""
    python = LAMBDA_PYTHON.replace(".", "")
    for wheel, tags in wheel_tags(zipped).items():
        for tag in tags:
            interpreter, abi, platform = tag.split("-")
            pure = abi == "none" and platform == "any"
            native = (abi == f"cp{python}" or (abi == "abi3" and int(interpreter[2:]) <= int(python))) and (
                platform.startswith("manylinux") and platform.endswith(WHEEL_PLATFORMS[architecture])
            )
            assert pure or native, f"{wheel}: {tag} does not run on Lambda {architecture} Python {LAMBDA_PYTHON}"
    binaries = [n for n in zipped.namelist() if n.endswith(".so")]
    assert binaries
    for name in binaries:
        assert f"cpython-{python}-" in name or name.endswith(".abi3.so"), name
        header = zipped.read(name)[:20]
        assert header[:4] == b"\x7fELF" and int.from_bytes(header[18:20], "little") == ELF_MACHINES[architecture], name


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
    verifier = function in TOKEN_VERIFIERS
    packaging = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["babelcast"]["packaging"]
    budget = json.loads((built[0] / "manifest.json").read_text())["functions"][function]["max_bytes"]
    assert (budget > packaging["max_zip_bytes"]) == verifier, "only the token verifier may be larger"
    assert archive.stat().st_size <= budget
    with zipfile.ZipFile(archive) as zipped:
        names = zipped.namelist()
        infos = zipped.infolist()
        assert_built_for_lambda(zipped, "x86_64")
    top_level = {name.split("/", 1)[0] for name in names}
    assert {function, "babelcast", "pydantic", "pydantic_core", "structlog"} <= top_level
    assert not top_level & {"boto3", "botocore", "s3transfer", "tests", "bin"}, "runtime-provided or dev files bundled"
    assert not top_level & {"babelcast_client", "babelcast_devstack", "websockets"}, "client/dev-only packages bundled"
    assert not top_level & {"rsa", "pyasn1"}, "the archived rsa package is no longer used"
    carried = {name for name in JWT_CRYPTO if name in top_level}
    assert carried == (JWT_CRYPTO if verifier else set()), f"JWT crypto in {function}: {sorted(carried)}"
    assert names == sorted(names)
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}


def test_arm64_zips_carry_arm64_wheels(tmp_path: Path) -> None:
    """ARCH=arm64 builds for Graviton: the wheels (cryptography's and pydantic-core's binaries
    included) are aarch64 ones, whatever the build machine."""
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "package_functions.py"),
            "--architecture",
            "arm64",
            "--out",
            str(tmp_path),
            *sorted(TOKEN_VERIFIERS),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    for function in TOKEN_VERIFIERS:
        with zipfile.ZipFile(tmp_path / f"{function}.zip") as zipped:
            assert_built_for_lambda(zipped, "arm64")
            assert "cryptography" in {name.split("/", 1)[0] for name in zipped.namelist()}


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_module_ships_with_its_runtime_bytecode(built: tuple[Path, Path], function: str) -> None:
    """Lambda's code directory is read-only: a module without bytecode is compiled again at every
    cold start. Each .py has the runtime version's .pyc, checked by hash only (no timestamp) and
    naming its source where Lambda unpacks the zip; there is no other bytecode."""
    tag = f"cpython-{LAMBDA_PYTHON.replace('.', '')}"
    with zipfile.ZipFile(built[0] / f"{function}.zip") as zipped:
        names = set(zipped.namelist())
        sources = {n for n in names if n.endswith(".py")}
        expected = {
            f"{n.rsplit('/', 1)[0]}/__pycache__/{n.rsplit('/', 1)[1][:-3]}.{tag}.pyc"
            if "/" in n
            else f"__pycache__/{n[:-3]}.{tag}.pyc"
            for n in sources
        }
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
    verified, check = None, json.loads(sys.argv[4])
    if check is not None:  # a token verifier: exercise cryptography's binary in the target Python (RS256)
        from babelcast.auth import JwksCache, TokenVerifier
        keys = JwksCache("https://issuer.invalid/jwks.json", fetch=lambda url: check["jwks"])
        verified = TokenVerifier(check["issuer"], [check["audience"]], keys).verify(check["token"])["sub"]
    print(json.dumps({{"statusCode": 404, "body": json.dumps({{"code": "ROUTE_NOT_FOUND"}}), "settings": sorted(
        settings.environment_variables()), "verified": verified}}))
"""


def signed_token() -> dict[str, Any]:
    """An RS256 token, the JWKS that verifies it, and its issuer and audience."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    issuer, audience, now = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Zip", "zip-client", int(time.time())
    claims = {"sub": "user-1", "iss": issuer, "aud": audience, "iat": now, "exp": now + 600}
    return {
        "issuer": issuer,
        "audience": audience,
        "token": jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"}),
        "jwks": {"keys": [{**json.loads(RSAAlgorithm.to_jwk(key.public_key())), "kid": "k1", "use": "sig"}]},
    }


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
            json.dumps(signed_token() if function in TOKEN_VERIFIERS else None),
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
    assert response.get("verified") == ("user-1" if function in TOKEN_VERIFIERS else None)


def _package_into(out: Path) -> str:
    command = [sys.executable, str(ROOT / "scripts" / "package_functions.py"), "--out", str(out)]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def test_nothing_is_rebuilt_when_no_source_changed(built: tuple[Path, Path]) -> None:
    """`make dev` and `make package` keep a zip whose inputs (its sources, the shared package,
    uv.lock, the build options) are those recorded in the manifest; a missing zip is rebuilt."""
    out = built[1]
    zips = {name: (out / f"{name}.zip").stat().st_mtime_ns for name in FUNCTIONS}
    started = time.perf_counter()
    output = _package_into(out)
    elapsed = time.perf_counter() - started
    assert f"unchanged, not rebuilt: {len(FUNCTIONS)} of {len(FUNCTIONS)} zips" in output
    assert {name: (out / f"{name}.zip").stat().st_mtime_ns for name in FUNCTIONS} == zips
    record("Lambda zips", "repackaging with no change (s)", round(elapsed, 2))
    (out / f"{FUNCTIONS[0]}.zip").unlink()
    output = _package_into(out)
    assert f"{FUNCTIONS[0]}.zip" in output and f"not rebuilt: {len(FUNCTIONS) - 1} of" in output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest == json.loads((built[0] / "manifest.json").read_text()), "the same zips, the same record"


def test_a_changed_source_changes_the_inputs_hash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = importlib.util.spec_from_file_location("package_functions", ROOT / "scripts" / "package_functions.py")
    assert spec and spec.loader
    packaging = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(packaging)
    function = FUNCTIONS[0]
    shutil.copytree(ROOT / "functions" / function, tmp_path / function, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(packaging, "FUNCTIONS_DIR", tmp_path)

    def digest() -> str:
        return str(packaging.source_digests([function], "x86_64", LAMBDA_PYTHON, True)[function])

    before = digest()
    (tmp_path / function / function / "__pycache__").mkdir(exist_ok=True)
    (tmp_path / function / function / "__pycache__" / "handler.cpython-312.pyc").write_bytes(b"cache")
    assert digest() == before, "caches are not sources"
    handler = tmp_path / function / function / "handler.py"
    handler.write_text(handler.read_text() + "\n# edited\n")
    assert digest() != before
    assert packaging.source_digests([function], "arm64", LAMBDA_PYTHON, True)[function] != digest()
