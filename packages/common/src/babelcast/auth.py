"""Verification of Cognito JWTs for the WebSocket authorizer, by the same rules as API
Gateway's HTTP JWT authorizer: RS256 signature by a key of the issuer's JWKS, exp/nbf, iss equal
to the configured issuer, aud (ID tokens) or client_id (access tokens) among the audiences.

PyJWT validates the claims; the RS256 signature is checked with the pure-Python ``rsa``
package, which keeps the authorizer's zip free of the 5 MB ``cryptography`` wheel. Keys are
cached across invocations and re-fetched only for an unknown ``kid`` (at most once a minute).
"""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import jwt
import rsa


class InvalidToken(Exception):
    """The token must be refused (the reason is for logs, never for the client)."""


def _b64decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _int(value: str) -> int:
    return int.from_bytes(_b64decode(value), "big")


def fetch_jwks(url: str, timeout: float = 3.0) -> dict[str, Any]:
    if not url.startswith(("https://", "http://")):
        raise InvalidToken("JWKS URL must be http(s)")
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - scheme checked above
        keys: dict[str, Any] = json.loads(response.read())
    return keys


@dataclass
class JwksCache:
    url: str
    fetch: Callable[[str], dict[str, Any]] = fetch_jwks
    refetch_interval_seconds: float = 60.0
    _keys: dict[str, rsa.PublicKey] = field(default_factory=dict)
    _fetched_at: float = float("-inf")
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def key(self, kid: str) -> rsa.PublicKey:
        with self._lock:
            if kid not in self._keys and time.monotonic() - self._fetched_at >= self.refetch_interval_seconds:
                self._fetched_at = time.monotonic()
                document = self.fetch(self.url)
                self._keys = {
                    str(k["kid"]): rsa.PublicKey(_int(k["n"]), _int(k["e"]))
                    for k in document.get("keys", [])
                    if k.get("kty") == "RSA" and "kid" in k and k.get("use", "sig") == "sig"
                }
            if kid not in self._keys:
                raise InvalidToken("unknown signing key")
            return self._keys[kid]


@dataclass
class TokenVerifier:
    issuer: str
    audiences: Sequence[str]
    keys: JwksCache
    leeway_seconds: int = 0

    def verify(self, token: str) -> dict[str, Any]:
        try:
            header_b64, payload_b64, signature_b64 = token.split(".")
            header = json.loads(_b64decode(header_b64))
        except (ValueError, RecursionError):  # a header nested past the parser's recursion
            raise InvalidToken("malformed") from None
        if not isinstance(header, dict) or header.get("alg") != "RS256" or not isinstance(header.get("kid"), str):
            raise InvalidToken("algorithm")  # refuses alg=none, HS256-with-the-public-key, ...
        key = self.keys.key(header["kid"])
        try:
            algorithm = rsa.verify(f"{header_b64}.{payload_b64}".encode(), _b64decode(signature_b64), key)
        except (rsa.VerificationError, ValueError):
            raise InvalidToken("signature") from None
        if algorithm != "SHA-256":
            raise InvalidToken("digest")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                options={"verify_signature": False, "verify_exp": True, "verify_nbf": True, "verify_iss": True,
                         "verify_aud": False, "require": ["exp", "iss", "sub"]},
                issuer=self.issuer, leeway=self.leeway_seconds,
            )  # fmt: skip
        except jwt.PyJWTError as error:
            raise InvalidToken(type(error).__name__) from None
        audience = claims.get("aud") or claims.get("client_id")
        audiences = audience if isinstance(audience, list) else [audience]
        if not set(audiences) & set(self.audiences):
            raise InvalidToken("audience")
        return claims
