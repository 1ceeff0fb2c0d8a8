"""Waiting for a freshly started stack to report itself healthy.

The first GET /health of a new stack starts a function worker and opens the first connection to the
emulator; on a busy machine that first probe can miss its 1.8 s budget and honestly answer 503. A
readiness check (what a load balancer or `docker compose` healthcheck does) asks again until the
stack is healthy, and fails with the last answer if it never is."""

from __future__ import annotations

import time

import requests


def wait_healthy(http_api_url: str, *, within_seconds: float = 60) -> requests.Response:
    deadline = time.monotonic() + within_seconds
    while True:
        response = requests.get(f"{http_api_url}/health", timeout=30)
        if response.status_code == 200 or time.monotonic() > deadline:
            return response
        time.sleep(1)
