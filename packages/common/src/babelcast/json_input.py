"""Parsing JSON that came from outside (request bodies, WebSocket messages, stream records).

``json.loads`` recurses once per nesting level and raises RecursionError — not ValueError — past
about a thousand levels: 10 KB of ``[`` is enough. Every parser of untrusted JSON goes through
here, so that input is refused like any other malformed JSON instead of becoming a 500.
"""

from __future__ import annotations

import json
from typing import Any


def parse_json(data: str | bytes) -> Any:
    """``json.loads``; any failure (bad syntax, bad UTF-8, nesting too deep) is a ValueError."""
    try:
        return json.loads(data)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def to_json(value: Any) -> str:
    """``json.dumps`` compactly; a value too deeply nested to encode is a ValueError."""
    try:
        return json.dumps(value, separators=(",", ":"))
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
