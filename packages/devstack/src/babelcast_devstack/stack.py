"""`make dev`: the whole system on one machine from the real Terraform, with no Docker.

Steps: package the functions, start the embedded AWS emulator (unless AWS_ENDPOINT_URL names an
external one), apply the root module in the `local` workspace onto it, start the local gateway
from the applied state, create a speaker account, write .local/endpoints.json, and serve until
Ctrl-C or SIGTERM, then stop everything that was started.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babelcast_devstack.accounts import Account, create_speaker
from babelcast_devstack.config import GatewayConfig, from_terraform_state
from babelcast_devstack.cors_origins import (
    CORS_ORIGINS_VARIABLE,
    HOW_TO_ALLOW,
    cors_origins_with,
    origins_from_environment,
)
from babelcast_devstack.dev_logs import FunctionLogs, function_logs_shown
from babelcast_devstack.docs_server import CONFIG_PATH, DocsServer
from babelcast_devstack.emulator import emulator_environment, free_port, moto_server, port_is_free
from babelcast_devstack.gateway import Endpoints, LocalGateway
from babelcast_devstack.identity import local_identity
from babelcast_devstack.lambda_runtime import LambdaRuntime
from babelcast_devstack.runtime_python import runtime_environment
from babelcast_devstack.terraform import Terraform, repository_root
from babelcast_devstack.triggers import Triggers, triggers_from_terraform_state
from babelcast_devstack.web_apps import (
    DEFAULT_WEB_PORT,
    LocalApps,
    browser_config,
    pipeline_from_environment,
    web_origins,
)
from babelcast_devstack.websocket_api import Limits

WORKSPACE = "local"  # the environment root applied: terraform/environments/local
SCHEDULE_INTERVAL_VARIABLE = "BABELCAST_SCHEDULE_INTERVAL_SECONDS"


def schedule_interval_from_environment() -> float | None:
    """Seconds that replace every EventBridge schedule's interval locally (unset: as declared)."""
    value = os.environ.get(SCHEDULE_INTERVAL_VARIABLE, "").strip()
    return float(value) if value else None


@dataclass
class StackOptions:
    root: Path = field(default_factory=repository_root)
    local_dir: Path | None = None
    http_port: int = 8000
    websocket_port: int = 8001
    emulator_port: int = 4566
    docs_port: int = 8002
    web_port: int = DEFAULT_WEB_PORT  # the speaker and listener apps (web/)
    pipeline: bool = field(default_factory=pipeline_from_environment)  # the local pipeline stand-in
    external_endpoint: str | None = None
    package: bool = True
    region: str = "us-east-1"
    limits: Limits = field(default_factory=Limits)
    schedule_interval: float | None = field(default_factory=schedule_interval_from_environment)
    # BABELCAST_CORS_ORIGINS: browser origins admitted on top of the environment root's
    cors_origins: tuple[str, ...] = field(default_factory=origins_from_environment)
    # BABELCAST_DEV_LOGS=functions: the functions' logs in the terminal too (always in functions.log)
    function_logs: bool = field(default_factory=function_logs_shown)
    # benchmarks: the module's max_listeners_per_session for this stack (None: as the root sets it)
    max_listeners: int | None = None

    @property
    def state_dir(self) -> Path:
        return self.local_dir or self.root / ".local"


class Progress:
    def __init__(self, total: int, out: Callable[[str], None]) -> None:
        self.total, self.step, self.out = total, 0, out

    @contextlib.contextmanager
    def __call__(self, label: str) -> Iterator[None]:
        self.step += 1
        started = time.perf_counter()
        self.out(f"[{self.step}/{self.total}] {label} ...")
        yield
        self.out(f"[{self.step}/{self.total}] {label}: done in {time.perf_counter() - started:.1f} s")


def _package(root: Path) -> None:
    subprocess.run([sys.executable, str(root / "scripts" / "package_functions.py")], check=True)


def _apply(
    options: StackOptions, endpoint: str, external: bool, *extra_origins: str
) -> tuple[list[str], dict[str, Any], GatewayConfig, Triggers]:
    terraform = Terraform.scratch_copy(
        options.root,
        options.state_dir / "stack" / "terraform",
        {**emulator_environment(endpoint, options.region), "TF_DATA_DIR": str(options.state_dir / "stack" / "tf-data")},
        keep_state=external,  # a fresh embedded emulator has nothing the old state describes
    )
    origins = cors_origins_with(terraform.workdir, *extra_origins, *options.cors_origins)
    listeners = {"max_listeners_per_session": options.max_listeners} if options.max_listeners else {}
    terraform.override_module(
        "devstack", artifacts_dir=str(options.root / "dist"), cors_allowed_origins=origins, **listeners
    )
    terraform.init_unless_unchanged()
    applied = terraform.run("apply", "-auto-approve", timed="apply")
    (options.state_dir / "terraform-apply.log").write_text(applied.stdout)  # what took how long
    outputs, state = terraform.local_state()  # not `output`/`show -json`: seconds each (provider schemas)
    config = from_terraform_state(state, base_dir=terraform.workdir)
    return origins, outputs, config, triggers_from_terraform_state(state)


