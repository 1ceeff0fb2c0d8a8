"""The reference speaker and listener apps (web/, built by Vite into web/dist/) on their own port,
with /config.json telling them this stack's endpoints, and the pipeline stand-in: what `make dev`
adds so a person in a browser sees and hears the product (docs/frontend.md).

The apps' origin joins the HTTP API's CORS origins when Terraform is applied (stack.py), as a
deployed frontend's would.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from aiohttp import web

from babelcast_devstack.pipeline_standin import PipelineStandIn
from babelcast_devstack.serving import listen

PIPELINE_VARIABLE = "BABELCAST_LOCAL_PIPELINE"  # "0", "false", "off" or "no" turns the stand-in off
WEB_PORT_VARIABLE = "BABELCAST_WEB_PORT"
DEFAULT_WEB_PORT = 8003
PAGES = ("speaker", "listen")


def pipeline_from_environment() -> bool:
    return os.environ.get(PIPELINE_VARIABLE, "1").strip().lower() not in {"0", "false", "off", "no"}


def web_origins(port: int) -> list[str]:
    """The origins a browser reports for the apps (either name of loopback)."""
    return [f"http://127.0.0.1:{port}", f"http://localhost:{port}"]


BROWSER_KEYS = ("httpApiUrl", "websocketUrl", "region", "userPoolId", "userPoolClientId", "docsUrl")


def browser_config(document: Mapping[str, Any]) -> dict[str, Any]:
    """The browser-safe part of the endpoints document (no password, no emulator credentials), plus
    where Cognito answers locally (the emulator: the web client's ``signIn({ endpoint })``)."""
    return {key: document[key] for key in BROWSER_KEYS} | {"cognitoEndpoint": document["awsEndpointUrl"]}


def app_config(document: Mapping[str, Any]) -> dict[str, Any]:
    """What the reference apps read at start-up: no value is baked into the build, so one build
    serves every `make dev`."""
    return browser_config(document) | {
        "useHttpSessionCreation": True,
        "speaker": {"username": document["speaker"]["username"]},  # the local stack's ready account
    }


def web_app(dist: Path, config: Callable[[], dict[str, Any]]) -> web.Application:
    async def config_json(_: web.Request) -> web.Response:
        return web.json_response(config(), headers={"Cache-Control": "no-store"})

    async def page(request: web.Request) -> web.StreamResponse:
        name = request.match_info.get("page", "")
        index = dist / name / "index.html" if name else dist / "index.html"
        if not index.exists():
            return web.Response(status=503, text="The web apps are not built: run `make web` (make dev does).\n")
        return web.FileResponse(index, headers={"Cache-Control": "no-cache"})

    async def redirect(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(
            f"/{request.match_info['page']}/" + (f"?{request.query_string}" if request.query_string else "")
        )

    async def root_file(request: web.Request) -> web.StreamResponse:
        path = dist / request.match_info["file"]
        if not path.is_file():
            raise web.HTTPNotFound()
        return web.FileResponse(path)

    app = web.Application()
    app.router.add_get("/config.json", config_json)
    app.router.add_get("/", page)
    for name in PAGES:
        app.router.add_get(f"/{{page:{name}}}", redirect)
        app.router.add_get(f"/{{page:{name}}}/", page)
    if (dist / "assets").is_dir():
        app.router.add_static("/assets/", dist / "assets")
    app.router.add_get(r"/{file:[\w-]+\.(js|svg|png|ico)}", root_file)  # the worklet, icons
    return app


class LocalApps:
    """Started after the gateway, stopped before it: the apps' server and the pipeline stand-in."""

    def __init__(
        self, root: Path, port: int, *, pipeline: bool, external: bool = False, log: Callable[[str], None] = print
    ) -> None:
        self.dist = root / "web" / "dist"
        self.port = port
        self.pipeline_enabled = pipeline
        self.external = external  # an external emulator keeps earlier runs' audio: the stand-in skips it
        self.log = log
        self.document: dict[str, Any] = {}
        self.endpoints: dict[str, Any] = {}
        self.pipeline: PipelineStandIn | None = None
        self._runner: web.AppRunner | None = None

    async def start(self, document: Mapping[str, Any]) -> None:
        """Serve the apps and start the stand-in; ``endpoints`` is then what joins endpoints.json."""
        self.document = dict(document)
        self._runner, port = await listen(web_app(self.dist, lambda: app_config(self.document)), "127.0.0.1", self.port)
        if self.pipeline_enabled:
            self.pipeline = PipelineStandIn(
                document["awsEndpointUrl"],
                document["region"],
                document["outputs"],
                log=self.log,
                from_start=not self.external,
            )
            self.pipeline.start()
        self.endpoints = {
            "webAppUrl": f"http://127.0.0.1:{port}",
            "localPipeline": "stand-in" if self.pipeline_enabled else "off",
        }

    async def stop(self) -> None:
        if self.pipeline is not None:
            await self.pipeline.stop()
        if self._runner is not None:
            await self._runner.cleanup()
