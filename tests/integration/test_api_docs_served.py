"""`make dev` serves the API documents: the Swagger UI page, its assets and both documents from
`docsUrl`, pointing at this stack, and the HTTP API lets the viewer's origin call it (Try it out)."""

from __future__ import annotations

import requests
import yaml

from tests.support.api_documents import openapi
from tests.support.stack import Stack


def test_the_viewer_and_documents_are_served_pointing_at_the_stack(stack: Stack) -> None:
    docs = stack.document["docsUrl"]
    page = requests.get(docs, timeout=10)
    assert page.status_code == 200 and "SwaggerUIBundle" in page.text
    assert requests.get(f"{docs}assets/swagger-ui-bundle.js", timeout=10).status_code == 200

    served = yaml.safe_load(requests.get(f"{docs}openapi.yaml", timeout=10).text)
    assert served["servers"][0]["url"] == stack.http
    assert served["paths"] == openapi()["paths"]
    # the stack really is there: the document's first server answers its health route
    assert requests.get(f"{served['servers'][0]['url']}/health", timeout=10).status_code == 200

    asyncapi = yaml.safe_load(requests.get(f"{docs}asyncapi.yaml", timeout=10).text)
    local = asyncapi["servers"]["local"]
    assert f"{local['protocol']}://{local['host']}{local['pathname']}" == stack.websocket


def test_try_it_out_from_the_viewer_origin_passes_cors(stack: Stack) -> None:
    origin = stack.document["docsUrl"].rstrip("/")
    preflight = requests.options(
        f"{stack.http}/sessions",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,x-correlation-id",
        },
        timeout=10,
    )
    assert preflight.headers.get("Access-Control-Allow-Origin") == origin
    assert "POST" in preflight.headers.get("Access-Control-Allow-Methods", "")
    health = requests.get(f"{stack.http}/health", headers={"Origin": origin}, timeout=10)
    assert health.headers.get("Access-Control-Allow-Origin") == origin
    # other origins are still refused
    other = requests.get(f"{stack.http}/health", headers={"Origin": "http://127.0.0.1:1"}, timeout=10)
    assert "Access-Control-Allow-Origin" not in other.headers
