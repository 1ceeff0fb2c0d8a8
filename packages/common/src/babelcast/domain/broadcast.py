"""Delivering the pipeline's output to the listeners of one session and one language."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from babelcast.domain.catch_up import CatchUp
from babelcast.domain.connection_records import Delivery
from babelcast.domain.ports import ConnectionDirectory, Messenger
from babelcast.logging import get_logger
from babelcast.metrics import Metrics

_log = get_logger(__name__)


@dataclass
class Broadcaster:
    connections: ConnectionDirectory
    api: Messenger
    metrics: Metrics
    catch_up: CatchUp | None = None

    def deliver(
        self, session_id: str, language: str, payload: Mapping[str, Any], position: str | None = None
    ) -> Delivery:
        """Post ``payload`` to every listener of ``session_id`` listening in ``language``, in
        parallel; connections that answer Gone are removed (and uncounted). With catch-up, the
        record at stream ``position`` is numbered and kept first (a record sequenced after it
        already means this one was delivered by an earlier attempt: nothing is posted again)."""
        if self.catch_up is not None and position is not None:
            sequence = self.catch_up.sequence(session_id, language, position, payload)
            if sequence is None:
                _log.info("segment_already_delivered", session_id=session_id, language=language)
                return Delivery()
            payload = {**payload, "sequence": sequence}
        records = {r.connection_id: r for r in self.connections.of_session(session_id, channel=language)}
        delivery = self.api.post_many(records, payload)
        for connection_id in delivery.gone:
            self.connections.remove(records[connection_id])
        by_language = {"TargetLanguage": language}
        self.metrics.add("BroadcastDelivered", delivery.delivered, dimensions=by_language, rollup=True)
        self.metrics.add("BroadcastFailed", delivery.failed + len(delivery.gone), dimensions=by_language, rollup=True)
        _log.info(
            "broadcast_delivered",
            session_id=session_id,
            language=language,
            delivered=delivery.delivered,
            gone=len(delivery.gone),
            failed=delivery.failed,
        )
        return delivery
