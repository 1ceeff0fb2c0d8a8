"""Adversarial runs through the whole local stack (issue 10, item 7): a hypothesis state machine
drives the HTTP API as a hostile client would (valid and malformed bodies, JSON nested past the
parser's limit, other users' sessions, changed and foreign cursors) and checks every answer
against a model of what must be true; hypothesis then throws frames at the WebSocket API through
the local gateway (random JSON, random text, deep nesting, wrong types, replayed and reordered
audio sequences) on a speaker's and a listener's socket.

Every answer is a documented status with a stable code and a correlation id, never a 5xx; the
sockets stay open and usable; a chunk's sequence reaches the stream at most once.

Bounded inside `make test` (the same cases every run); `make fuzz` explores new ones, longer
(BABELCAST_FUZZ_STEPS state-machine runs, BABELCAST_FUZZ_FRAMES frames per socket).
"""

from __future__ import annotations

import json
import os
import string
import time
import uuid
from collections import Counter
from typing import Any
from urllib.parse import quote

import pytest
import requests
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from websockets.sync.client import ClientConnection

from tests.support.report import record
from tests.support.stack import AUDIO, Speaker, Stack, audio_records, open_ws, receive
from tests.support.terraform_source import ROOT

EXPLORE = os.environ.get("BABELCAST_FUZZ_EXPLORE") == "1"
set_hypothesis_home_dir(ROOT / ".local" / "hypothesis")  # its caches hold this machine's paths
STATE_MACHINE_RUNS = int(os.environ.get("BABELCAST_FUZZ_STEPS", "6"))
FRAMES = int(os.environ.get("BABELCAST_FUZZ_FRAMES", "120"))
LANGUAGES = ("en", "es", "fr", "de", "ja")
ERROR_FIELDS = {"code", "message", "correlationId", "timestamp"}
# API Gateway answers before any function runs: an unrouted path (e.g. GET /sessions/), a refused token, throttling.
GATEWAY_ANSWERS = {404: "Not Found", 401: "Unauthorized", 429: "Too Many Requests"}
# every code a client may meet without a fault (no INTERNAL_ERROR, no SERVICE_UNAVAILABLE)
WS_CODES = {
    "INVALID_MESSAGE",
    "UNKNOWN_ACTION",
    "VALIDATION_ERROR",
    "INVALID_AUDIO",
    "AUDIO_TOO_LARGE",
    "NOT_SPEAKER",
    "NOT_LISTENER",
    "AUDIO_OUT_OF_ORDER",
    "AUDIO_BUFFER_FULL",
    "SESSION_ENDED",
    "LEGACY_CREATION_DISABLED",
    "NO_SESSION",
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
deeply_nested = st.integers(min_value=900, max_value=6_000).map(lambda depth: "[" * depth + "]" * depth)


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=not EXPLORE,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )


def _check_error(response: requests.Response, tally: Counter[str]) -> None:
    tally[str(response.status_code)] += 1
    assert response.status_code < 500, f"{response.request.method} {response.request.path_url}: {response.text}"
    if response.status_code >= 400 and response.headers.get("Content-Type") == "application/json":
        body = response.json()
        if set(body) == {"message"}:  # the gateway's own answer (docs/local-stack-fidelity.md H1, H8, H12)
            assert GATEWAY_ANSWERS.get(response.status_code) == body["message"], body
            return
        assert set(body) >= ERROR_FIELDS, body
        assert body["correlationId"] == response.headers["X-Correlation-Id"]


# --- the HTTP API, as a state machine ------------------------------------------------------------


