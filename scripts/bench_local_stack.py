#!/usr/bin/env python3
"""Measure the local stack: time to ready, the gateway's added latency, and memory.

Starts `babelcast-dev up` on free ports (or uses the running `make dev` stack with --running),
then in the same run:
  * p50/p95 of GET /health through the local gateway (HTTP + worker process + DynamoDB call);
  * p50/p95 of the same handler called directly in this process (same emulator, same event
    shape) — the difference is what the gateway adds;
  * resident memory of the stack: its process and every child (emulator, function workers).
Prints a table and writes .local/reports/local-stack.json.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import requests
from babelcast_devstack.background import stack_for_benchmark
from babelcast_devstack.bench_report import percentile, print_figures, write_report

ROOT = Path(__file__).resolve().parent.parent


def rss_of_tree(pid: int) -> int:
    """Resident set size in bytes of ``pid`` and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            for line in (Path("/proc") / str(current) / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
        stack.extend(children.get(current, []))
    return total


def through_gateway(url: str, count: int) -> list[float]:
    session = requests.Session()
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        response = session.get(f"{url}/health", timeout=30)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text
    return timings


def direct(document: dict[str, Any], count: int) -> list[float]:
    """The same handler, in this process, against the same emulator."""
    environment = document["outputs"]["functions"]["http_api"]["environment"]
    os.environ.update(environment)
    # the deployed cursor keys stay out of the outputs: this in-process copy signs with its own
    os.environ.setdefault("CURSOR_SIGNING_KEYS", "in-process-benchmark-cursor-key-0123456789")
    os.environ.update({"AWS_ENDPOINT_URL": document["awsEndpointUrl"], "AWS_ACCESS_KEY_ID": "testing",
                       "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": document["region"],
                       "LOG_LEVEL": "ERROR"})  # fmt: skip
    sys.path.insert(0, str(ROOT))
    from http_api import handler  # imported after the environment is set, as Lambda would

    from tests.support.http_events import http_event  # the recorded event shape the unit tests use

    event = http_event("GET /health", "/health", sub=None)
    timings = []
    devnull = Path(os.devnull).open("w")  # noqa: SIM115 - swallows the metrics line each call prints
    stdout = sys.stdout
    for _ in range(count):
        sys.stdout = devnull
        started = time.perf_counter()
        result = handler.lambda_handler(event, None)
        timings.append((time.perf_counter() - started) * 1000)
        sys.stdout = stdout
        assert result["statusCode"] == 200
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--running", action="store_true", help="measure the running `make dev` stack")
    args = parser.parse_args()
    with stack_for_benchmark(args.running) as (document, ready, pid):
        through_gateway(document["httpApiUrl"], 20)  # warm the worker
        gateway_ms = through_gateway(document["httpApiUrl"], args.requests)
        direct(document, 20)
        direct_ms = direct(document, args.requests)
        rss = rss_of_tree(pid)
    figures = {
        "ready_seconds": round(ready, 1),
        "health_through_gateway_p50_ms": round(statistics.median(gateway_ms), 2),
        "health_through_gateway_p95_ms": round(percentile(gateway_ms, 0.95), 2),
        "health_handler_direct_p50_ms": round(statistics.median(direct_ms), 2),
        "health_handler_direct_p95_ms": round(percentile(direct_ms, 0.95), 2),
        "gateway_added_p50_ms": round(statistics.median(gateway_ms) - statistics.median(direct_ms), 2),
        "stack_rss_mib": round(rss / 1024 / 1024, 1),
        "requests": args.requests,
    }
    print_figures(figures)
    write_report(ROOT, "local-stack", figures)


if __name__ == "__main__":
    main()
