"""Opaque, tamper-evident list cursors (``nextToken``).

A cursor is the position after the last session of a page (that session's id and creation time,
which DynamoDB needs to resume the caller's speaker-index query), authenticated with HMAC-SHA256
under a key the deployment owns (``CURSOR_SIGNING_KEYS``, set by Terraform; docs/operating.md).
The caller's id and status filter are part of what is signed but not of what is sent, so a cursor
used by another user or with another filter fails like a forged one, and so does a changed byte
or a cursor older than ``CURSOR_MAX_AGE_SECONDS``: ``400 INVALID_NEXT_TOKEN``. Verifying costs no
AWS call.

Keys rotate without breaking pages in flight: the first key signs, every listed key verifies, and
each cursor names its key by a short id (a hash of the key, which reveals nothing of it). The
position is authenticated, not encrypted: it only ever names the caller's own session.

Layout (then base64url, unpadded): version (1 byte) | key id (4) | issued at, epoch s (4) |
createdAt, epoch ms (8) | session id (ASCII) | tag (16, truncated HMAC-SHA256).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from babelcast.errors import InvalidNextToken
from babelcast.session_ids import is_valid_session_id

CURSOR_MAX_AGE_SECONDS = 3600  # a listing is paged in seconds; also bounds a key rotation (operating.md)
MIN_KEY_LENGTH = 32
_VERSION = 2  # version 1 was unsigned base64 JSON; those are refused like any forged cursor
_HEADER = struct.Struct(">B4sIQ")  # version, key id, issued at, createdAt
_TAG_BYTES = 16
_MAX_TOKEN_LENGTH = 256  # longest session id is 56 characters: ~120 characters of cursor
_CLOCK_SKEW_SECONDS = 300  # several functions' clocks sign and verify


def _key_id(key: bytes) -> bytes:
    return hashlib.sha256(b"babelcast-cursor-key-id\0" + key).digest()[:4]


@dataclass
class CursorCodec:
    keys: Mapping[bytes, bytes]  # key id -> key
    signing_key_id: bytes
    max_age_seconds: int = CURSOR_MAX_AGE_SECONDS
    clock: Callable[[], float] = field(default=time.time)

    @classmethod
    def from_keys(cls, keys: Sequence[str]) -> CursorCodec:
        """The deployment's keys, newest first."""
        if not keys or any(len(key) < MIN_KEY_LENGTH for key in keys):
            raise ValueError(f"cursor signing keys must be at least {MIN_KEY_LENGTH} characters")
        encoded = [key.encode() for key in keys]
        return cls({_key_id(key): key for key in encoded}, _key_id(encoded[0]))

    def _tag(self, key: bytes, speaker_id: str, status: str | None, body: bytes) -> bytes:
        context = f"babelcast-cursor\0{speaker_id}\0{status or ''}\0".encode()
        return hmac.new(key, context + body, hashlib.sha256).digest()[:_TAG_BYTES]

    def encode(self, last_key: Mapping[str, str], speaker_id: str, status: str | None) -> str:
        body = _HEADER.pack(_VERSION, self.signing_key_id, int(self.clock()), int(last_key["createdAt"]))
        body += last_key["sessionId"].encode("ascii")
        tag = self._tag(self.keys[self.signing_key_id], speaker_id, status, body)
        return base64.urlsafe_b64encode(body + tag).decode().rstrip("=")

    def decode(self, token: str, speaker_id: str, status: str | None) -> dict[str, str]:
        """The start key the cursor names; InvalidNextToken unless it is genuine, this caller's
        and this filter's, and recent."""
        if not token or len(token) > _MAX_TOKEN_LENGTH or not token.isascii():
            raise InvalidNextToken()
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError):
            raise InvalidNextToken() from None
        if base64.urlsafe_b64encode(raw).decode().rstrip("=") != token:  # one spelling per cursor
            raise InvalidNextToken()
        body, tag = raw[:-_TAG_BYTES], raw[-_TAG_BYTES:]
        if len(body) <= _HEADER.size:
            raise InvalidNextToken()
        version, key_id, issued_at, created_at = _HEADER.unpack_from(body)
        key = self.keys.get(key_id)
        if version != _VERSION or key is None:
            raise InvalidNextToken()
        if not hmac.compare_digest(tag, self._tag(key, speaker_id, status, body)):
            raise InvalidNextToken()
        now = self.clock()
        if not now - self.max_age_seconds <= issued_at <= now + _CLOCK_SKEW_SECONDS:
            raise InvalidNextToken("The nextToken has expired: list again from the first page.")
        session_id = body[_HEADER.size :].decode("ascii", errors="replace")
        if not is_valid_session_id(session_id):  # signed by us, so only a leaked key gets here
            raise InvalidNextToken()
        return {"sessionId": session_id, "speakerId": speaker_id, "createdAt": str(created_at)}