class HostileClient(RuleBasedStateMachine):
    """The model: the owner's sessions (status, version, settings) as the API must report them."""

    owner: Speaker
    other: Speaker
    tally: Counter[str]
    sessions = Bundle("sessions")

    def __init__(self) -> None:
        super().__init__()
        self.model: dict[str, dict[str, Any]] = {}

    def _call(self, speaker: Speaker | None, method: str, path: str, **kwargs: Any) -> requests.Response:
        caller = speaker or self.owner
        response = caller.call(method, path, token="id" if speaker is not None or method != "GET" else None, **kwargs)
        _check_error(response, self.tally)
        return response

    @rule(target=sessions, language=st.sampled_from(LANGUAGES), tier=st.sampled_from(["standard", "premium"]))
    def create(self, language: str, tier: str) -> str:
        response = self._call(self.owner, "POST", "/sessions", json={"sourceLanguage": language, "qualityTier": tier})
        if response.status_code == 429:  # 10 a minute: the limit is part of the contract
            assert 1 <= int(response.headers["Retry-After"]) <= 60
            return "not-created-429"
        assert response.status_code == 201, response.text
        session = response.json()
        self.model[session["sessionId"]] = session
        return str(session["sessionId"])

    @rule(body=json_values | deeply_nested | st.text(max_size=40))
    def create_with_a_bad_body(self, body: Any) -> None:
        raw = body if isinstance(body, str) else json.dumps(body)
        response = self._call(
            self.owner, "POST", "/sessions", data=raw.encode(), headers={"Content-Type": "application/json"}
        )
        assert response.status_code in (400, 413, 429), response.text

    @rule(
        session_id=sessions,
        body=st.fixed_dictionaries(
            {},
            optional={
                "status": st.sampled_from(["active", "paused", "ended"]) | json_values,
                "sourceLanguage": st.sampled_from(LANGUAGES) | json_values,
                "qualityTier": st.sampled_from(["standard", "premium"]) | json_values,
            },
        ),
    )
    def patch(self, session_id: str, body: dict[str, Any]) -> None:
        response = self._call(self.owner, "PATCH", f"/sessions/{session_id}", json=body)
        known = self.model.get(session_id)
        if known is None:
            assert response.status_code in (400, 404), response.text
            return
        if response.status_code == 200:
            assert known["status"] != "ended"
            updated = response.json()
            assert updated["version"] == known["version"] + 1, "one PATCH, one change"
            assert {k: updated[k] for k in body} == body
            self.model[session_id] = updated
        else:
            assert response.status_code in (400, 409), response.text
            if response.status_code == 409:
                assert known["status"] == "ended"

    @rule(session_id=sessions)
    def patch_someone_elses(self, session_id: str) -> None:
        response = self._call(self.other, "PATCH", f"/sessions/{session_id}", json={"status": "paused"})
        assert response.status_code == (404 if session_id not in self.model else 403), response.text

    @rule(session_id=sessions)
    def end(self, session_id: str) -> None:
        response = self._call(self.owner, "DELETE", f"/sessions/{session_id}")
        known = self.model.get(session_id)
        if known is None:
            assert response.status_code in (400, 404)
            return
        assert response.status_code == 204
        if known["status"] != "ended":
            self.model[session_id] = {**known, "status": "ended", "version": known["version"] + 1}

    @rule(session_id=sessions | st.text(alphabet=string.printable, max_size=30))
    def read(self, session_id: str) -> None:
        response = self._call(None, "GET", f"/sessions/{quote(session_id, safe='')}")
        known = self.model.get(session_id)
        if known is None:
            assert response.status_code in (400, 404), response.text
            return
        assert response.status_code == 200
        got = response.json()
        assert (got["status"], got["version"]) == (known["status"], known["version"])

    @rule(
        limit=st.integers(min_value=1, max_value=4),
        status=st.sampled_from([None, "active", "ended"]),
        tamper=st.integers(min_value=0, max_value=200),
    )
    def list_every_page(self, limit: int, status: str | None, tamper: int) -> None:
        seen: list[str] = []
        token: str | None = None
        while True:
            params = {
                "limit": str(limit),
                **({"status": status} if status else {}),
                **({"nextToken": token} if token else {}),
            }
            page = self._call(self.owner, "GET", "/sessions", params=params)
            assert page.status_code == 200, page.text
            seen += [s["sessionId"] for s in page.json()["sessions"]]
            token = page.json()["nextToken"]
            if token is None:
                break
            index = tamper % len(token)
            changed = token[:index] + ("A" if token[index] != "A" else "B") + token[index + 1 :]
            for forged, who in ((changed, self.owner), (token, self.other)):
                refused = self._call(who, "GET", "/sessions", params={**params, "nextToken": forged})
                assert (refused.status_code, refused.json()["code"]) == (400, "INVALID_NEXT_TOKEN")
        expected = {i for i, s in self.model.items() if status is None or s["status"] == status}
        assert set(seen) >= expected and len(seen) == len(set(seen)), "every session once"

    @invariant()
    def health_is_up(self) -> None:
        assert requests.get(f"{self.owner.stack.http}/health", timeout=30).status_code == 200


def test_a_hostile_client_finds_only_documented_answers(stack: Stack) -> None:
    started = time.perf_counter()
    HostileClient.owner = Speaker(stack, f"hostile-{uuid.uuid4().hex[:6]}")
    HostileClient.other = Speaker(stack, f"bystander-{uuid.uuid4().hex[:6]}")
    HostileClient.tally = Counter()
    machine_settings = settings(_settings(STATE_MACHINE_RUNS), stateful_step_count=12)
    run_state_machine_as_test(HostileClient, settings=machine_settings)
    calls = sum(HostileClient.tally.values())
    record("adversarial HTTP state machine", "runs x steps", f"{STATE_MACHINE_RUNS} x 12")
    record("adversarial HTTP state machine", "requests", calls)
    record("adversarial HTTP state machine", "responses by status", dict(sorted(HostileClient.tally.items())))
    record("adversarial HTTP state machine", "seconds", round(time.perf_counter() - started, 1))
    assert calls > STATE_MACHINE_RUNS * 6
    assert not any(status.startswith("5") for status in HostileClient.tally)


