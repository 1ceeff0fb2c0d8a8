"""Security through the local stack: every way a token can be wrong is refused on the HTTP API
and on the WebSocket $connect, with nothing leaked; only a session's owner may use its owner
routes (derived from terraform/routes.tf); malformed WebSocket frames get stable error codes."""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jwt
import moto
import pytest
import requests
from babelcast_devstack.accounts import Account, create_speaker
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection

from tests.support.stack import AUDIO, ISSUED_TOKENS, Speaker, Stack, open_ws, receive, wait_for_sequences
from tests.support.terraform_source import http_routes

LEAK_MARKERS = ("Traceback", "botocore", "ClientError", "babelcast-local", 'File "')


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def internal_names(stack: Stack) -> set[str]:
    """Resource names a response must never reveal (tables, streams, functions, buckets)."""
    names: set[str] = set()

    def walk(key: str, value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(str(k), v)
        elif isinstance(value, str) and key.endswith("name") and len(value) > 6:
            names.add(value)

    walk("", stack.outputs)
    return names


def assert_nothing_leaked(stack: Stack, text: str, token: str | None) -> None:
    if token:
        assert token not in text
        signature = token.rsplit(".", 1)[-1]
        assert len(signature) < 16 or signature not in text
    for marker in (*LEAK_MARKERS, *internal_names(stack)):
        assert marker not in text, marker


# --- the JWT matrix -----------------------------------------------------------------------------


class Tokens:
    """Builds the bad tokens of the matrix (once per module: real logins are slow)."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.speaker = Speaker(stack, f"jwt-matrix-{uuid.uuid4().hex[:6]}")
        self.genuine = self.speaker.tokens["idToken"]
        self.sub = json.loads(_unb64(self.genuine.split(".")[1]))["sub"]
        self.session_id = self.speaker.create()["sessionId"]
        cognito = stack.client("cognito-idp")
        pool = stack.document["userPoolId"]
        # another app client of the same pool: a genuine token whose audience is not ours
        other_client = cognito.create_user_pool_client(
            UserPoolId=pool,
            ClientName=f"other-app-{uuid.uuid4().hex[:6]}",
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )["UserPoolClient"]["ClientId"]
        self.other_client_tokens = self._log_in(other_client, self.speaker.account)
        # another user pool altogether, with its own client and user, logged in for real
        other_pool = cognito.create_user_pool(PoolName=f"another-pool-{uuid.uuid4().hex[:6]}")["UserPool"]["Id"]
        foreign_client = cognito.create_user_pool_client(
            UserPoolId=other_pool,
            ClientName="foreign-app",
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )["UserPoolClient"]["ClientId"]
        foreign = create_speaker(stack.endpoint, stack.region, other_pool, "foreigner")
        self.other_pool_tokens = self._log_in(foreign_client, foreign)

    def _log_in(self, client_id: str, account: Account) -> dict[str, str]:
        result = self.stack.client("cognito-idp").initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=client_id,
            AuthParameters={"USERNAME": account.username, "PASSWORD": account.password},
        )["AuthenticationResult"]
        tokens = {"id": str(result["IdToken"]), "access": str(result["AccessToken"])}
        ISSUED_TOKENS.update(tokens.values())
        return tokens

    def claims(self, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": self.sub,
            "iss": f"https://cognito-idp.{self.stack.region}.amazonaws.com/{self.stack.document['userPoolId']}",
            "aud": self.stack.document["userPoolClientId"],
            "token_use": "id",
            "iat": now,
            "exp": now + 600,
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def alg_none(self) -> str:
        header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
        return f"{header}.{self.genuine.split('.')[1]}."

    def key_confusion(self) -> str:
        """HS256 with the pool's PUBLIC key as the HMAC secret: a verifier that lets the token pick
        its algorithm would accept it."""
        public = json.loads(
            gzip.decompress((Path(moto.__file__).parent / "cognitoidp/resources/jwks-public.json.gz").read_bytes())
        )["keys"][0]
        key = jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(public))
        pem = key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)  # type: ignore[union-attr]
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": public["kid"]}).encode())
        payload = _b64(json.dumps(self.claims()).encode())
        signature = hmac.new(pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        token = f"{header}.{payload}.{_b64(signature)}"
        ISSUED_TOKENS.add(token)
        return token

    def tampered(self) -> str:
        """The genuine token's signature over a payload whose subject was changed."""
        header, payload, signature = self.genuine.split(".")
        claims = json.loads(_unb64(payload))
        claims["sub"] = "someone-else"
        return f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"


# name -> builder; None = no token at all
BAD_TOKENS: dict[str, Callable[[Tokens], str | None]] = {
    "missing": lambda t: None,
    "garbage": lambda t: "not-a-jwt",
    "alg none": Tokens.alg_none,
    "hs256 signed with the public key": Tokens.key_confusion,
    "expired": lambda t: t.stack.forge(t.claims(iat=1_600_000_000, exp=1_600_000_600)),
    "nbf in the future": lambda t: t.stack.forge(t.claims(nbf=int(time.time()) + 3600)),
    "wrong issuer": lambda t: t.stack.forge(t.claims(iss="https://issuer.example.com/us-east-1_NotOurs")),
    "wrong audience (forged)": lambda t: t.stack.forge(t.claims(aud="another-client")),
    "wrong audience (another app client)": lambda t: t.other_client_tokens["id"],
    "wrong client_id (access token)": lambda t: t.other_client_tokens["access"],
    "tampered payload": Tokens.tampered,
    "another user pool (id token)": lambda t: t.other_pool_tokens["id"],
    "another user pool (access token)": lambda t: t.other_pool_tokens["access"],
}


@pytest.fixture(scope="module")
def tokens(stack: Stack) -> Tokens:
    return Tokens(stack)


def test_the_genuine_tokens_are_accepted(stack: Stack, tokens: Tokens) -> None:
    """The matrix's control: real tokens, and a token forged with the pool's own key and correct
    claims, pass everywhere the bad ones are refused below (so each refusal is for its one flaw)."""
    forged = stack.forge(tokens.claims())
    for token in ("id", "access", forged):
        assert tokens.speaker.call("GET", "/sessions", token=token).status_code == 200
        assert tokens.speaker.call("POST", "/sessions", token=token, json={"sourceLanguage": "en"}).status_code == 201
    for token in (tokens.genuine, forged):
        with open_ws(stack, sessionId=tokens.session_id, token=token) as socket:
            socket.send(json.dumps({"action": "heartbeat"}))
            assert receive(socket, "heartbeatAck")


@pytest.mark.parametrize("case", list(BAD_TOKENS))
@pytest.mark.parametrize("route", ["POST /sessions", "GET /sessions"])
def test_http_refuses_bad_tokens_with_401(stack: Stack, tokens: Tokens, route: str, case: str) -> None:
    token = BAD_TOKENS[case](tokens)
    method, path = route.split(" ")
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    before = len(tokens.speaker.call("GET", "/sessions?limit=100").json()["sessions"])
    response = requests.request(
        method,
        f"{stack.http}{path}",
        headers=headers,
        json={"sourceLanguage": "en"} if method == "POST" else None,
        timeout=30,
    )
    assert response.status_code == 401, response.text
    assert response.json() == {"message": "Unauthorized"}
    assert_nothing_leaked(stack, response.text + json.dumps(dict(response.headers)), token)
    assert len(tokens.speaker.call("GET", "/sessions?limit=100").json()["sessions"]) == before, "nothing created"


@pytest.mark.parametrize("case", list(BAD_TOKENS))
def test_websocket_connect_refuses_bad_speaker_tokens(stack: Stack, tokens: Tokens, case: str) -> None:
    """A speaker's $connect with a bad token is refused during the handshake with 401. Without a
    token the caller is an anonymous listener (docs/websocket-protocol.md), who must name a
    targetLanguage: refused with 400, and never given the speaker's rights."""
    token = BAD_TOKENS[case](tokens)
    query = {"sessionId": tokens.session_id} | ({"token": token} if token is not None else {})
    with pytest.raises(InvalidStatus) as rejected:
        open_ws(stack, **query)
    response = rejected.value.response
    assert response.status_code == (400 if token is None else 401)
    body = response.body.decode(errors="replace") if response.body else ""
    if token is not None:
        assert json.loads(body) == {"message": "Unauthorized"}
    assert_nothing_leaked(stack, body + json.dumps(dict(response.headers)), token)


def test_without_a_token_a_connection_never_gets_speaker_rights(stack: Stack, tokens: Tokens) -> None:
    with open_ws(stack, sessionId=tokens.session_id, targetLanguage="es") as anonymous:
        for action in ({"action": "sendAudio", "audioData": AUDIO, "sequence": 1}, {"action": "pauseBroadcast"}):
            anonymous.send(json.dumps(action))
            assert receive(anonymous, "error")["code"] == "NOT_SPEAKER"
    session = requests.get(f"{stack.http}/sessions/{tokens.session_id}", timeout=10).json()
    assert session["status"] == "active"


# --- ownership -------------------------------------------------------------------------------------


def owner_routes() -> list[str]:
    """Every JWT route acting on one session, from the single source of truth (terraform/routes.tf):
    routes added later (e.g. GET /sessions/{sessionId}/analytics) are covered without editing this."""
    routes = [key for key, spec in http_routes().items() if spec["authorization"] == "JWT" and "{sessionId}" in key]
    assert {"PATCH /sessions/{sessionId}", "DELETE /sessions/{sessionId}"} <= set(routes)
    return sorted(routes)


@pytest.mark.parametrize("route", owner_routes())
def test_owner_routes_refuse_other_speakers_with_403(stack: Stack, tokens: Tokens, route: str) -> None:
    intruder = Speaker(stack, f"intruder-{uuid.uuid4().hex[:6]}")
    method, template = route.split(" ", 1)
    path = template.replace("{sessionId}", tokens.session_id)
    body = {"status": "paused"} if method in {"PATCH", "PUT", "POST"} else None
    before = requests.get(f"{stack.http}/sessions/{tokens.session_id}", timeout=10).json()
    for kind in ("id", "access"):
        response = intruder.call(method, path, token=kind, json=body)
        assert response.status_code == 403, response.text
        error = response.json()
        assert error["code"] == "FORBIDDEN"
        assert error["correlationId"] == response.headers["X-Correlation-Id"]
        assert_nothing_leaked(stack, response.text, intruder.tokens["idToken"])
    after = requests.get(f"{stack.http}/sessions/{tokens.session_id}", timeout=10).json()
    assert after == before, "a refused call changed nothing"


# --- malformed WebSocket frames -------------------------------------------------------------------

HUGE = "9" * 5000  # more digits than Python's int parser accepts by default


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        pytest.param("{not json", "INVALID_MESSAGE", id="bad json"),
        pytest.param("[1, 2, 3]", "INVALID_MESSAGE", id="json array"),
        pytest.param('"sendAudio"', "INVALID_MESSAGE", id="json string"),
        pytest.param("null", "INVALID_MESSAGE", id="json null"),
        pytest.param(json.dumps({"audioData": AUDIO}), "UNKNOWN_ACTION", id="no action"),
        pytest.param(json.dumps({"action": 7}), "UNKNOWN_ACTION", id="action is a number"),
        pytest.param(json.dumps({"action": ["sendAudio"]}), "UNKNOWN_ACTION", id="action is a list"),
        pytest.param(json.dumps({"action": "dropTables"}), "UNKNOWN_ACTION", id="unknown action"),
        pytest.param(json.dumps({"action": "x" * 100_000}), "UNKNOWN_ACTION", id="oversized action"),
        pytest.param(
            json.dumps({"action": "sendAudio", "audioData": AUDIO, "sequence": "1"}),
            "VALIDATION_ERROR",
            id="sequence is a string",
        ),
        pytest.param(
            json.dumps({"action": "sendAudio", "audioData": AUDIO, "sequence": 1.5}),
            "VALIDATION_ERROR",
            id="sequence is a float",
        ),
        pytest.param(
            json.dumps({"action": "sendAudio", "audioData": AUDIO, "sequence": -1}),
            "VALIDATION_ERROR",
            id="negative sequence",
        ),
        pytest.param(
            json.dumps({"action": "sendAudio", "audioData": AUDIO, "sequence": 2**53}),
            "VALIDATION_ERROR",
            id="sequence beyond 2^53-1",
        ),
        pytest.param(
            json.dumps({"action": "sendAudio", "audioData": AUDIO, "sequence": 2**64}),
            "VALIDATION_ERROR",
            id="sequence beyond 64 bits",
        ),
        pytest.param(
            '{"action": "sendAudio", "audioData": "AAAA", "sequence": 1e999}',
            "VALIDATION_ERROR",
            id="sequence infinite",
        ),
        pytest.param(
            '{"action": "sendAudio", "audioData": "AAAA", "sequence": ' + HUGE + "}",
            "INVALID_MESSAGE",
            id="sequence with 5000 digits",
        ),
        pytest.param(
            json.dumps({"action": "sendAudio", "audioData": 12, "sequence": 1}),
            "VALIDATION_ERROR",
            id="audioData is a number",
        ),
        pytest.param(
            json.dumps({"action": "sendAudio", "audioData": "!!not base64!!", "sequence": 1}),
            "INVALID_AUDIO",
            id="audioData not base64",
        ),
        pytest.param(json.dumps({"action": "sendAudio", "sequence": 1}), "VALIDATION_ERROR", id="audioData missing"),
        pytest.param(
            json.dumps({"action": "sendAudio", "audioData": AUDIO, "sequence": 1, "admin": True}),
            "VALIDATION_ERROR",
            id="unexpected field",
        ),
        pytest.param(
            json.dumps({"action": "changeLanguage", "targetLanguage": "es"}),
            "NOT_LISTENER",
            id="speaker changes language",
        ),
        pytest.param(
            json.dumps({"action": "createSession", "sourceLanguage": "en"}),
            "INVALID_MESSAGE",
            id="createSession on a bound socket",
        ),
    ],
)
def test_malformed_frames_get_stable_codes_and_keep_the_socket(
    stack: Stack, speaker_socket: tuple[ClientConnection, str], frame: str, code: str
) -> None:
    socket, _ = speaker_socket
    # a message over API Gateway's 32 KB frame quota goes in fragments, as every client must send it
    socket.send(frame if len(frame) <= 32_000 else [frame[i : i + 32_000] for i in range(0, len(frame), 32_000)])
    error = receive(socket, "error")
    assert error["code"] == code, error
    assert set(error) >= {"type", "code", "message", "action", "requestId"}
    assert len(json.dumps(error)) < 2_000, "the reply never echoes an oversized field back"
    assert_nothing_leaked(stack, json.dumps(error), None)
    socket.send(json.dumps({"action": "heartbeat"}))
    assert receive(socket, "heartbeatAck"), "the socket is still usable"


