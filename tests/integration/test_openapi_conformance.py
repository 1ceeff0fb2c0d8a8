"""Live responses of every route, and of the main error statuses, conform to docs/openapi.yaml
(status documented, required headers, body schema with the OpenAPI 3.1 dialect)."""

from __future__ import annotations

import time
from typing import Any

import requests

from tests.support.api_documents import response_problems
from tests.support.report import record
from tests.support.stack import Stack
from tests.support.terraform_source import http_routes

UNKNOWN = "serene-wisdom-999999"


class Caller:
    def __init__(self, stack: Stack, name: str) -> None:
        self.base = stack.http
        self.token = stack.tokens(stack.speaker(name))["idToken"]
        self.seen: list[tuple[str, int, list[str]]] = []

    def __call__(
        self, route_key: str, path: str, *, auth: bool = True, expect: int, **kwargs: Any
    ) -> requests.Response:
        headers = {**kwargs.pop("headers", {}), **({"Authorization": f"Bearer {self.token}"} if auth else {})}
        method = route_key.split(" ", 1)[0]
        response = requests.request(method, f"{self.base}{path}", headers=headers, timeout=30, **kwargs)
        assert response.status_code == expect, f"{route_key} {path}: {response.status_code} {response.text}"
        problems = response_problems(
            route_key, response.status_code, response.headers, response.content, response.headers.get("Content-Type")
        )
        self.seen.append((route_key, response.status_code, problems))
        return response


def test_every_route_and_error_status_conforms_to_the_openapi_document(stack: Stack) -> None:
    alice, bob = Caller(stack, "conformance-alice"), Caller(stack, "conformance-bob")
    create, one, many = "POST /sessions", "/sessions/{sessionId}", "GET /sessions"

    session = alice(create, "/sessions", json={"sourceLanguage": "en"}, expect=201).json()
    path = f"/sessions/{session['sessionId']}"
    alice(create, "/sessions", auth=False, json={"sourceLanguage": "en"}, expect=401)
    alice(create, "/sessions", data=b"{not json", headers={"Content-Type": "application/json"}, expect=400)
    alice(create, "/sessions", json={"sourceLanguage": "xx"}, expect=400)
    alice(create, "/sessions", json={"sourceLanguage": "en", "pad": "x" * 20_000}, expect=413)

    alice(many, "/sessions", expect=200)
    alice(many, "/sessions?limit=1&status=active", expect=200)
    alice(many, "/sessions?limit=0", expect=400)
    alice(many, "/sessions?nextToken=forged", expect=400)
    alice(many, "/sessions", auth=False, expect=401)

    alice(f"GET {one}", path, auth=False, headers={"X-Correlation-Id": "conformance-0001"}, expect=200)
    alice(f"GET {one}", "/sessions/Not_An_Id", auth=False, expect=400)
    alice(f"GET {one}", f"/sessions/{UNKNOWN}", auth=False, expect=404)

    alice(f"PATCH {one}", path, json={"status": "paused"}, expect=200)
    alice(f"PATCH {one}", path, json={}, expect=400)
    alice(f"PATCH {one}", path, auth=False, json={"status": "active"}, expect=401)
    bob(f"PATCH {one}", path, json={"status": "active"}, expect=403)
    alice(f"PATCH {one}", f"/sessions/{UNKNOWN}", json={"status": "active"}, expect=404)

    if f"GET {one}/analytics" in http_routes():  # documented ahead of its deployment (analytics branch)
        alice(f"GET {one}/analytics", f"{path}/analytics", expect=200)
        bob(f"GET {one}/analytics", f"{path}/analytics", expect=403)
        alice(f"GET {one}/analytics", f"/sessions/{UNKNOWN}/analytics", expect=404)

    bob(f"DELETE {one}", path, expect=403)
    alice(f"DELETE {one}", path, auth=False, expect=401)
    alice(f"DELETE {one}", f"/sessions/{UNKNOWN}", expect=404)
    alice(f"DELETE {one}", path, expect=204)
    alice(f"DELETE {one}", path, expect=204)
    alice(f"PATCH {one}", path, json={"status": "active"}, expect=409)

    alice("GET /health", "/health", auth=False, expect=200)

    # the creation rate limit (10 per calendar minute by default): 429 with Retry-After. The 11
    # creations must fall in one window, so a burst that would straddle a minute boundary waits for
    # the next minute first (a busy machine can take seconds per creation).
    carol = Caller(stack, "conformance-carol")
    if time.time() % 60 > 30:
        time.sleep(60 - time.time() % 60 + 0.5)
    statuses = [carol(create, "/sessions", json={"sourceLanguage": "es"}, expect=201).status_code for _ in range(10)]
    limited = carol(create, "/sessions", json={"sourceLanguage": "es"}, expect=429)
    assert int(limited.headers["Retry-After"]) >= 1 and statuses == [201] * 10

    seen = alice.seen + bob.seen + carol.seen
    covered = {route for route, _, _ in seen}
    assert covered == set(http_routes())
    record("openapi conformance (live)", "responses validated", len(seen))
    record("openapi conformance (live)", "route/status pairs", len({(r, s) for r, s, _ in seen}))
    assert [(route, status, problems) for route, status, problems in seen if problems] == []
