"""The HTTP API through the local stack with real Cognito tokens (initiate_auth), as a frontend
would call it: the full matrix of the foundation issue, plus the JWT authorizer's 401s."""

from __future__ import annotations

import pytest
import requests

from tests.support.stack import Speaker, Stack

ORIGIN = "http://localhost:5173"


@pytest.fixture(scope="module")
def alice(stack: Stack) -> Speaker:
    return Speaker(stack, "alice")


@pytest.fixture(scope="module")
def bob(stack: Stack) -> Speaker:
    return Speaker(stack, "bob")


def test_create_read_update_end_through_the_gateway(alice: Speaker) -> None:
    response = alice.call(
        "POST",
        "/sessions",
        json={"sourceLanguage": "fr", "qualityTier": "premium"},
        headers={"Origin": ORIGIN, "X-Correlation-Id": "it-create-0001"},
    )
    assert response.status_code == 201
    session = response.json()
    assert response.headers["Location"] == f"/sessions/{session['sessionId']}"
    assert response.headers["X-Correlation-Id"] == "it-create-0001"
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    session_id = session["sessionId"]
    public = alice.call("GET", f"/sessions/{session_id}", token=None)
    assert (public.status_code, public.json()) == (200, session)
    paused = alice.call("PATCH", f"/sessions/{session_id}", json={"status": "paused"})
    assert (paused.status_code, paused.json()["status"]) == (200, "paused")
    assert alice.call("DELETE", f"/sessions/{session_id}").status_code == 204
    assert alice.call("DELETE", f"/sessions/{session_id}").status_code == 204
    assert alice.call("GET", f"/sessions/{session_id}", token=None).json()["status"] == "ended"
    ended = alice.call("PATCH", f"/sessions/{session_id}", json={"status": "active"})
    assert (ended.status_code, ended.json()["code"]) == (409, "INVALID_STATUS_TRANSITION")


def test_a_call_sent_again_with_its_correlation_id_is_applied_once(stack: Stack) -> None:
    """What a client's retry after a lost answer does through the gateway and the real roles."""
    resender = Speaker(stack, "resender")
    create = {"X-Correlation-Id": "it-resend-create-01"}
    first = resender.call("POST", "/sessions", json={"sourceLanguage": "de"}, headers=create)
    again = resender.call("POST", "/sessions", json={"sourceLanguage": "de"}, headers=create)
    assert (first.status_code, again.status_code, again.json()) == (201, 201, first.json())
    session_id = first.json()["sessionId"]
    end = {"X-Correlation-Id": "it-resend-end-0001"}
    for _ in range(2):
        ended = resender.call("PATCH", f"/sessions/{session_id}", json={"status": "ended"}, headers=end)
        assert (ended.status_code, ended.json()["status"], ended.json()["version"]) == (200, "ended", 2)
    assert [s["sessionId"] for s in resender.call("GET", "/sessions").json()["sessions"]] == [session_id]


def test_access_tokens_work_too(alice: Speaker) -> None:
    response = alice.call("POST", "/sessions", token="access", json={"sourceLanguage": "es"})
    assert response.status_code == 201
    assert response.json()["speakerId"] == alice.create()["speakerId"]


def test_only_the_owner_can_change_or_end(alice: Speaker, bob: Speaker) -> None:
    session_id = alice.create()["sessionId"]
    for method, body in (("PATCH", {"status": "paused"}), ("DELETE", None)):
        response = bob.call(method, f"/sessions/{session_id}", json=body)
        assert (response.status_code, response.json()["code"]) == (403, "FORBIDDEN")