def endpoints_document(
    endpoints: Endpoints, emulator: str, outputs: dict[str, Any], speaker: Account, region: str, *, docs_url: str
) -> dict[str, Any]:
    return {
        "ready": True,
        "httpApiUrl": endpoints.http_api_url,
        "docsUrl": docs_url,
        "websocketUrl": endpoints.websocket_url,
        "connectionsUrl": endpoints.connections_url,
        "awsEndpointUrl": emulator,
        "region": region,
        "userPoolId": outputs.get("user_pool_id"),
        "userPoolClientId": outputs.get("user_pool_client_id"),
        "speaker": {"username": speaker.username, "password": speaker.password},
        "pid": os.getpid(),
        "outputs": outputs,
    }


# What a browser app may be told (docs server's /config.json): no password, no secret
def banner(document: dict[str, Any]) -> str:
    http, ws, aws = document["httpApiUrl"], document["websocketUrl"], document["awsEndpointUrl"]
    speaker = document["speaker"]
    login = json.dumps(
        {
            "AuthFlow": "USER_PASSWORD_AUTH",
            "ClientId": document["userPoolClientId"],
            "AuthParameters": {"USERNAME": speaker["username"], "PASSWORD": speaker["password"]},
        }
    )
    lines = [
        "",
        "Babelcast local stack is ready (workspace 'local', from the real Terraform):",
        f"  HTTP API        {http}",
        f"  WebSocket API   {ws or '(none declared in Terraform yet)'}",
        f"  AWS emulator    {aws}   (AWS_ENDPOINT_URL for boto3, the AWS CLI, Terraform)",
        f"  API docs        {document['docsUrl']}   (Swagger UI with Try it out; openapi.yaml, asyncapi.yaml)",
        f"  speaker app     {document.get('webAppUrl')}/speaker/   (listeners: /listen/)",
        f"  pipeline        {document.get('localPipeline')}   (what listeners receive locally: README)",
        f"  region          {document['region']}",
        f"  user pool       {document['userPoolId']}",
        f"  app client      {document['userPoolClientId']}",
        f"  speaker         {speaker['username']} / {speaker['password']}   (the same on every start)",
        "  more speakers   make dev-user",
        f"  browser config  {document['configUrl']}   (JSON for a frontend: URLs, region, pool and client ids)",
        *textwrap.wrap(
            ", ".join(document["corsOrigins"]), 100, initial_indent="  CORS origins    ", subsequent_indent=" " * 18
        ),
        f"                  (another origin: {CORS_ORIGINS_VARIABLE}=http://localhost:9000 make dev)",
        f"  function logs   {document['functionLogs']}   (in this terminal: make dev VERBOSE=1)",
        "",
        "Log in and get a token (Cognito InitiateAuth, as a frontend does):",
        f"  TOKEN=$(curl -s {aws}/ -H 'Content-Type: application/x-amz-json-1.1' \\",
        "      -H 'X-Amz-Target: AWSCognitoIdentityProviderService.InitiateAuth' \\",
        f"      -d '{login}' \\",
        '      | python3 -c \'import json,sys; print(json.load(sys.stdin)["AuthenticationResult"]["IdToken"])\')',
        "Create a session:",
        f'  curl -s -X POST {http}/sessions -H "Authorization: Bearer $TOKEN" \\',
        '      -H \'Content-Type: application/json\' -d \'{"sourceLanguage":"en","qualityTier":"standard"}\'',
        "Read it (public):",
        f"  curl -s {http}/sessions/<sessionId>",
    ]
    if ws:
        lines += [
            "Connect a WebSocket (speaker; listeners use ?sessionId=<id>&targetLanguage=es):",
            f'  .venv/bin/python -m websockets "{ws}?sessionId=<sessionId>&token=$TOKEN"',
        ]
    lines += ["", f"Endpoints for scripts: {document.get('endpointsFile')}", "Stop with Ctrl-C.", ""]
    return "\n".join(lines)


async def _serve(
    gateway: LocalGateway,
    docs: Callable[[Endpoints], DocsServer],
    ready: Callable[[Endpoints, DocsServer], None],
    apps: LocalApps,
    describe: Callable[[Endpoints, str], dict[str, Any]],
) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    docs_server: DocsServer | None = None
    try:
        endpoints = await gateway.start()
        docs_server = docs(endpoints)
        await docs_server.start()
        await apps.start(describe(endpoints, docs_server.url))
        ready(endpoints, docs_server)
        await stop.wait()
    finally:
        print("\nstopping: web apps, pipeline stand-in, docs server, gateway and function workers ...", flush=True)
        await apps.stop()
        if docs_server is not None:
            await docs_server.stop()
        await gateway.stop()


