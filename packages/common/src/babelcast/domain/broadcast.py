"""Delivering the pipeline's output to the listeners of one session and one language.

The invocation that receives a segment from the stream (the coordinator) numbers it once, splits
its listeners into shards of ``shard_size``, hands every shard but the first to invocations of its
own (``ShardDispatcher``) and delivers the first itself. What a shard cannot deliver in its time
(throttled by API Gateway, or failed) is handed on as a new shard, at most ``MAX_ATTEMPTS`` times
in all: a listener gets a segment again only when its post failed. docs/architecture.md#fan-out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from babelcast.domain.catch_up import CatchUp
from babelcast.domain.connection_records import Delivery, Listener, Shard
from babelcast.domain.listeners import ListenerSets
from babelcast.domain.ports import ConnectionDirectory, Messenger, ShardDispatcher
from babelcast.logging import get_logger
from babelcast.metrics import Metrics

_log = get_logger(__name__)
MAX_ATTEMPTS = 3  # a shard, then at most two re-dispatches of what it left undelivered
DEFAULT_SHARD_SIZE = 250  # terraform/variables.tf broadcast_shard_size (scripts/measure_post_cpu.py)


def split(shard: Shard, size: int) -> list[Shard]:
    listeners = shard.listeners
    return [
        Shard(shard.session_id, shard.language, shard.payload, listeners[i : i + size], shard.attempt)
        for i in range(0, len(listeners), size)
    ] or [shard]


@dataclass
class Broadcaster:
    connections: ConnectionDirectory
    api: Messenger
    metrics: Metrics
    catch_up: CatchUp | None = None
    listeners: ListenerSets | None = None  # None: a Query per segment
    dispatcher: ShardDispatcher | None = None  # None: one invocation delivers to everyone
    shard_size: int = DEFAULT_SHARD_SIZE

    def deliver(
        self, session_id: str, language: str, payload: Mapping[str, Any], position: str | None = None
    ) -> Delivery:
        """Deliver ``payload`` to every listener of ``session_id`` listening in ``language``: the
        first shard here, the others through the dispatcher. With catch-up, the record at stream
        ``position`` is numbered and kept first (a record sequenced after it already means this
        one was delivered by an earlier attempt: nothing is posted again). Returns what this
        invocation delivered."""
        if self.catch_up is not None and position is not None:
            sequence = self.catch_up.sequence(session_id, language, position, payload)
            if sequence is None:
                _log.info("segment_already_delivered", session_id=session_id, language=language)
                return Delivery()
            payload = {**payload, "sequence": sequence}
        everyone = Shard(session_id, language, payload, self._listeners(session_id, language))
        shards = split(everyone, self.shard_size) if self.dispatcher is not None else [everyone]
        own, others = shards[0], shards[1:]
        if others and self.dispatcher is not None:
            refused = self.dispatcher.dispatch(others)
            if refused:  # not handed on: delivered here rather than lost
                _log.warning("shards_not_dispatched", session_id=session_id, language=language, shards=len(refused))
                own = Shard(session_id, language, payload, own.listeners + sum((s.listeners for s in refused), ()))
            self.metrics.add("BroadcastShardsDispatched", len(others) - len(refused))
        delivery = self.deliver_shard(own)
        if delivery.gone and self.listeners is not None:
            self.listeners.forget(session_id, language)
        return delivery

    def deliver_shard(self, shard: Shard) -> Delivery:
        """Post the shard's payload to its listeners; a listener that is gone (410) is removed,
        and what could not be delivered goes on as a new shard while attempts are left."""
        records = shard.records()
        delivery = self.api.post_many(records, shard.payload)
        for connection_id in delivery.gone:
            self.connections.remove(records[connection_id])
        given_up = self._hand_on(shard, delivery.undelivered)
        by_language = {"TargetLanguage": shard.language}
        self.metrics.add("BroadcastDelivered", delivery.delivered, dimensions=by_language, rollup=True)
        self.metrics.add("BroadcastFailed", given_up + len(delivery.gone), dimensions=by_language, rollup=True)
        if delivery.throttled:
            self.metrics.add("BroadcastThrottled", delivery.throttled)
        _log.info(
            "broadcast_delivered",
            session_id=shard.session_id,
            language=shard.language,
            listeners=len(shard.listeners),
            attempt=shard.attempt,
            delivered=delivery.delivered,
            gone=len(delivery.gone),
            failed=delivery.failed,
            throttled=delivery.throttled,
        )
        return delivery

    def _hand_on(self, shard: Shard, undelivered: Sequence[str]) -> int:
        """Dispatch the undelivered part of ``shard`` again; returns how many were given up."""
        if not undelivered:
            return 0
        wanted = set(undelivered)
        rest = Shard(
            shard.session_id,
            shard.language,
            shard.payload,
            tuple(listener for listener in shard.listeners if listener.connection_id in wanted),
            shard.attempt + 1,
        )
        if rest.attempt < MAX_ATTEMPTS and self.dispatcher is not None and not self.dispatcher.dispatch([rest]):
            self.metrics.add("BroadcastRedispatched", len(rest.listeners))
            return 0
        _log.error(
            "broadcast_given_up",
            session_id=shard.session_id,
            language=shard.language,
            listeners=len(rest.listeners),
            attempt=shard.attempt,
        )
        return len(rest.listeners)

    def _listeners(self, session_id: str, language: str) -> tuple[Listener, ...]:
        if self.listeners is not None:
            return self.listeners.of(session_id, language)
        records = self.connections.of_session(session_id, channel=language)
        return tuple(Listener(r.connection_id, r.connected_at) for r in records if r.role == "listener")