@pytest.fixture(scope="module")
def speaker_socket(stack: Stack, tokens: Tokens) -> Iterator[tuple[ClientConnection, str]]:
    """One speaker socket shared by the malformed-frame cases: proves it survives all of them."""
    with open_ws(stack, sessionId=tokens.session_id, token=tokens.genuine) as socket:
        yield socket, tokens.session_id


def test_after_every_malformed_frame_valid_audio_still_flows(
    stack: Stack, speaker_socket: tuple[ClientConnection, str]
) -> None:
    socket, session_id = speaker_socket
    socket.send(json.dumps({"action": "sendAudio", "audioData": AUDIO, "sequence": 1}))
    wait_for_sequences(stack, session_id, [1])


@pytest.mark.parametrize(
    ("frame", "close_code"),
    [
        pytest.param(b'{"action": "heartbeat"}', 1003, id="binary frame"),
        pytest.param(
            json.dumps({"action": "sendAudio", "audioData": "A" * 200_000, "sequence": 1}), 1009, id="frame over 128 KB"
        ),
        pytest.param(  # one frame, as the SDK sent 1 s chunks before it fragmented messages
            json.dumps({"action": "sendAudio", "audioData": "A" * 42_668, "sequence": 1}), 1009, id="frame over 32 KB"
        ),
    ],
)
def test_frames_that_cannot_be_processed_close_the_socket(
    stack: Stack, tokens: Tokens, frame: str | bytes, close_code: int
) -> None:
    with open_ws(stack, sessionId=tokens.session_id, token=tokens.genuine) as socket:
        socket.send(frame)
        with pytest.raises(ConnectionClosed):
            while True:
                socket.recv(timeout=20)
    assert socket.close_code == close_code
