"""Concurrency through the local stack: many simultaneous PATCHes of one session lose nothing."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from tests.support.report import record
from tests.support.stack import Speaker, Stack

PATCHES = 50
LANGUAGES = ("fr", "de", "es", "it", "ja")


def _body(index: int) -> dict[str, str]:
    """Each PATCH sets one or two fields, so the fields race against each other and themselves."""
    body: dict[str, str] = {}
    if index % 2 == 0:
        body["status"] = "paused" if index % 4 == 0 else "active"
    if index % 3 == 0:
        body["sourceLanguage"] = LANGUAGES[index % len(LANGUAGES)]
    if index % 2 == 1 or index % 5 == 0:
        body["qualityTier"] = "premium" if index % 4 in (1, 0) else "standard"
    return body


def test_concurrent_patches_of_one_session_lose_no_update(stack: Stack) -> None:
    speaker = Speaker(stack, f"patcher-{uuid.uuid4().hex[:6]}")
    session = speaker.create()
    session_id, initial = session["sessionId"], session["version"]
    bodies = [_body(index) for index in range(PATCHES)]

    def patch(body: dict[str, str]) -> tuple[dict[str, str], requests.Response]:
        return body, speaker.call("PATCH", f"/sessions/{session_id}", json=body)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=PATCHES) as pool:
        results = list(pool.map(patch, bodies))
    seconds = round(time.perf_counter() - started, 2)
    record("concurrency", f"{PATCHES} concurrent PATCHes through the gateway (s)", seconds)

    assert [response.status_code for _, response in results] == [200] * PATCHES, [r.text for _, r in results]
    answers: list[tuple[dict[str, str], dict[str, Any]]] = [(body, response.json()) for body, response in results]
    versions = sorted(answer["version"] for _, answer in answers)
    assert versions == list(range(initial + 1, initial + PATCHES + 1)), "each write got its own version"
    for body, answer in answers:  # every answer shows the write it made
        assert {field: answer[field] for field in body} == body
    final = requests.get(f"{stack.http}/sessions/{session_id}", timeout=10).json()
    assert final["version"] == initial + PATCHES
    for field in ("status", "sourceLanguage", "qualityTier"):
        writes = [(answer["version"], body[field]) for body, answer in answers if field in body]
        assert final[field] == max(writes)[1], f"{field}: the final state is the last write"
    assert final["updatedAt"] >= session["updatedAt"]
