"""The API docs server of the local stack: the Swagger UI page with its assets from the installed
package (no CDN), and the documents pointing at the running APIs."""

from __future__ import annotations

import asyncio
import json
import re

import aiohttp
import yaml
from babelcast_devstack.docs_server import DocsServer

from tests.support.api_documents import ASYNCAPI_PATH, OPENAPI_PATH

HTTP_API, WEBSOCKET = "http://127.0.0.1:18000", "ws://127.0.0.1:18001/live"


async def _fetch_all(paths: list[str]) -> dict[str, tuple[int, str, bytes]]:
    server = DocsServer(OPENAPI_PATH.parent, http_api_url=HTTP_API, websocket_url=WEBSOCKET, port=0)
    url = await server.start()
    try:
        assert re.fullmatch(r"http://127\.0\.0\.1:[0-9]+/", url) and not url.endswith(":0/")
        results = {}
        async with aiohttp.ClientSession() as client:
            for path in paths:
                async with client.get(url + path) as response:
                    results[path] = (response.status, response.content_type, await response.read())
        return results
    finally:
        await server.stop()


def test_serves_the_viewer_its_assets_and_the_documents_pointing_at_the_stack() -> None:
    results = asyncio.run(
        _fetch_all(
            [
                "",
                "openapi.yaml",
                "asyncapi.yaml",
                "assets/swagger-ui-bundle.js",
                "assets/swagger-ui.css",
                "assets/..%2Fcore.py",
                "assets/nothing.js",
            ]
        )
    )
    status, content_type, page = results[""]
    assert (status, content_type) == (200, "text/html")
    text = page.decode()
    # every script and stylesheet is served by this server: the page works offline
    assert "assets/swagger-ui-bundle.js" in text and 'url: "openapi.yaml"' in text
    assert not re.search(r"""(src|href)=["']https?://""", text)
    assert HTTP_API in text and WEBSOCKET in text

    status, _, bundle = results["assets/swagger-ui-bundle.js"]
    assert status == 200 and b"SwaggerUIBundle" in bundle and len(bundle) > 500_000
    assert results["assets/swagger-ui.css"][0] == 200
    assert results["assets/..%2Fcore.py"][0] == 404
    assert results["assets/nothing.js"][0] == 404

    status, _, body = results["openapi.yaml"]
    openapi = yaml.safe_load(body)
    assert status == 200
    assert openapi["servers"][0]["url"] == HTTP_API
    assert openapi["paths"] == yaml.safe_load(OPENAPI_PATH.read_text())["paths"]

    status, _, body = results["asyncapi.yaml"]
    asyncapi = yaml.safe_load(body)
    assert status == 200
    local = asyncapi["servers"]["local"]
    assert (local["host"], local["pathname"], local["protocol"]) == ("127.0.0.1:18001", "/live", "ws")
    assert asyncapi["operations"] == yaml.safe_load(ASYNCAPI_PATH.read_text())["operations"]


async def _config_answers(config: dict[str, str] | None) -> list[tuple[int, dict[str, str], bytes]]:
    server = DocsServer(OPENAPI_PATH.parent, http_api_url=HTTP_API, websocket_url=WEBSOCKET, port=0)
    url = await server.start() + "config.json"
    server.browser_config = config
    try:
        answers = []
        async with aiohttp.ClientSession() as client:
            for method, headers in [
                ("GET", {"Origin": "http://localhost:4000"}),
                ("OPTIONS", {"Origin": "http://localhost:4000", "Access-Control-Request-Method": "GET"}),
            ]:
                async with client.request(method, url, headers=headers) as response:
                    answers.append((response.status, dict(response.headers), await response.read()))
        return answers
    finally:
        await server.stop()


def test_config_json_is_served_to_any_origin_once_ready() -> None:
    config = {"httpApiUrl": HTTP_API, "websocketUrl": WEBSOCKET, "userPoolId": "us-east-1_AbCdEf123"}
    (status, headers, body), (preflight, preflight_headers, _) = asyncio.run(_config_answers(config))
    assert status == 200 and json.loads(body) == config
    assert headers["Access-Control-Allow-Origin"] == "*" and headers["Cache-Control"] == "no-store"
    assert preflight == 204 and preflight_headers["Access-Control-Allow-Origin"] == "*"
    (status, headers, body), _ = asyncio.run(_config_answers(None))
    assert status == 503 and headers["Access-Control-Allow-Origin"] == "*"
