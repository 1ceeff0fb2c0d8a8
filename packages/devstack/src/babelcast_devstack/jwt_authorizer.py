"""API Gateway's JWT authorizer, as AWS documents it for HTTP APIs.

A token passes when: it is a well-formed JWT signed with RS256 by a key in the issuer's JWKS
(fetched from the emulator), ``exp`` is in the future and ``nbf`` (if any) in the past, ``iss``
equals the configured issuer, and ``aud`` — or, for access tokens without ``aud``, ``client_id``
— is one of the configured audiences. Anything else is 401 ``{"message":"Unauthorized"}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from jwt import PyJWKClient

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
        # keys cached across requests, refreshed when an unknown kid shows up
        self._keys = PyJWKClient(self.jwks_url, cache_keys=True, lifespan=3600, timeout=5)

    def verify(self, authorization: str | None) -> dict[str, Any]:
        if not authorization:
            raise Unauthorized("missing token")
        token = authorization.strip()
        if token.lower().startswith("bearer "):
            token = token[7:].strip()
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") != "RS256":
                raise Unauthorized("unsupported algorithm")
            key = self._keys.get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=["RS256"],
                issuer=self.issuer,
                # exp and nbf are checked by PyJWT; audience is checked below because Cognito
                # access tokens carry client_id instead of aud.
                options={"verify_aud": False, "require": ["exp", "iss"]},
                leeway=0,
            )
        except Unauthorized:
            raise
        except (jwt.PyJWTError, ValueError) as error:
            raise Unauthorized(type(error).__name__) from None
        audiences = claims.get("aud")
        audience_list = [audiences] if isinstance(audiences, str) else list(audiences or [])
        if not audience_list and "client_id" in claims:
            audience_list = [claims["client_id"]]
        if not set(audience_list) & set(self.audience):
            raise Unauthorized("audience")
        return claims

    def scopes(self, claims: Mapping[str, Any]) -> list[str] | None:
        scope = claims.get("scope")
        return scope.split() if isinstance(scope, str) and scope else None
