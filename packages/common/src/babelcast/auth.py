"""Verification of Cognito JWTs by API Gateway's JWT authorizer rules, written once: the WebSocket
$connect authorizer uses it, and so does the local gateway's HTTP JWT authorizer.

A token passes when it is a JWT signed with RS256 by a key of the issuer's JWKS (``kid``),
``exp`` is in the future and ``nbf``/``iat`` (if any) are not, ``iss`` equals the configured
issuer, and ``aud`` — or, only when there is no ``aud`` (Cognito access tokens), ``client_id`` —
is one of the configured audiences. PyJWT (with ``cryptography``) checks signature and times.

Keys are cached across invocations and fetched again only for an unknown ``kid`` (at most once a
minute after a successful fetch, so a flood of made-up kids cannot hammer the issuer). Needs the
``babelcast[jwt]`` extra: only the functions that verify tokens carry the crypto.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import jwt

# What API Gateway's JWT authorizer requires of every token; callers may require more (the
# WebSocket authorizer also needs `sub`, the principal it returns).
API_GATEWAY_REQUIRED_CLAIMS = ("exp", "iss")


class InvalidToken(Exception):
    """The token must be refused (the reason is for logs, never for the client)."""


def fetch_jwks(url: str, timeout: float = 3.0) -> dict[str, Any]:
    if not url.startswith(("https://", "http://")):
        raise InvalidToken("JWKS URL must be http(s)")
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - scheme checked above
        keys: dict[str, Any] = json.loads(response.read())
    return keys


def _signing_keys(document: dict[str, Any]) -> dict[str, jwt.PyJWK]:
    keys = {}
    for entry in document.get("keys", []):
        if entry.get("kty") != "RSA" or "kid" not in entry or entry.get("use", "sig") != "sig":
            continue
        try:
            keys[str(entry["kid"])] = jwt.PyJWK(entry, algorithm="RS256")
        except (jwt.PyJWTError, ValueError):
            continue  # a malformed key cannot sign anything we accept
    return keys


@dataclass
class JwksCache:
    url: str
    fetch: Callable[[str], dict[str, Any]] = fetch_jwks
    refetch_interval_seconds: float = 60.0
    _keys: dict[str, jwt.PyJWK] = field(default_factory=dict)
    _fetched_at: float = float("-inf")
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def key(self, kid: str) -> jwt.PyJWK:
        with self._lock:
            if kid not in self._keys and time.monotonic() - self._fetched_at >= self.refetch_interval_seconds:
                self._keys = _signing_keys(self.fetch(self.url))
                self._fetched_at = time.monotonic()  # after success: a failed fetch is tried again next time
            if kid not in self._keys:
                raise InvalidToken("unknown signing key")
            return self._keys[kid]


@dataclass
class TokenVerifier:
    issuer: str
    audiences: Sequence[str]
    keys: JwksCache
    leeway_seconds: int = 0
    required_claims: Sequence[str] = (*API_GATEWAY_REQUIRED_CLAIMS, "sub")

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims, or InvalidToken."""
        try:
            header = jwt.get_unverified_header(token)
        except (jwt.PyJWTError, RecursionError):  # a header nested past the parser's recursion
            raise InvalidToken("malformed") from None
        if header.get("alg") != "RS256" or not isinstance(header.get("kid"), str):
            raise InvalidToken("algorithm")  # refuses alg=none, HS256-with-the-public-key, ... before any fetch
        key = self.keys.key(header["kid"])
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                issuer=self.issuer,
                leeway=self.leeway_seconds,
                # the audience is checked below: Cognito access tokens carry client_id instead of aud
                options={"verify_aud": False, "require": list(self.required_claims)},
            )
        except jwt.PyJWTError as error:
            raise InvalidToken(type(error).__name__) from None
        audience = claims.get("aud") or claims.get("client_id")
        audiences = audience if isinstance(audience, list) else [audience]
        if not set(audiences) & set(self.audiences):
            raise InvalidToken("audience")
        return claims