def _chosen_port(port: int | None, variable: str) -> int:
    chosen = port or free_port()
    if not port_is_free(chosen):
        raise RuntimeError(f"port {chosen} on 127.0.0.1 is in use; choose another with {variable}")
    return chosen


def _local_apps(options: StackOptions, out: Callable[[str], None]) -> LocalApps:
    """The web apps and the pipeline stand-in; their port is chosen before the apply (CORS)."""
    web_port = _chosen_port(options.web_port, "BABELCAST_WEB_PORT")
    external = options.external_endpoint is not None
    return LocalApps(options.root, web_port, pipeline=options.pipeline, external=external, log=out)


def run(options: StackOptions, out: Callable[[str], None] = print) -> None:
    started = time.perf_counter()
    state_dir = options.state_dir
    state_dir.mkdir(parents=True, exist_ok=True)
    endpoints_file = state_dir / "endpoints.json"
    endpoints_file.unlink(missing_ok=True)
    identity = local_identity(state_dir)  # the same ids and password on every start of this checkout
    progress = Progress(5 if options.package else 4, out)
    if options.package:
        with progress("packaging functions (dist/*.zip)"):
            _package(options.root)
    # The docs viewer's port is chosen before the apply: its origin goes into the CORS origins.
    docs_port = _chosen_port(options.docs_port, "BABELCAST_DOCS_PORT")
    apps = _local_apps(options, out)
    with contextlib.ExitStack() as stack:
        external = options.external_endpoint
        with progress(f"starting the AWS emulator{' (external: ' + external + ')' if external else ''}"):
            emulator_log = state_dir / "emulator.log"
            endpoint = external or stack.enter_context(
                moto_server(options.emulator_port or free_port(), log_path=emulator_log, id_seed=identity.seed)
            )
        with progress("terraform apply (workspace local) onto the emulator"):
            origins, outputs, config, triggers = _apply(
                options, endpoint, external is not None, f"http://127.0.0.1:{docs_port}", *web_origins(apps.port)
            )
        with progress("creating a speaker account"):
            speaker = create_speaker(
                endpoint,
                options.region,
                outputs["user_pool_id"],
                "speaker",
                reuse_existing=external is not None,
                password=identity.speaker_password,
            )
        with progress("preparing the Lambda runtime (Python with boto3)"):
            python = runtime_environment()
        function_logs = stack.enter_context(FunctionLogs(state_dir / "functions.log", show=options.function_logs))
        runtime = LambdaRuntime(str(python), log_sink=function_logs)
        gateway = LocalGateway(
            config,
            runtime,
            functions_dir=state_dir / "functions",
            emulator_endpoint=endpoint,
            http_port=options.http_port,
            websocket_port=options.websocket_port,
            limits=options.limits,
            extra_environment=emulator_environment(endpoint, options.region),
            triggers=triggers,
            schedule_interval_override=options.schedule_interval,
            cors_hint=HOW_TO_ALLOW,
        )

        def docs(endpoints: Endpoints) -> DocsServer:
            return DocsServer(
                options.root / "docs",
                http_api_url=endpoints.http_api_url,
                websocket_url=endpoints.websocket_url,
                port=docs_port,
            )

        def describe(endpoints: Endpoints, docs_url: str) -> dict[str, Any]:
            return endpoints_document(endpoints, endpoint, outputs, speaker, options.region, docs_url=docs_url)

        def ready(endpoints: Endpoints, docs_server: DocsServer) -> None:
            document = {**describe(endpoints, docs_server.url), **apps.endpoints}
            document["configUrl"] = docs_server.url.rstrip("/") + CONFIG_PATH
            document["corsOrigins"] = origins
            document["functionLogs"] = str(function_logs.path)
            docs_server.browser_config = browser_config(document)
            document["endpointsFile"] = str(endpoints_file)
            document["startupSeconds"] = round(time.perf_counter() - started, 2)
            temporary = endpoints_file.with_suffix(".tmp")
            temporary.write_text(json.dumps(document, indent=2) + "\n")
            temporary.replace(endpoints_file)
            out(banner(document))
            out(f"ready in {document['startupSeconds']} s")

        out("starting the local API Gateway ...")
        try:
            asyncio.run(_serve(gateway, docs, ready, apps, describe))
        finally:
            endpoints_file.unlink(missing_ok=True)
            out("stopping: AWS emulator ...")
    out("stopped.")
