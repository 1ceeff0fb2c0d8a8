"""`make bench`: every performance figure of issue 6 from ONE local stack, in ONE table.

  * latency p50/p95/p99 through the local gateway (real Cognito tokens) of create, get, update,
    WebSocket $connect and sendAudio -> Kinesis, next to the seeds' p95 budgets;
  * per operation, its p50 (one at a time) against the p50 of the bare AWS calls it makes, replayed
    with boto3 against the same emulator (the calls captured live from the real handler);
  * AWS calls per operation, counted with a botocore hook around the real handler;
  * cold start per function in a fresh Lambda-like Python 3.12 interpreter vs `import boto3` + a client;
  * zip sizes, and whether a rebuild is byte-identical;
  * one broadcast to N listeners, parallel vs one by one, as measured on loopback and with a
    modelled @connections round trip (the gateway's opt-in bench mode);
  * fan-out at scale (issue 17): one segment from the stream to 1 000 WebSocket and 10 000 modelled
    listeners, the deployed function vs one invocation's fan-out, with the modelled round trip and
    API Gateway's account throttle (bench/fanout.py).

Prints the table, writes .local/reports/bench.json and regenerates the table in docs/PERFORMANCE.md
(which defines each figure). Targets not met print NOT MET; the exit status is 0 either way.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any

from babelcast_devstack.background import stack_for_benchmark
from babelcast_devstack.bench_report import (
    not_met,
    ratio,
    render_markdown,
    render_text,
    replace_between_markers,
    rows,
    write_report,
)

from .aws_calls import BareCalls, InProcess, capture_operations
from .broadcast import broadcast
from .cold_start import cold_starts
from .common import OPERATIONS, ROOT, machine, set_post_model
from .fanout import STACK_ARGUMENTS, add_arguments, fanout
from .latency import http_operations, socket_operations
from .packages import packages


async def through_stack(document: Mapping[str, Any], args: argparse.Namespace, bare: BareCalls) -> dict[str, Any]:
    http = await http_operations(document, args, bare)
    session_id, token = http["session_for_sockets"]
    sockets = await socket_operations(document, session_id, token, args, bare)
    broadcasts = await broadcast(document, http["session_for_broadcast"], args)
    return {
        "latency": {**http["latency"], "connect": sockets["connect"], "audio": sockets["audio"]},
        "sequential_p50": {
            **http["sequential_p50"],
            "connect": sockets["connect_sequential_p50"],
            "audio": sockets["audio_sequential_p50"],
        },
        "broadcast": broadcasts,
    }


def measure(args: argparse.Namespace) -> dict[str, Any]:
    figures: dict[str, Any] = {
        "machine": machine(),
        "settings": {k: v for k, v in vars(args).items() if k not in ("no_doc", "no_rebuild")},
    }
    print("==> packages (sizes, rebuild)", flush=True)
    if not args.no_rebuild:
        figures["packages"] = packages()
    print("==> starting the local stack", flush=True)
    with stack_for_benchmark(False, *STACK_ARGUMENTS) as (document, ready, _):
        figures["stack_ready_seconds"] = round(ready, 1)
        # the sections before the fan-out measure @connections as it is on loopback
        set_post_model(document, round_trip_ms=0, posts_per_second=None)
        # the stack's own processes run as before; this process posts with the emulator's dummy keys
        inproc = InProcess(document)
        print("==> AWS calls per operation (in process)", flush=True)
        captured = capture_operations(inproc)
        figures["aws_calls"] = {
            OPERATIONS[name][0]: dict(Counter(c.operation for c in op.calls)) for name, op in captured.items()
        }
        # Before the load: afterwards the emulator is still busy with the stream backlog the load
        # left, and a first invocation would wait behind it (measuring the emulator, not the code).
        print("==> cold starts", flush=True)
        figures["cold_start"] = cold_starts(inproc, document, args.cold_repetitions)
        print("==> through the local stack, one-at-a-time samples interleaved with the bare calls", flush=True)
        bare = BareCalls.make(document, captured)
        live = asyncio.run(through_stack(document, args, bare))
        figures["latency"] = {OPERATIONS[name][0]: op for name, op in live["latency"].items()}
        figures["overhead"] = {}
        for name, op in captured.items():
            operation, bare_p50 = float(live["sequential_p50"][name]), statistics.median(bare.samples[name])
            figures["overhead"][OPERATIONS[name][0]] = {
                "operation_p50_ms": round(operation, 2),
                "bare_p50_ms": round(bare_p50, 2),
                "bare_calls": [c.operation for c in op.calls],
                "ratio": ratio(operation, bare_p50),
            }
        figures["broadcast"] = live["broadcast"]
        if not args.no_fanout:  # last: its 10 000 connection records would slow every later join
            print("==> fan-out at scale", flush=True)
            figures["fanout"] = asyncio.run(fanout(document, args))
    return figures


def document_section(figures: Mapping[str, Any], table_markdown: str) -> str:
    facts = figures["machine"]
    settings = figures["settings"]
    return (
        f"Measured {facts['date']} on {facts['cores']} cores ({facts['cpu'] or 'unknown CPU'}), "
        f"{facts['platform']}, load average (1 min) {facts.get('load_average_1min_at_start', '?')} at the start; "
        f"bench Python {facts['python']}, functions on Python {facts['lambda_python']} "
        f"(the Lambda-like runtime). Stack ready in {figures.get('stack_ready_seconds', '?')} s; "
        f"the bench took {figures.get('bench_seconds', '?')} s. "
        f"Counts: {settings['creates']} creates, {settings['gets']} gets, {settings['updates']} updates, "
        f"{settings['connects']} connects at once; {settings['sequential']} one-at-a-time samples per operation; "
        f"{settings['chunks']} audio chunks every {settings['chunk_interval_ms']} ms; "
        f"{settings['cold_repetitions']} cold starts per function; broadcast modelled round trip "
        f"{settings['modelled_latency_ms']} ms; fan-out at scale: {settings.get('fanout_segments', '?')} segments "
        f"per population and design.\n\n{table_markdown}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--creates", type=int, default=100)
    parser.add_argument("--gets", type=int, default=1000)
    parser.add_argument("--updates", type=int, default=100)
    parser.add_argument("--connects", type=int, default=100)
    parser.add_argument("--sequential", type=int, default=30, help="one-at-a-time samples per operation")
    parser.add_argument("--chunks", type=int, default=100)
    parser.add_argument("--chunk-interval-ms", type=int, default=50)
    parser.add_argument("--listeners", type=int, default=500)
    parser.add_argument(
        "--modelled-latency-ms",
        type=int,
        default=20,
        help="@connections round trip modelled for the second broadcast run",
    )
    parser.add_argument("--cold-repetitions", type=int, default=5)
    add_arguments(parser)
    parser.add_argument("--no-fanout", action="store_true", help="skip the fan-out at scale")
    parser.add_argument("--no-rebuild", action="store_true", help="skip the package sizes and the rebuild")
    parser.add_argument("--no-doc", action="store_true", help="do not rewrite docs/PERFORMANCE.md")
    parser.add_argument(
        "--render-only", action="store_true", help="measure nothing: render the last .local/reports/bench.json again"
    )
    args = parser.parse_args()
    if args.render_only:
        figures = json.loads((ROOT / ".local" / "reports" / "bench.json").read_text())
    else:
        started = time.perf_counter()
        figures = measure(args)
        figures["bench_seconds"] = round(time.perf_counter() - started, 1)
    table = rows(figures)
    print()
    print(render_text(table))
    missed = not_met(table)
    print(f"{len(missed)} target(s) NOT MET" if missed else "every target met", f"({figures['bench_seconds']} s)")
    print(f"figures: {write_report(ROOT, 'bench', figures).relative_to(ROOT)}")
    if not args.no_doc:
        doc = ROOT / "docs" / "PERFORMANCE.md"
        doc.write_text(replace_between_markers(doc.read_text(), document_section(figures, render_markdown(table))))
        print(f"table: {doc.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
