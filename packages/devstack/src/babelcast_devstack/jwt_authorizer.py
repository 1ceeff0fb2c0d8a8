"""API Gateway's JWT authorizer, as AWS documents it for HTTP APIs: the token from the identity
source (``Bearer`` optional), verified by the same rules as the WebSocket authorizer
(``babelcast.auth``: RS256 by a key of the issuer's JWKS, fetched from the emulator, exp/nbf/iat,
iss, aud or client_id). Anything else is 401 ``{"message":"Unauthorized"}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from babelcast.auth import API_GATEWAY_REQUIRED_CLAIMS, InvalidToken, JwksCache, TokenVerifier, fetch_jwks

_ISSUER = re.compile(r"^https://cognito-idp\.([a-z0-9-]+)\.amazonaws\.com/([A-Za-z0-9_-]+)$")


class Unauthorized(Exception):
    pass


def emulator_jwks_url(issuer: str, emulator_endpoint: str | None) -> str:
    """Where to fetch the issuer's keys: the emulator serves Cognito's JWKS at
    ``/<userPoolId>/.well-known/jwks.json``; real issuers at ``<issuer>/.well-known/jwks.json``."""
    match = _ISSUER.match(issuer)
    if emulator_endpoint and match:
        return f"{emulator_endpoint.rstrip('/')}/{match.group(2)}/.well-known/jwks.json"
    return f"{issuer.rstrip('/')}/.well-known/jwks.json"


def api_gateway_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    """HTTP APIs hand claims to integrations as strings (lists as "[a b]")."""
    rendered: dict[str, str] = {}
    for key, value in claims.items():
        if isinstance(value, bool):
            rendered[key] = "true" if value else "false"
        elif isinstance(value, list):
            rendered[key] = "[" + " ".join(str(v) for v in value) + "]"
        else:
            rendered[key] = str(value)
    return rendered


@dataclass
class JwtAuthorizer:
    issuer: str
    audience: tuple[str, ...]
    jwks_url: str

    def __post_init__(self) -> None:
        # keys cached across requests, fetched again when an unknown kid shows up
        keys = JwksCache(self.jwks_url, fetch=lambda url: fetch_jwks(url, timeout=5.0))
        self._verifier = TokenVerifier(self.issuer, self.audience, keys, required_claims=API_GATEWAY_REQUIRED_CLAIMS)

    def verify(self, authorization: str | None) -> dict[str, Any]:
        if not authorization:
            raise Unauthorized("missing token")
        token = authorization.strip()
        if token.lower().startswith("bearer "):
            token = token[7:].strip()
        try:
            return self._verifier.verify(token)
        except InvalidToken as refused:
            raise Unauthorized(str(refused)) from None
        except (OSError, ValueError) as unreachable:  # the issuer's keys could not be read: refused
            raise Unauthorized(type(unreachable).__name__) from None

    def scopes(self, claims: Mapping[str, Any]) -> list[str] | None:
        scope = claims.get("scope")
        return scope.split() if isinstance(scope, str) and scope else None
