"""Opaque list cursors bound to the user they were issued to.

The cursor is only a position inside the caller's own partition of the speaker index (queries
are always keyed by the caller's ``sub``), so a forged cursor cannot reveal anyone else's
sessions; binding the speaker id into it lets us reject one minted for another user with a
clear 400 instead of silently starting from a wrong place.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping

from babelcast.errors import InvalidNextToken
from babelcast.session_ids import is_valid_session_id

_VERSION = 1
_MAX_TOKEN_LENGTH = 512


def encode_next_token(last_key: Mapping[str, str]) -> str:
    payload = {
        "v": _VERSION,
        "s": last_key["sessionId"],
        "p": last_key["speakerId"],
        "c": last_key["createdAt"],
    }
    raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_next_token(token: str, speaker_id: str) -> dict[str, str]:
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        raise InvalidNextToken()
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidNextToken() from None
    if (
        not isinstance(payload, dict)
        or payload.get("v") != _VERSION
        or set(payload) != {"v", "s", "p", "c"}
        or payload["p"] != speaker_id
        or not isinstance(payload["s"], str)
        or not is_valid_session_id(payload["s"])
        or not isinstance(payload["c"], str)
        or not payload["c"].isdigit()
    ):
        raise InvalidNextToken()
    return {"sessionId": payload["s"], "speakerId": payload["p"], "createdAt": payload["c"]}
