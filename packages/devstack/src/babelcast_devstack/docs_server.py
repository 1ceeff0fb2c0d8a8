"""The API documents of the running local stack: docs/openapi.yaml in Swagger UI (its assets come
from the swagger-ui-py package, no CDN) and docs/asyncapi.yaml, on 127.0.0.1.

It also serves ``/config.json``: the browser-safe configuration of the stack (URLs, region, user
pool and app client ids; never a password), CORS-open, so a frontend can discover it.

The documents are served with their first server pointing at this stack's HTTP and WebSocket
APIs, so the viewer's "Try it out" calls the local API Gateway; the viewer's origin is added to
the HTTP API's CORS origins when Terraform is applied (see stack.py), as a deployed frontend's
would be.
"""

from __future__ import annotations

import html
import importlib.util
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from aiohttp import web

from babelcast_devstack.serving import listen

OPENAPI_FILE, ASYNCAPI_FILE = "openapi.yaml", "asyncapi.yaml"
CONFIG_PATH = "/config.json"
_ASSETS = ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "favicon-32x32.png")


def swagger_ui_assets() -> Path:
    """Swagger UI's dist files as the swagger-ui-py package installs them (found without importing
    the package, whose web-framework glue is not needed)."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("swagger-ui-py is not installed: run `make install`")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{title}</title>
  <link rel="icon" type="image/png" href="assets/favicon-32x32.png">
  <link rel="stylesheet" href="assets/swagger-ui.css">
  <style>
    body {{ margin: 0; font-family: sans-serif; }}
    nav {{ padding: 0.6em 1.2em; background: #1b1b1b; color: #eee; font-size: 14px; }}
    nav a {{ color: #9cf; margin-right: 1.2em; }}
  </style>
</head>
<body>
  <nav>
    <strong>Babelcast local stack</strong> &mdash;
    HTTP API <code>{http}</code> &middot; WebSocket <code>{websocket}</code> &mdash;
    <a href="{openapi}">openapi.yaml</a>
    <a href="{asyncapi}">asyncapi.yaml</a> (WebSocket protocol)
  </nav>
  <div id="swagger-ui"></div>
  <script src="assets/swagger-ui-bundle.js"></script>
  <script src="assets/swagger-ui-standalone-preset.js"></script>
  <script>
    window.ui = SwaggerUIBundle({{
      url: "{openapi}", dom_id: "#swagger-ui", deepLinking: true, persistAuthorization: true,
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: "BaseLayout",
    }});
  </script>
</body>
</html>
"""


def with_local_servers(openapi: dict[str, Any], http_api_url: str | None) -> dict[str, Any]:
    """The OpenAPI document with this stack's HTTP API as its first server."""
    if not http_api_url:
        return openapi
    others = [s for s in openapi.get("servers", []) if s.get("url") != http_api_url]
    return {**openapi, "servers": [{"url": http_api_url, "description": "This local stack (make dev)"}, *others]}


def with_local_websocket(asyncapi: dict[str, Any], websocket_url: str | None) -> dict[str, Any]:
    """The AsyncAPI document with its `local` server pointing at this stack's WebSocket API."""
    if not websocket_url:
        return asyncapi
    parts = urlsplit(websocket_url)
    local = {
        **asyncapi.get("servers", {}).get("local", {}),
        "host": parts.netloc,
        "pathname": parts.path or "/",
        "protocol": parts.scheme,
    }
    return {**asyncapi, "servers": {**asyncapi.get("servers", {}), "local": local}}


class DocsServer:
    def __init__(
        self,
        docs_dir: Path,
        *,
        http_api_url: str | None,
        websocket_url: str | None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.docs_dir = docs_dir
        self.http_api_url = http_api_url
        self.websocket_url = websocket_url
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None
        # set once the stack is ready (until then /config.json answers 503)
        self.browser_config: dict[str, Any] | None = None

    def application(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/", self._page)
        app.router.add_get(f"/{OPENAPI_FILE}", self._openapi)
        app.router.add_get(f"/{ASYNCAPI_FILE}", self._asyncapi)
        app.router.add_get("/assets/{name}", self._asset)
        app.router.add_route("*", CONFIG_PATH, self._config)
        return app

    async def _config(self, request: web.Request) -> web.Response:
        # Any page may read it (it holds nothing secret): the origin a frontend is served from is
        # exactly what it does not know yet. A simple GET needs no preflight; OPTIONS is answered anyway.
        headers = {"Access-Control-Allow-Origin": "*", "Cache-Control": "no-store"}
        if request.method == "OPTIONS":
            headers |= {"Access-Control-Allow-Methods": "GET", "Access-Control-Allow-Headers": "*"}
            return web.Response(status=204, headers=headers)
        if request.method not in ("GET", "HEAD"):
            return web.json_response({"message": "Method Not Allowed"}, status=405, headers=headers)
        if self.browser_config is None:
            return web.json_response({"message": "the stack is not ready yet"}, status=503, headers=headers)
        return web.json_response(self.browser_config, headers=headers)

    def _load(self, name: str) -> dict[str, Any]:
        # read on every request: edits to docs/*.yaml show up on reload, without restarting the stack
        document: dict[str, Any] = yaml.safe_load((self.docs_dir / name).read_text())
        return document

    async def _page(self, request: web.Request) -> web.Response:
        title = str(self._load(OPENAPI_FILE).get("info", {}).get("title", "API"))
        page = _PAGE.format(
            title=html.escape(title),
            http=html.escape(self.http_api_url or "(none)"),
            websocket=html.escape(self.websocket_url or "(none)"),
            openapi=OPENAPI_FILE,
            asyncapi=ASYNCAPI_FILE,
        )
        return web.Response(text=page, content_type="text/html", headers={"Cache-Control": "no-store"})

    async def _openapi(self, request: web.Request) -> web.Response:
        return _yaml(with_local_servers(self._load(OPENAPI_FILE), self.http_api_url))

    async def _asyncapi(self, request: web.Request) -> web.Response:
        return _yaml(with_local_websocket(self._load(ASYNCAPI_FILE), self.websocket_url))

    async def _asset(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in _ASSETS:
            raise web.HTTPNotFound()
        return web.FileResponse(swagger_ui_assets() / name)

    async def start(self) -> str:
        self._runner, self.port = await listen(self.application(), self.host, self.port)
        return self.url

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


def _yaml(document: dict[str, Any]) -> web.Response:
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    return web.Response(text=text, content_type="application/yaml", headers={"Cache-Control": "no-store"})
