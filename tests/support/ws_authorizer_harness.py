"""The WebSocket $connect authorizer driven through its handler: tokens signed with a test key,
the JWKS the issuer serves for it (fixture ``fetches``: tests/unit/conftest.py)."""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from ws_authorizer import handler

from tests.support.ws_events import authorizer_event

ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool"
CLIENT = "client-abc"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwks() -> dict[str, Any]:
    public = json.loads(RSAAlgorithm.to_jwk(KEY.public_key()))
    return {"keys": [{**public, "kid": "k1", "alg": "RS256", "use": "sig"}]}


def token(key: Any = KEY, kid: str = "k1", **overrides: Any) -> str:
    now = int(time.time())
    claims = {"sub": "user-1", "iss": ISSUER, "aud": CLIENT, "token_use": "id", "iat": now, "exp": now + 600}
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def authorize(query: dict[str, str]) -> dict[str, Any]:
    result: dict[str, Any] = handler.lambda_handler(authorizer_event(query), None)
    return result
