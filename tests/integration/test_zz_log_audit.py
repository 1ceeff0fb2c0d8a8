"""Runs last in the integration session (the module name sorts last): every log the local stack
wrote during the run — the gateway, every function's output, the emulator — holds no token.
It first drives token-bearing traffic itself (valid and refused tokens, over HTTP and in the
WebSocket query string), so it proves something even when run alone."""

from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path

import pytest
import requests
from websockets.exceptions import InvalidStatus

from tests.integration.conftest import ISSUED_TOKENS, Stack
from tests.integration.test_http_through_gateway import Speaker
from tests.integration.test_websocket_through_gateway import open_ws, receive
from tests.support.report import record

# JWT-shaped (base64url JSON header "{"... = "eyJ") with at least a payload segment
JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
# an Authorization header's value, or the WebSocket speaker's token in a logged URL
CREDENTIAL = re.compile(r"(?i)(bearer\s+[A-Za-z0-9._~+/-]{8,}|[?&]token=[^&\s\"']{8,})")


def _log_files(stack: Stack) -> list[Path]:
    return sorted(p for p in stack.log_path.parent.rglob("*.log") if p.is_file())


def findings(texts: dict[str, str], tokens: set[str]) -> list[str]:
    found: list[str] = []
    for name, text in texts.items():
        for token in tokens:
            for part in {token, token.rsplit(".", 1)[-1]}:  # the whole token, or its signature alone
                if len(part) >= 16 and part in text:
                    found.append(f"{name}: an issued token")
        found += [f"{name}: {m.group(0)[:24]}…" for m in JWT_SHAPE.finditer(text)]
        found += [f"{name}: {m.group(0)[:24]}…" for m in CREDENTIAL.finditer(text)]
    return found


def _wait_for(stack: Stack, needles: list[str], timeout: float = 20) -> str:
    """Function logs reach the stack's log asynchronously: wait until this test's own traffic is there."""
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = stack.log_path.read_text(errors="replace")
        if all(needle in text for needle in needles):
            return text
        time.sleep(0.2)
    missing = [needle for needle in needles if needle not in text]
    raise AssertionError(f"the stack log never showed {missing}")


def test_no_token_reaches_any_log(stack: Stack) -> None:
    speaker = Speaker(stack, f"log-audit-{uuid.uuid4().hex[:6]}")
    correlation = f"log-audit-{uuid.uuid4().hex[:8]}"
    created = speaker.call(
        "POST", "/sessions", json={"sourceLanguage": "en"}, headers={"X-Correlation-Id": correlation}
    ).json()
    refused = speaker.call("GET", "/sessions", token=speaker.tokens["accessToken"] + "x")
    assert refused.status_code == 401
    with open_ws(stack, sessionId=created["sessionId"], token=speaker.tokens["idToken"]) as socket:
        socket.send(json.dumps({"action": "heartbeat", "token": speaker.tokens["idToken"]}))  # a token in a body
        receive(socket, "heartbeatAck")
    with pytest.raises(InvalidStatus):
        open_ws(stack, sessionId=created["sessionId"], token=speaker.tokens["idToken"][:-4] + "AAAA")
    stack_log = _wait_for(stack, [correlation, '"event": "token_refused"', '"event": "message_handled"'])

    files = _log_files(stack)
    texts = {path.name: path.read_text(errors="replace") for path in files}
    assert stack_log and "stack.log" in texts, "the audit must scan the stack's (non-empty) log"
    function_lines = [line for line in stack_log.splitlines() if '"event": ' in line]
    assert len(function_lines) > 10, "function logs are in the scanned output"
    tokens = {t for t in ISSUED_TOKENS if t}
    assert len(tokens) >= 3
    # the scanner's control: it does flag each kind of leak
    token = speaker.tokens["idToken"]
    signature = token.rsplit(".", 1)[-1]
    for planted in (token, f"Authorization: Bearer {signature}", f"GET /live?token={signature}", signature):
        assert findings({"planted": f"line before\n{planted}\n"}, tokens), planted
    record("log audit", "log lines scanned", sum(t.count("\n") for t in texts.values()))
    record("log audit", "tokens looked for", len(tokens))
    found = findings(texts, tokens)
    assert not found, found[:20]
    assert requests.get(f"{stack.http}/health", timeout=10).status_code == 200
