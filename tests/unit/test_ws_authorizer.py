"""The $connect authorizer: anonymous listeners pass, speakers' tokens verify by API Gateway's
JWT rules, everything else is 401 (API Gateway's answer to the error message "Unauthorized")."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import jwt
import pytest
from babelcast.auth import InvalidToken, JwksCache
from cryptography.hazmat.primitives import serialization

from tests.support.ws_authorizer_harness import CLIENT, ISSUER, KEY, OTHER_KEY, authorize, jwks, token


def test_listeners_are_let_in_anonymously(fetches: list[str]) -> None:
    result = authorize({"sessionId": "holy-light-123", "targetLanguage": "es"})
    assert result["principalId"] == "anonymous"
    assert result["context"] == {"role": "listener", "sessionId": "holy-light-123", "targetLanguage": "es"}
    statement = result["policyDocument"]["Statement"][0]
    assert (statement["Effect"], statement["Action"]) == ("Allow", "execute-api:Invoke")
    assert fetches == [], "no key fetch for anonymous connections"


def test_a_valid_speaker_token_carries_its_subject(fetches: list[str]) -> None:
    result = authorize({"sessionId": "holy-light-123", "token": token()})
    assert result["principalId"] == "user-1"
    assert result["context"] == {"role": "speaker", "userId": "user-1", "sessionId": "holy-light-123"}
    access = token(aud=None, client_id=CLIENT, token_use="access")
    assert authorize({"token": access})["context"]["userId"] == "user-1"
    assert len(fetches) == 1, "keys are cached across invocations"


def _hs256_with_public_key() -> str:
    public_pem = KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    head = b64(json.dumps({"alg": "HS256", "kid": "k1"}).encode())
    body = b64(json.dumps({"sub": "x", "iss": ISSUER, "aud": CLIENT, "exp": 2_000_000_000}).encode())
    return f"{head}.{body}.{b64(hmac.new(public_pem, f'{head}.{body}'.encode(), hashlib.sha256).digest())}"


def _tampered() -> str:
    head, body, signature = token().split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    claims["sub"] = "admin"
    return f"{head}.{base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip('=')}.{signature}"


@pytest.mark.parametrize(
    "bad",
    [
        "garbage",
        "a.b.c",
        token(exp=int(time.time()) - 10),
        token(nbf=int(time.time()) + 3600),
        token(iat=int(time.time()) + 3600),
        token(iss="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"),
        token(aud="another-client"),
        token(aud=None, client_id="another-client", token_use="access"),
        token(key=OTHER_KEY),
        token(kid="unknown-kid"),
        jwt.encode({"sub": "x", "iss": ISSUER, "aud": CLIENT, "exp": 2_000_000_000}, None, algorithm="none"),  # type: ignore[arg-type]
        _hs256_with_public_key(),
        _tampered(),
        token(sub=None),
    ],
    ids=[
        "garbage",
        "not-base64",
        "expired",
        "nbf-future",
        "iat-future",
        "wrong-issuer",
        "wrong-audience",
        "wrong-client-id",
        "other-key",
        "unknown-kid",
        "alg-none",
        "hs256-public-key",
        "tampered",
        "no-subject",
    ],
)
def test_bad_tokens_are_refused_with_unauthorized(fetches: list[str], bad: str) -> None:
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorize({"sessionId": "holy-light-123", "token": bad})


def test_refusals_never_log_the_token(fetches: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    bad = token(exp=1)
    with pytest.raises(Exception, match="Unauthorized"):
        authorize({"token": bad})
    output = capsys.readouterr().out
    assert "token_refused" in output
    assert bad not in output and bad.split(".")[1] not in output


def test_a_failed_key_fetch_is_tried_again_at_the_next_connection() -> None:
    attempts: list[str] = []

    def flaky(url: str) -> dict[str, Any]:
        attempts.append(url)
        if len(attempts) == 1:
            raise OSError("issuer unreachable")
        return jwks()

    keys = JwksCache("https://issuer.example/jwks.json", fetch=flaky)
    with pytest.raises(OSError):
        keys.key("k1")
    assert keys.key("k1").key_id == "k1"  # not refused for a minute because the first fetch failed
    with pytest.raises(InvalidToken):
        keys.key("made-up")  # an unknown kid right after a fetch: no new fetch
    assert len(attempts) == 2
