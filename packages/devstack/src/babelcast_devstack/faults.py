"""Repeatable faults in the embedded AWS emulator: stall, slow down or fail the requests of one
service (optionally one operation) for a while, then let them through again.

The emulator serves a control endpoint beside the AWS APIs (``/_babelcast/faults``):

- ``POST`` a fault (JSON, fields below) to add it; the answer is the fault with its ``id``;
- ``GET`` lists the faults with the requests each has matched so far (``hits``);
- ``DELETE`` removes them all (``?id=<id>``: one).

A fault: ``{"action": "stall" | "slow" | "fail", "service": "dynamodb", "operation": "UpdateItem",
"seconds": 5, "count": 3, "delay": 3, "applied": true, "status": 500, "code": "InternalServerError"}``

- ``stall``: matching requests that arrive while it lasts (``seconds``, required) are held until
  it is over, then applied one by one in the order they arrived: AWS not answering for a while.
- ``slow``: each matching request is answered ``delay`` seconds late; ``applied`` (default true)
  applies it first, so a client that gave up has its write done anyway (what makes the SDK's
  retry apply a write twice), otherwise it is applied after the delay.
- ``fail``: each matching request is refused with ``status`` and the AWS error ``code``
  (default 500 ``InternalServerError``) and not applied.

``service`` is the signing name of the request (``dynamodb``, ``kinesis``, ``cognito-idp`` …);
``operation`` the ``X-Amz-Target`` operation (JSON protocols: DynamoDB, Kinesis, Cognito); a fault
without ``operation`` matches every request of the service. ``seconds`` bounds how long the fault
lasts (default: until removed) and ``count`` how many requests it matches. The control requests
themselves are never faulted. ``babelcast-dev fault`` (``make dev``) and ``inject``/``faulted``
below (tests) are clients of it.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from typing import Any
from urllib.parse import parse_qs

import requests

CONTROL_PATH = "/_babelcast/faults"
ACTIONS = ("stall", "slow", "fail")
_SCOPE = re.compile(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/aws4_request")
_ids = itertools.count(1)

Failure = Callable[[Callable[..., Any]], list[bytes]]


@dataclass
class Fault:
    action: str
    service: str
    operation: str | None = None
    seconds: float | None = None
    count: int | None = None
    delay: float = 3.0
    applied: bool = True
    status: int = 500
    code: str = "InternalServerError"
    id: int = field(default_factory=lambda: next(_ids))
    hits: int = 0
    started: float = field(default_factory=time.monotonic)
    # a stall lets what it held go in arrival order: ticket n waits until n requests were served
    _order: threading.Condition = field(default_factory=threading.Condition, repr=False)
    _arrived: int = field(default=0, repr=False)
    _served: int = field(default=0, repr=False)

    @classmethod
    def parse(cls, document: Any) -> Fault:
        if not isinstance(document, dict) or document.get("action") not in ACTIONS or not document.get("service"):
            raise ValueError(f"a fault needs an action ({', '.join(ACTIONS)}) and a service")
        allowed = {"action", "service", "operation", "seconds", "count", "delay", "applied", "status", "code"}
        unknown = sorted(set(document) - allowed)
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(unknown)}")
        fault = cls(**document)
        if fault.action == "stall" and fault.seconds is None:
            raise ValueError("a stall needs seconds (how long the service does not answer)")
        return fault

    @property
    def ends(self) -> float:
        return self.started + self.seconds if self.seconds is not None else float("inf")

    def live(self, now: float) -> bool:
        return now < self.ends and (self.count is None or self.hits < self.count)

    def before(self) -> Failure | None:
        """Wait as the fault says before the request is applied; a refusal to send instead. A
        held request must call ``served`` once applied."""
        if self.action == "stall":
            with self._order:
                ticket, self._arrived = self._arrived, self._arrived + 1
            time.sleep(max(0.0, self.ends - time.monotonic()))
            with self._order:
                self._order.wait_for(lambda: self._served == ticket)
        elif self.action == "slow" and not self.applied:
            time.sleep(self.delay)
        elif self.action == "fail":
            return self._refusal
        return None

    def served(self) -> None:
        if self.action == "stall":
            with self._order:
                self._served += 1
                self._order.notify_all()

    def answer_delay(self) -> float:
        return self.delay if self.action == "slow" and self.applied else 0.0

    def _refusal(self, start_response: Callable[..., Any]) -> list[bytes]:
        body = json.dumps({"__type": self.code, "message": f"injected fault {self.id}"}).encode()
        start_response(
            f"{self.status} Injected",
            [
                ("Content-Type", "application/x-amz-json-1.0"),
                ("x-amzn-ErrorType", self.code),
                ("Content-Length", str(len(body))),
            ],
        )
        return [body]

    def describe(self) -> dict[str, Any]:
        described = {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}
        described.pop("started")
        described["remainingSeconds"] = (
            None if self.seconds is None else max(0.0, round(self.ends - time.monotonic(), 2))
        )
        return described


class FaultBoard:
    """The faults of one emulator (thread-safe: the emulator serves requests on threads)."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def match(self, environ: dict[str, Any]) -> Fault | None:
        scope = _SCOPE.search(str(environ.get("HTTP_AUTHORIZATION", "")))
        if scope is None:
            return None
        service = scope.group(1)
        operation = str(environ.get("HTTP_X_AMZ_TARGET", "")).rsplit(".", 1)[-1] or None
        now = time.monotonic()
        with self._lock:
            self._faults = [fault for fault in self._faults if now < fault.ends]
            for fault in self._faults:
                if fault.service == service and fault.operation in (None, operation) and fault.live(now):
                    fault.hits += 1
                    return fault
        return None

    def control(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        status = "200 OK"
        document: dict[str, Any]
        with self._lock:
            if method == "POST":
                try:
                    length = int(environ.get("CONTENT_LENGTH") or 0)
                    fault = Fault.parse(json.loads(environ["wsgi.input"].read(length) or b"null"))
                except (ValueError, TypeError) as error:
                    status, document = "400 Bad Request", {"error": str(error)}
                else:
                    self._faults.append(fault)
                    document = fault.describe()
            elif method == "DELETE":
                wanted = parse_qs(str(environ.get("QUERY_STRING", ""))).get("id")
                self._faults = [f for f in self._faults if wanted is not None and str(f.id) not in wanted]
                document = {"faults": [f.describe() for f in self._faults]}
            else:
                document = {"faults": [f.describe() for f in self._faults]}
        body = json.dumps(document).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]


# --- clients -------------------------------------------------------------------------------------


def inject(endpoint: str, **fault: Any) -> dict[str, Any]:
    """Add a fault to the emulator at ``endpoint`` (fields as in the module's docstring)."""
    response = requests.post(f"{endpoint}{CONTROL_PATH}", json=fault, timeout=10)
    if response.status_code != 200:
        raise ValueError(response.json().get("error", response.text))
    added: dict[str, Any] = response.json()
    return added


def faults(endpoint: str) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = requests.get(f"{endpoint}{CONTROL_PATH}", timeout=10).json()["faults"]
    return listed


def clear(endpoint: str, fault_id: int | None = None) -> None:
    params = {"id": str(fault_id)} if fault_id is not None else None
    requests.delete(f"{endpoint}{CONTROL_PATH}", params=params, timeout=10).raise_for_status()


@contextmanager
def faulted(endpoint: str, **fault: Any) -> Iterator[dict[str, Any]]:
    """The fault for the duration of the block (removed after it, even if it fails)."""
    added = inject(endpoint, **fault)
    try:
        yield added
    finally:
        clear(endpoint, int(added["id"]))
