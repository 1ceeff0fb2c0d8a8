"""Zip sizes and cold starts of built Lambda zips, without a stack: several dist folders (e.g. a build
of the main branch and of a change) measured in the same run, interleaved, so they share the load.

  * size of each zip;
  * each handler's import in a fresh Lambda-like Python 3.12 interpreter (the zip alone on its path),
    wall-clock and CPU time (the CPU time moves less with other load on the machine);
  * ws_authorizer's import + first invocation with a speaker's RS256 token: settings, the JWKS fetched
    from a loopback server, the signature verified (what a speaker's first connection costs).

The first invocations of the other functions need AWS: `make bench` measures those against a stack.
Prints a table and writes .local/reports/zips.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
from babelcast_devstack.bench_report import write_report
from babelcast_devstack.runtime_python import runtime_environment
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from .common import ROOT

ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_bench"
AUDIENCE = "bench-client"
FIRST_INVOCATION = "import + first invocation (token verified)"
LABELS = (
    ("import_ms_median", "import"),
    ("import_cpu_ms_median", "import, CPU time"),
    ("first_invocation_ms_median", FIRST_INVOCATION),
    ("first_invocation_cpu_ms_median", f"{FIRST_INVOCATION}, CPU time"),
)
COLD_START = """
import importlib, json, sys, time
code_dir, module, out, event = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
sys.path.insert(0, code_dir)
started, cpu = time.perf_counter(), time.process_time()
handler = importlib.import_module(module)
figures = {"import_ms": (time.perf_counter() - started) * 1000, "import_cpu_ms": (time.process_time() - cpu) * 1000}
if event is not None:
    figures["principal"] = handler.lambda_handler(event, None)["principalId"]
    figures["first_invocation_ms"] = (time.perf_counter() - started) * 1000
    figures["first_invocation_cpu_ms"] = (time.process_time() - cpu) * 1000
open(out, "w").write(json.dumps(figures))
"""


@contextmanager
def jwks_server(key: rsa.RSAPrivateKey) -> Iterator[str]:
    """The issuer's JWKS on loopback; yields its URL."""
    document = json.dumps(
        {"keys": [{**json.loads(RSAAlgorithm.to_jwk(key.public_key())), "kid": "bench", "alg": "RS256", "use": "sig"}]}
    ).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    finally:
        server.shutdown()
        thread.join()


def speaker_event(key: rsa.RSAPrivateKey) -> dict[str, Any]:
    from tests.support.ws_events import authorizer_event

    now = int(time.time())
    claims = {"sub": "bench-speaker", "iss": ISSUER, "aud": AUDIENCE, "token_use": "id", "iat": now, "exp": now + 3600}
    token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "bench"})
    return authorizer_event({"sessionId": "bench-session-1", "token": token})


def measure(dists: list[Path], repetitions: int) -> dict[str, Any]:
    python = str(runtime_environment(ROOT))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    functions = sorted(json.loads((dists[0] / "manifest.json").read_text())["functions"])
    samples: dict[str, dict[str, dict[str, list[float]]]] = {str(d): {f: {} for f in functions} for d in dists}
    with tempfile.TemporaryDirectory(prefix="bench-zips-") as tmp, jwks_server(key) as jwks_url:
        environment = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "ENVIRONMENT": "bench",
            "SERVICE_VERSION": "1",
            "LOG_LEVEL": "ERROR",
            "JWT_ISSUER": ISSUER,
            "JWT_AUDIENCE": AUDIENCE,
            "JWKS_URL": jwks_url,
        }
        for index, dist in enumerate(dists):
            for function in functions:
                with zipfile.ZipFile(dist / f"{function}.zip") as archive:
                    archive.extractall(Path(tmp) / str(index) / function)
        out = Path(tmp) / "out.json"
        for _ in range(repetitions):
            for index, dist in enumerate(dists):
                for function in functions:
                    event = speaker_event(key) if function == "ws_authorizer" else None
                    code_dir = Path(tmp) / str(index) / function
                    subprocess.run(
                        [
                            python,
                            "-I",
                            "-c",
                            COLD_START,
                            str(code_dir),
                            f"{function}.handler",
                            str(out),
                            json.dumps(event),
                        ],
                        env=environment,
                        cwd=code_dir,
                        check=True,
                        stdout=subprocess.DEVNULL,
                    )
                    figures = json.loads(out.read_text())
                    if event is not None and figures.pop("principal") != "bench-speaker":
                        raise RuntimeError(f"{dist}: the authorizer refused the bench's token")
                    for name, value in figures.items():
                        samples[str(dist)][function].setdefault(name, []).append(value)
    return {
        "repetitions": repetitions,
        "dists": {
            str(dist): {
                function: {
                    "bytes": (dist / f"{function}.zip").stat().st_size,
                    **{f"{name}_median": round(statistics.median(v), 1) for name, v in figures.items()},
                }
                for function, figures in samples[str(dist)].items()
            }
            for dist in dists
        },
    }


def render(figures: dict[str, Any]) -> str:
    dists = list(figures["dists"])
    columns = " | ".join(f"{d[-28:]:>28}" for d in dists)
    lines = [f"{'zip size (MB = 10^6 bytes)':<72} | {columns}"]
    first = figures["dists"][dists[0]]
    for function in first:
        cells = " | ".join(f"{figures['dists'][d][function]['bytes'] / 1e6:>25.2f} MB" for d in dists)
        lines.append(f"  {function:<70} | {cells}")
    lines.append(f"cold start, median of {figures['repetitions']} (fresh Lambda-like interpreter)")
    for function in first:
        for name, label in LABELS:
            if name in first[function]:
                cells = " | ".join(f"{figures['dists'][d][function][name]:>25.1f} ms" for d in dists)
                lines.append(f"  {function + ': ' + label:<70} | {cells}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.zips", description=__doc__.splitlines()[0])
    parser.add_argument("dists", nargs="*", type=Path, default=[ROOT / "dist"], help="folders of built zips")
    parser.add_argument("--repetitions", type=int, default=15)
    args = parser.parse_args()
    figures = measure([d.resolve() for d in args.dists], args.repetitions)
    print(render(figures))
    print(f"figures: {write_report(ROOT, 'zips', figures).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
