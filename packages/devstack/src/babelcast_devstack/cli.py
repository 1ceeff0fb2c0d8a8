"""`babelcast-dev up` (make dev), `babelcast-dev user` (make dev-user) and `babelcast-dev fault`
(stall, slow down or fail an AWS service of the running stack for a while: docs/testing-faults.md)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from babelcast_devstack import faults, pipeline_standin
from babelcast_devstack.accounts import create_speaker
from babelcast_devstack.bench_mode import (
    DEFAULT_POST_BURST,
    DEFAULT_POSTS_PER_SECOND,
    DEFAULT_ROUND_TRIP_MS,
    PostModel,
)
from babelcast_devstack.cors_origins import origins_from_environment
from babelcast_devstack.dev_logs import function_logs_shown
from babelcast_devstack.emulator import EXTERNAL_ENDPOINT_VARIABLE
from babelcast_devstack.stack import StackOptions, run, schedule_interval_from_environment
from babelcast_devstack.terraform import repository_root
from babelcast_devstack.web_apps import (
    DEFAULT_WEB_PORT,
    PIPELINE_VARIABLE,
    WEB_PORT_VARIABLE,
    pipeline_from_environment,
)
from babelcast_devstack.websocket_api import IDLE_TIMEOUT_SECONDS, MAX_CONNECTION_SECONDS, Limits


def _port(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _local_dir() -> Path | None:
    value = os.environ.get("BABELCAST_LOCAL_DIR")
    return Path(value) if value else None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="babelcast-dev", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="run the whole stack locally until Ctrl-C")
    where = "where state and endpoints.json go (env BABELCAST_LOCAL_DIR; default .local)"
    up.add_argument("--local-dir", type=Path, default=_local_dir(), help=where)
    up.add_argument("--http-port", type=int, default=_port("BABELCAST_HTTP_PORT", 8000))
    up.add_argument("--ws-port", type=int, default=_port("BABELCAST_WS_PORT", 8001))
    up.add_argument("--emulator-port", type=int, default=_port("BABELCAST_EMULATOR_PORT", 4566))
    up.add_argument("--docs-port", type=int, default=_port("BABELCAST_DOCS_PORT", 8002), help="API docs viewer")
    up.add_argument("--no-package", action="store_true", help="use the zips already in dist/")
    up.add_argument(
        "--idle-timeout", type=float, default=float(os.environ.get("BABELCAST_WS_IDLE_TIMEOUT", IDLE_TIMEOUT_SECONDS))
    )
    up.add_argument(
        "--max-connection",
        type=float,
        default=float(os.environ.get("BABELCAST_WS_MAX_CONNECTION", MAX_CONNECTION_SECONDS)),
    )
    up.add_argument(
        "--schedule-interval",
        type=float,
        default=schedule_interval_from_environment(),
        metavar="SECONDS",
        help="fire every schedule this often (env BABELCAST_SCHEDULE_INTERVAL_SECONDS)",
    )
    _add_bench_arguments(up)
    up.add_argument("--web-port", type=int, default=_port(WEB_PORT_VARIABLE, DEFAULT_WEB_PORT), help="web apps")
    up.add_argument(
        "--no-pipeline",
        dest="pipeline",
        action="store_false",
        default=pipeline_from_environment(),
        help=f"no local translation-pipeline stand-in (env {PIPELINE_VARIABLE}=0)",
    )
    pipeline_standin.add_segment_command(commands)
    user = commands.add_parser("user", help="create another speaker account on the running stack")
    user.add_argument("--username", default=None)
    user.add_argument("--local-dir", type=Path, default=_local_dir())
    fault = commands.add_parser("fault", help="stall, slow down or fail an AWS service of the running stack")
    fault.add_argument("action", choices=[*faults.ACTIONS, "list", "clear"])
    fault.add_argument("service", nargs="?", help="dynamodb, kinesis, cognito-idp, ...")
    fault.add_argument("--operation", help="only this operation (X-Amz-Target), e.g. UpdateItem")
    fault.add_argument("--seconds", type=float, help="how long the fault lasts (a stall needs it)")
    fault.add_argument("--count", type=int, help="at most this many requests")
    fault.add_argument("--delay", type=float, help="slow: seconds each answer is late (3)")
    fault.add_argument("--not-applied", action="store_true", help="slow: apply after the delay, not before")
    fault.add_argument("--status", type=int, help="fail: HTTP status (500)")
    fault.add_argument("--code", help="fail: AWS error code (InternalServerError)")
    fault.add_argument("--local-dir", type=Path, default=_local_dir())
    args = parser.parse_args(argv)

    if args.command == "up":
        try:  # before anything starts: a clear error, not a Terraform one later
            cors_origins, function_logs = origins_from_environment(), function_logs_shown()
            bench_model = _bench_model(args)
        except ValueError as bad:  # OriginError included
            sys.exit(f"error: {bad}")
        options = StackOptions(
            local_dir=args.local_dir,
            http_port=args.http_port,
            websocket_port=args.ws_port,
            emulator_port=args.emulator_port,
            docs_port=args.docs_port,
            web_port=args.web_port,
            pipeline=args.pipeline,
            external_endpoint=os.environ.get(EXTERNAL_ENDPOINT_VARIABLE) or None,
            package=not args.no_package,
            schedule_interval=args.schedule_interval,
            cors_origins=cors_origins,
            function_logs=function_logs,
            max_listeners=args.max_listeners_per_session,
            limits=Limits(
                idle_timeout_seconds=args.idle_timeout,
                max_connection_seconds=args.max_connection,
                bench=bench_model,
            ),
        )
        run(options, out=lambda line: print(line, flush=True))
        return
    endpoints_file = (args.local_dir or repository_root() / ".local") / "endpoints.json"
    if not endpoints_file.exists():
        sys.exit("the local stack is not running: start it with `make dev`")
    document = json.loads(endpoints_file.read_text())
    if args.command == "segment":
        print(json.dumps(pipeline_standin.inject(document, args), ensure_ascii=False))
        return
    if args.command == "fault":
        print(json.dumps(_fault(document["awsEndpointUrl"], args), indent=2))
        return
    account = create_speaker(document["awsEndpointUrl"], document["region"], document["userPoolId"], args.username)
    print(json.dumps({"username": account.username, "password": account.password}))


def _add_bench_arguments(up: argparse.ArgumentParser) -> None:
    bench = up.add_argument_group("benchmark mode (off by default; docs/PERFORMANCE.md)")
    bench.add_argument(
        "--bench-mode",
        action="store_true",
        help="every @connections call pays a modelled round trip and account throttle; /_bench/* routes",
    )
    bench.add_argument("--bench-round-trip-ms", type=float, default=DEFAULT_ROUND_TRIP_MS, metavar="MS")
    bench.add_argument(
        "--bench-posts-per-second", type=float, default=DEFAULT_POSTS_PER_SECOND, metavar="N", help="0: no throttle"
    )
    bench.add_argument("--bench-post-burst", type=int, default=DEFAULT_POST_BURST, metavar="N")
    bench.add_argument(
        "--max-listeners-per-session", type=int, default=None, metavar="N", help="override the module's variable"
    )


def _bench_model(args: argparse.Namespace) -> PostModel | None:
    if not args.bench_mode:
        return None
    rate = args.bench_posts_per_second or None
    return PostModel(round_trip_ms=args.bench_round_trip_ms, posts_per_second=rate, burst=args.bench_post_burst)


def _fault(endpoint: str, args: argparse.Namespace) -> object:
    if args.action == "list":
        return faults.faults(endpoint)
    if args.action == "clear":
        faults.clear(endpoint)
        return faults.faults(endpoint)
    if not args.service:
        sys.exit("name the service to fault, e.g. `babelcast-dev fault stall dynamodb --seconds 5`")
    options = {name: getattr(args, name) for name in ("operation", "seconds", "count", "delay", "status", "code")}
    spec = {"action": args.action, "service": args.service, **{k: v for k, v in options.items() if v is not None}}
    if args.not_applied:
        spec["applied"] = False
    try:
        return faults.inject(endpoint, **spec)
    except ValueError as refused:
        sys.exit(str(refused))


if __name__ == "__main__":
    main()
