"""Session analytics and the end-to-end correlation id through the local stack: real sockets, real
Cognito tokens, the real change stream and the functions' own log lines."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

from tests.support.stack import AUDIO, Speaker, Stack, open_ws, receive, wait_for_sequences

AUDIO_BYTES = 3200  # AUDIO: 0.1 s of 16 kHz 16-bit mono PCM


@pytest.fixture
def speaker(stack: Stack) -> Speaker:
    return Speaker(stack, f"analytics-{uuid.uuid4().hex[:8]}")


def function_log(stack: Stack, function_key: str) -> list[dict[str, Any]]:
    """The JSON lines a function printed (the local stack prefixes each with [<function name>])."""
    suffix = function_key.replace("_", "-") + "] "
    lines = []
    for line in stack.log_path.read_text(errors="replace").splitlines():
        prefix, found, rest = line.partition("] ")
        if found and (prefix + "] ").endswith(suffix) and rest.startswith("{") and '"_aws"' not in rest:
            try:
                lines.append(json.loads(rest))
            except ValueError:
                continue
    return lines


def wait_for(check: Any, timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.2)


def analytics_when(speaker: Speaker, path: str, **expected: Any) -> dict[str, Any]:
    """The analytics once they show ``expected`` (the change stream is asynchronous), else the last."""
    last: dict[str, Any] = {}

    def check() -> bool:
        nonlocal last
        response = speaker.call("GET", path)
        assert response.status_code == 200, response.text
        last = response.json()
        return all(last[key] == value for key, value in expected.items())

    wait_for(check)
    return last


def test_analytics_of_a_session_with_two_listeners_and_audio(stack: Stack, speaker: Speaker) -> None:
    session_id = speaker.create("de")["sessionId"]
    path = f"/sessions/{session_id}/analytics"
    with (
        open_ws(stack, sessionId=session_id, token=speaker.tokens["idToken"]) as socket,
        open_ws(stack, sessionId=session_id, targetLanguage="es") as first,
        open_ws(stack, sessionId=session_id, targetLanguage="fr") as second,
    ):
        for sequence in range(1, 6):
            socket.send(json.dumps({"action": "sendAudio", "audioData": AUDIO, "sequence": sequence}))
        wait_for_sequences(stack, session_id, [1, 2, 3, 4, 5])
        time.sleep(0.5)  # the listeners listen a little
        first.close()
        # the stream consumer keeps the peak; the $disconnect adds the first listener's time
        live = analytics_when(speaker, path, currentListeners=1, peakListeners=2)
        assert (live["currentListeners"], live["peakListeners"]) == (1, 2)
        assert live["listenerMinutes"] > 0
        assert live["audioBytes"] == 5 * AUDIO_BYTES and live["audioSeconds"] == 0.5
        assert live["status"] == "active" and live["endedAt"] is None and live["durationSeconds"] > 0
        assert speaker.call("DELETE", f"/sessions/{session_id}").status_code == 204
        assert receive(second, "sessionEnded")["sessionId"] == session_id
    ended = analytics_when(speaker, path, status="ended", currentListeners=0)
    assert ended["status"] == "ended" and ended["currentListeners"] == 0 and ended["endedAt"] >= ended["createdAt"]
    assert ended["peakListeners"] == 2 and ended["listenerMinutes"] >= live["listenerMinutes"]
    assert ended["audioBytes"] == 5 * AUDIO_BYTES and ended["audioSeconds"] == 0.5

    intruder = Speaker(stack, f"analytics-{uuid.uuid4().hex[:8]}")
    refused = intruder.call("GET", path)
    assert refused.status_code == 403 and refused.json()["code"] == "FORBIDDEN"
    assert speaker.call("GET", path, token=None).status_code == 401


def test_one_correlation_id_from_the_delete_to_the_fan_out(stack: Stack, speaker: Speaker) -> None:
    session_id = speaker.create()["sessionId"]
    correlation_id = f"it-corr-{uuid.uuid4().hex[:12]}"
    with open_ws(stack, sessionId=session_id, targetLanguage="es") as listener:
        response = speaker.call("DELETE", f"/sessions/{session_id}", headers={"X-Correlation-Id": correlation_id})
        assert response.status_code == 204 and response.headers["X-Correlation-Id"] == correlation_id
        ended = receive(listener, "sessionEnded")
    assert ended["correlationId"] == correlation_id

    http_lines = [line for line in function_log(stack, "http_api") if line.get("correlation_id") == correlation_id]
    assert {line["event"] for line in http_lines} >= {"session_ended", "request_completed"}

    def fan_out_lines() -> list[dict[str, Any]]:
        return [line for line in function_log(stack, "session_events") if line.get("correlation_id") == correlation_id]

    caused = wait_for(
        lambda: (found := fan_out_lines()) and "session_end_fanned_out" in {x["event"] for x in found} and found
    )
    assert caused, "no session_events line carries the DELETE's correlation id"
    assert all(line.get("session_id", session_id) == session_id for line in caused)