# --- WebSocket frames through the local gateway --------------------------------------------------


def _audio_frame(sequence: int) -> str:
    return json.dumps({"action": "sendAudio", "audioData": AUDIO, "sequence": sequence})


ACTIONS = [
    "sendAudio",
    "heartbeat",
    "pauseBroadcast",
    "resumeBroadcast",
    "changeLanguage",
    "getSessionStatus",
    "createSession",
]
frames = st.one_of(
    st.integers(min_value=0, max_value=40).map(_audio_frame),  # replayed and reordered audio
    st.builds(
        lambda action, extra: json.dumps({"action": action, **extra}),
        st.sampled_from(ACTIONS),
        st.dictionaries(
            st.sampled_from(["audioData", "sequence", "targetLanguage", "sourceLanguage", "x"]), json_values, max_size=3
        ),
    ),
    json_values.map(json.dumps),
    deeply_nested,
    st.text(max_size=200),
    st.builds(
        lambda n: json.dumps({"action": "sendAudio", "audioData": "A" * n, "sequence": 1}),
        st.integers(min_value=1, max_value=90_000),
    ),
)


def _send(socket: ClientConnection, text: str) -> None:
    """A message over API Gateway's 32 KB frame quota (closed with 1009) goes in fragments, as any client sends it."""
    socket.send(text if len(text) <= 32_000 else [text[i : i + 32_000] for i in range(0, len(text), 32_000)])


def _fuzz_socket(socket: ClientConnection, label: str, tally: Counter[str]) -> int:
    sent = 0

    @_settings(FRAMES)
    @given(frame=frames)
    def one(frame: str) -> None:
        nonlocal sent
        sent += 1
        _send(socket, frame)
        socket.send(json.dumps({"action": "heartbeat"}))
        while True:  # everything the frame caused arrives before the heartbeat's answer
            reply = json.loads(socket.recv(timeout=30))
            if reply.get("type") == "heartbeatAck":
                break
            tally[f"{label} {reply.get('code') or reply.get('type')}"] += 1
            if reply.get("type") == "error":
                assert reply["code"] in WS_CODES, reply
                assert len(json.dumps(reply)) < 2_000

    one()
    return sent


def test_websocket_frames_through_the_gateway_get_stable_answers(stack: Stack) -> None:
    started = time.perf_counter()
    speaker = Speaker(stack, f"frames-{uuid.uuid4().hex[:6]}")
    session_id = speaker.create()["sessionId"]
    tally: Counter[str] = Counter()
    with open_ws(stack, sessionId=session_id, token=speaker.tokens["idToken"]) as socket:
        speaker_frames = _fuzz_socket(socket, "speaker", tally)
        socket.send(json.dumps({"action": "getSessionStatus"}))
        assert receive(socket, "sessionStatus")["sessionId"] == session_id, "still open and usable"
    with open_ws(stack, sessionId=session_id, targetLanguage="es") as listener:
        listener_frames = _fuzz_socket(listener, "listener", tally)
    forwarded = [r["sequence"] for r in audio_records(stack, session_id)]
    record("adversarial WebSocket frames", "frames (speaker, listener)", [speaker_frames, listener_frames])
    record("adversarial WebSocket frames", "replies by code", dict(sorted(tally.items())))
    record("adversarial WebSocket frames", "chunks on the stream (distinct sequences)", len(forwarded))
    record("adversarial WebSocket frames", "seconds", round(time.perf_counter() - started, 1))
    assert len(forwarded) == len(set(forwarded)), "no sequence reached the stream twice"
    assert speaker_frames >= FRAMES and listener_frames >= FRAMES


@pytest.mark.parametrize("depth", [1_000, 5_000, 20_000])
def test_deeply_nested_frames_keep_the_socket(stack: Stack, depth: int) -> None:
    """The issue's WebSocket half of failure 1, through the gateway: an ``error``, socket kept."""
    speaker = Speaker(stack, f"nested-{uuid.uuid4().hex[:6]}")
    with open_ws(stack, sessionId=speaker.create()["sessionId"], token=speaker.tokens["idToken"]) as socket:
        _send(socket, "[" * depth + "]" * depth)
        assert receive(socket, "error")["code"] == "INVALID_MESSAGE"
        socket.send(json.dumps({"action": "heartbeat"}))
        assert receive(socket, "heartbeatAck")
