#!/usr/bin/env python3
"""How long `make dev` takes from the command to the stack answering GET /health with 200, on a
first start and on a restart of the same checkout (the issue's budget: <= 45 s on a restart).

First start: the zips are rebuilt (dist/manifest.json removed: nothing is known to be current) and
the stack's directory is new (Terraform installs its provider, a new identity is made). Restart:
`make dev` again with nothing changed, as a developer does after Ctrl-C. Each run uses free ports
and its own directory (BABELCAST_LOCAL_DIR, default .local/measure-dev), so a running `make dev`
is not disturbed; each is stopped with SIGINT to its process group, as Ctrl-C does.

Run: make dev-ready-time   (or: .venv/bin/python scripts/measure_dev_start.py [--restart-only])
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
BUDGET_SECONDS = 45.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def timed_start(local_dir: Path, log_path: Path, timeout: float = 600) -> tuple[float, dict[str, object]]:
    """Seconds from `make dev` to /health answering 200, and the stack's endpoints document."""
    ports = {name: str(free_port()) for name in ("HTTP", "WS", "EMULATOR", "DOCS")}
    environment = os.environ | {f"BABELCAST_{name}_PORT": port for name, port in ports.items()}
    environment |= {"BABELCAST_LOCAL_DIR": str(local_dir)}
    environment.pop("AWS_ENDPOINT_URL", None)
    health = f"http://127.0.0.1:{ports['HTTP']}/health"
    with log_path.open("wb") as log:
        started = time.perf_counter()
        process = subprocess.Popen(
            ["make", "--no-print-directory", "dev"],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            while True:
                if process.poll() is not None:
                    raise SystemExit(f"`make dev` exited early; its log: {log_path}")
                if time.perf_counter() - started > timeout:
                    raise SystemExit(f"`make dev` was not ready within {timeout:.0f} s; its log: {log_path}")
                try:
                    if requests.get(health, timeout=5).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                time.sleep(0.1)
            elapsed = time.perf_counter() - started
            document = json.loads((local_dir / "endpoints.json").read_text())
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGINT)  # what the terminal does on Ctrl-C
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
    return elapsed, document


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--restart-only", action="store_true", help="skip the first start (keeps dist/ as is)")
    parser.add_argument("--local-dir", type=Path, default=ROOT / ".local" / "measure-dev")
    args = parser.parse_args()
    local_dir: Path = args.local_dir
    results: list[tuple[str, float, dict[str, object]]] = []
    if not args.restart_only:
        shutil.rmtree(local_dir, ignore_errors=True)
        (ROOT / "dist" / "manifest.json").unlink(missing_ok=True)  # every zip is rebuilt
    local_dir.mkdir(parents=True, exist_ok=True)
    runs = ["restart"] if args.restart_only else ["first start", "restart"]
    for label in runs:
        seconds, document = timed_start(local_dir, local_dir.parent / f"measure-dev-{label.replace(' ', '-')}.log")
        print(f"{label:<12} make dev -> GET /health 200 in {seconds:5.1f} s", flush=True)
        results.append((label, seconds, document))
    ids = {(str(d["userPoolId"]), str(d["userPoolClientId"])) for _, _, d in results}
    print(f"user pool and app client ids {'the same on every start' if len(ids) == 1 else 'CHANGED'}: {sorted(ids)}")
    restart = results[-1][1]
    verdict = "within" if restart <= BUDGET_SECONDS else "OVER"
    print(f"restart: {restart:.1f} s, {verdict} the {BUDGET_SECONDS:.0f} s budget")


if __name__ == "__main__":
    main()
