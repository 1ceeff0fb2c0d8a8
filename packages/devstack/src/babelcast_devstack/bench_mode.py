"""The local gateway's benchmark mode (``babelcast-dev up --bench-mode``; off by default, never part
of `make dev` unless asked): what a fan-out costs on AWS, modelled on loopback.

* Every ``@connections`` call waits a modelled network round trip (default 20 ms; an asyncio sleep,
  so the gateway stays concurrent as API Gateway is) and passes an account-wide token bucket
  modelling API Gateway's account throttle (default 10 000 requests/s steady, burst 5 000): when it
  is empty the call is answered 429 ``LimitExceededException``, as AWS answers a throttled
  PostToConnection.
* ``POST /_bench/connections {"count": N}`` registers N socketless connections with API Gateway's
  id format (at most ``MAX_MODELLED_CONNECTIONS`` in all). Posts to them are accepted like posts to
  an open socket (after the round trip and the throttle) and their arrival time is recorded, keyed
  by a top-level field of the posted JSON message (``key``, default ``translatedText``).
  ``GET /_bench/arrivals`` counts them per key, ``?message=<value>`` adds that key's arrival times
  (epoch ms); ``DELETE /_bench/connections``
  forgets the connections and their arrivals.
* ``GET``/``PUT /_bench/model`` reads or replaces the model (``{"roundTripMs": 0, "postsPerSecond":
  null}`` posts as measured on loopback).

Without ``--bench-mode`` none of this exists: ``/_bench/*`` answers 403 (an unknown path) and ``@connections`` is
served as measured.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from babelcast_devstack.config import Throttle
from babelcast_devstack.http_api import TokenBucket
from babelcast_devstack.invocation import aws_id

DEFAULT_ROUND_TRIP_MS = 20.0
DEFAULT_POSTS_PER_SECOND = 10_000.0  # API Gateway's default account throttle, steady state
DEFAULT_POST_BURST = 5_000
MAX_ROUND_TRIP_MS = 2_000.0
MAX_MODELLED_CONNECTIONS = 20_000
MAX_RECORDED_KEYS = 64  # distinct messages whose arrivals are kept (the oldest go first)
DEFAULT_ARRIVAL_KEY = "translatedText"
# What API Gateway answers a throttled management call (botocore maps the header to the exception)
THROTTLED_BODY = {"message": "Too Many Requests"}
THROTTLED_HEADERS = {"x-amzn-ErrorType": "LimitExceededException:"}


@dataclass(frozen=True)
class PostModel:
    """The modelled cost of one ``@connections`` call; ``posts_per_second`` None: no throttle."""

    round_trip_ms: float = DEFAULT_ROUND_TRIP_MS
    posts_per_second: float | None = DEFAULT_POSTS_PER_SECOND
    burst: int = DEFAULT_POST_BURST

    def __post_init__(self) -> None:
        if not 0 <= self.round_trip_ms <= MAX_ROUND_TRIP_MS:
            raise ValueError(f"roundTripMs must be within 0..{MAX_ROUND_TRIP_MS:.0f}")
        if self.posts_per_second is not None and self.posts_per_second <= 0:
            raise ValueError("postsPerSecond must be positive (or null: no throttle)")
        if self.burst < 1:
            raise ValueError("burst must be at least 1")

    def as_json(self) -> dict[str, Any]:
        return {"roundTripMs": self.round_trip_ms, "postsPerSecond": self.posts_per_second, "burst": self.burst}

    @classmethod
    def from_json(cls, body: Any) -> PostModel:
        if not isinstance(body, dict) or set(body) - {"roundTripMs", "postsPerSecond", "burst"}:
            raise ValueError("expected {roundTripMs, postsPerSecond, burst}")
        rate = body.get("postsPerSecond", DEFAULT_POSTS_PER_SECOND)
        return cls(
            round_trip_ms=float(body.get("roundTripMs", DEFAULT_ROUND_TRIP_MS)),
            posts_per_second=None if rate is None else float(rate),
            burst=int(body.get("burst", DEFAULT_POST_BURST)),
        )


@dataclass
class BenchMode:
    model: PostModel = field(default_factory=PostModel)
    connections: set[str] = field(default_factory=set)
    arrival_key: str = DEFAULT_ARRIVAL_KEY
    arrivals: OrderedDict[str, list[float]] = field(default_factory=OrderedDict)
    bucket: TokenBucket | None = None

    def __post_init__(self) -> None:
        self.set_model(self.model)

    def set_model(self, model: PostModel) -> None:
        self.model = model
        rate = model.posts_per_second
        self.bucket = TokenBucket(Throttle(burst_limit=model.burst, rate_limit=rate)) if rate else None

    async def admit(self) -> web.Response | None:
        """Before a management call: take a throttle token (None: admitted), then wait the round
        trip; a refused call costs its round trip too."""
        admitted = self.bucket is None or self.bucket.take()
        if self.model.round_trip_ms:
            await asyncio.sleep(self.model.round_trip_ms / 1000)
        return None if admitted else web.json_response(THROTTLED_BODY, status=429, headers=THROTTLED_HEADERS)

    def record(self, data: bytes) -> None:
        """A post to a modelled connection arrived now."""
        arrived = time.time() * 1000
        try:
            message = json.loads(data)
            key = str(message.get(self.arrival_key, "")) if isinstance(message, dict) else ""
        except ValueError:
            key = ""
        times = self.arrivals.get(key)
        if times is None:
            if len(self.arrivals) >= MAX_RECORDED_KEYS:
                self.arrivals.popitem(last=False)
            times = self.arrivals[key] = []
        if len(times) < 2 * MAX_MODELLED_CONNECTIONS:  # retried posts included, bounded
            times.append(arrived)

    # --- the control routes -------------------------------------------------------------------

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/_bench/model", self.get_model)
        app.router.add_put("/_bench/model", self.put_model)
        app.router.add_post("/_bench/connections", self.register)
        app.router.add_delete("/_bench/connections", self.forget)
        app.router.add_get("/_bench/arrivals", self.get_arrivals)

    async def get_model(self, _: web.Request) -> web.Response:
        return web.json_response(self.model.as_json())

    async def put_model(self, request: web.Request) -> web.Response:
        try:
            self.set_model(PostModel.from_json(await request.json()))
        except (ValueError, TypeError) as bad:
            return web.json_response({"message": str(bad)}, status=400)
        return web.json_response(self.model.as_json())

    async def register(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
            count = int(body["count"])
            key = str(body.get("key", self.arrival_key))
        except (ValueError, TypeError, KeyError):
            return web.json_response({"message": 'expected {"count": N, "key": "<field>"}'}, status=400)
        if count < 1 or len(self.connections) + count > MAX_MODELLED_CONNECTIONS:
            room = MAX_MODELLED_CONNECTIONS - len(self.connections)
            return web.json_response({"message": f"count must be within 1..{room}"}, status=400)
        ids = [aws_id() for _ in range(count)]
        self.connections.update(ids)
        self.arrival_key = key
        return web.json_response({"connectionIds": ids, "key": key})

    async def forget(self, _: web.Request) -> web.Response:
        self.connections.clear()
        self.arrivals.clear()
        return web.Response(status=204)

    async def get_arrivals(self, request: web.Request) -> web.Response:
        """How many posts arrived per message; ``?message=<value>``: that message's arrival times too."""
        counts = {key: len(times) for key, times in self.arrivals.items()}
        answer: dict[str, Any] = {"key": self.arrival_key, "counts": counts}
        if "message" in request.query:
            answer["arrivals"] = {request.query["message"]: self.arrivals.get(request.query["message"], [])}
        return web.json_response(answer)
