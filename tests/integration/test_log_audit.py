"""The log audit's own test: it drives token-bearing traffic (valid and refused tokens, over HTTP
and in the WebSocket query string), checks that the scanner flags each kind of leak, and audits
the logs so far, so it proves something whenever it runs. The audit of every log the whole run
wrote happens when the stack stops at the end of the session (tests/support/log_audit.py)."""

from __future__ import annotations

import json
import time
import uuid

import pytest
import requests
from websockets.exceptions import InvalidStatus

from tests.support.log_audit import findings, log_texts
from tests.support.report import record
from tests.support.stack import ISSUED_TOKENS, Speaker, Stack, open_ws, receive


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

    texts = log_texts(stack.log_path.parent)
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