def test_errors_through_the_gateway(alice: Speaker) -> None:
    cases = [
        (alice.call("GET", "/sessions/holy-light-999", token=None), 404, "SESSION_NOT_FOUND"),
        (alice.call("GET", "/sessions/NOT_AN_ID", token=None), 400, "INVALID_SESSION_ID"),
        (
            alice.call("POST", "/sessions", data="{oops", headers={"Content-Type": "application/json"}),
            400,
            "MALFORMED_JSON",
        ),
        (alice.call("POST", "/sessions", json={"sourceLanguage": "xx"}), 400, "VALIDATION_ERROR"),
        (alice.call("POST", "/sessions", json={"sourceLanguage": "en", "x": "y" * 20_000}), 413, "PAYLOAD_TOO_LARGE"),
        (alice.call("GET", "/sessions?limit=0"), 400, "VALIDATION_ERROR"),
        (alice.call("GET", "/sessions?nextToken=forged"), 400, "INVALID_NEXT_TOKEN"),
    ]
    for response, status, code in cases:
        assert response.status_code == status, response.text
        body = response.json()
        assert body["code"] == code
        assert body["correlationId"] == response.headers["X-Correlation-Id"]
        assert "babelcast-local" not in response.text and "Traceback" not in response.text


def test_listing_pages_own_sessions_newest_first(stack: Stack) -> None:
    carol = Speaker(stack, "carol")
    created = [carol.create()["sessionId"] for _ in range(5)]
    seen: list[str] = []
    token = None
    while True:
        page = carol.call("GET", "/sessions?limit=2" + (f"&nextToken={token}" if token else "")).json()
        seen += [s["sessionId"] for s in page["sessions"]]
        token = page["nextToken"]
        if not token:
            break
    assert seen == list(reversed(created))
    dave = Speaker(stack, "dave")
    first_page = carol.call("GET", "/sessions?limit=1").json()
    stolen = dave.call("GET", f"/sessions?nextToken={first_page['nextToken']}")
    assert (stolen.status_code, stolen.json()["code"]) == (400, "INVALID_NEXT_TOKEN")
    assert dave.call("GET", "/sessions").json()["sessions"] == []


def test_creation_rate_limit(stack: Stack) -> None:
    """10 per minute per speaker, in fixed one-minute windows: at least 10 creations succeed
    before the first 429 (up to 20 if a window boundary falls inside the burst)."""
    erin = Speaker(stack, "erin")
    statuses: list[int] = []
    limited = None
    for _ in range(21):
        response = erin.call("POST", "/sessions", json={"sourceLanguage": "en"})
        statuses.append(response.status_code)
        if response.status_code == 429:
            limited = response
            break
    assert limited is not None, statuses
    assert set(statuses[:-1]) == {201} and 10 <= len(statuses) - 1 <= 20, statuses
    assert limited.json()["code"] == "RATE_LIMITED"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert Speaker(stack, "erin-neighbour").call("POST", "/sessions", json={"sourceLanguage": "en"}).status_code == 201


def test_health_and_cors_preflight(alice: Speaker, stack: Stack) -> None:
    health = requests.get(f"{stack.http}/health", timeout=30)
    assert health.status_code == 200
    assert health.json()["environment"] == "local"
    preflight = requests.options(
        f"{stack.http}/sessions",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
        timeout=30,
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == ORIGIN
    foreign = requests.options(
        f"{stack.http}/sessions",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        timeout=30,
    )
    assert "Access-Control-Allow-Origin" not in foreign.headers


def test_dev_user_creates_a_speaker_who_can_log_in(stack: Stack) -> None:
    """`make dev-user` against the running stack."""
    import json
    import subprocess
    import sys

    from babelcast_devstack.accounts import Account

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "babelcast_devstack.cli",
            "user",
            "--username",
            stack.name("grace"),
            "--local-dir",
            str(stack.log_path.parent),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    created = json.loads(result.stdout)
    assert created["username"] == stack.name("grace")
    tokens = stack.tokens(Account(created["username"], created["password"]))
    response = requests.get(
        f"{stack.http}/sessions", headers={"Authorization": f"Bearer {tokens['idToken']}"}, timeout=30
    )
    assert response.status_code == 200
