"""The sessions table's change stream, decoded at the edge: a record becomes the domain's
SessionChange, the counters a change shows, and the correlation id of the write behind it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from babelcast.domain.session_records import SessionChange, SessionUsage
from babelcast.integration.session_items import (
    CORRELATION_ATTRIBUTE,
    UNKNOWN_CORRELATION,
    snapshot_from_item,
    usage_from_item,
)


def _images(record: Mapping[str, Any]) -> tuple[Mapping[str, Any] | None, Mapping[str, Any] | None]:
    change = record.get("dynamodb") or {}
    return change.get("OldImage"), change.get("NewImage")


def session_change(record: Mapping[str, Any]) -> SessionChange | None:
    """What a record means to the fan-out; None for the records it ignores (an insert, an image
    missing)."""
    old, new = _images(record)
    event_name = str(record.get("eventName"))
    if event_name == "REMOVE" and old is not None:
        return SessionChange("removed", snapshot_from_item(old))
    if event_name != "MODIFY" or old is None or new is None:
        return None
    return SessionChange("modified", snapshot_from_item(old), snapshot_from_item(new))


def usage_after(record: Mapping[str, Any]) -> tuple[str, SessionUsage] | None:
    """The session id and usage counters after the change (None without a new image)."""
    _, new = _images(record)
    if not new or "sessionId" not in new:
        return None
    return str(new["sessionId"]["S"]), usage_from_item(new)


def correlation_id(record: Mapping[str, Any]) -> str:
    """The id of the request whose write this is (stored on the item by every write), so the
    fan-out logs under the id of the DELETE/PATCH/WebSocket message that caused it. A deletion by
    TTL has no request behind it (its old image names the previous writer): the event's own id."""
    _, new = _images(record)
    value = ((new or {}).get(CORRELATION_ATTRIBUTE) or {}).get("S")
    if isinstance(value, str) and value and value != UNKNOWN_CORRELATION:
        return value
    return str(record.get("eventID", ""))
