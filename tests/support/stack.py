"""The local stack as the integration tests drive it: its document and clients (``Stack``), a
speaker signed in with real Cognito tokens (``Speaker``), WebSocket clients and the audio stream.
The ``stack`` fixture itself is in tests/integration/conftest.py."""

from __future__ import annotations

import base64
import gzip
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import boto3
import jwt
import moto
import pytest
import requests
from babelcast_devstack.accounts import Account, create_speaker, log_in
from websockets.sync.client import ClientConnection, connect

# Every token a test logged in for: the log audit (tests/support/log_audit.py), run when the stack
# stops at the end of the session, proves none reached a log line (forged tokens are caught there
# by their JWT shape).
ISSUED_TOKENS: set[str] = set()
# One more browser origin the integration stack allows, as a frontend developer adds theirs
# (BABELCAST_CORS_ORIGINS; test_dev_stack_for_browsers.py)
EXTRA_ORIGIN = "http://localhost:5999"


@dataclass
class Stack:
    document: dict[str, Any]
    log_path: Path
    run_id: str = ""  # set only on an external emulator, which keeps earlier runs' data

    @property
    def embedded_emulator(self) -> bool:
        return not self.run_id

    def name(self, base: str) -> str:
        """A username unique to this run on an external emulator, which keeps earlier runs' users
        (and their sessions); as given on the embedded one, which starts empty."""
        return f"{base}-{self.run_id}" if self.run_id else base

    @property
    def http(self) -> str:
        return str(self.document["httpApiUrl"])

    @property
    def websocket(self) -> str:
        return str(self.document["websocketUrl"])

    @property
    def endpoint(self) -> str:
        return str(self.document["awsEndpointUrl"])

    @property
    def region(self) -> str:
        return str(self.document["region"])

    @property
    def outputs(self) -> dict[str, Any]:
        outputs: dict[str, Any] = self.document["outputs"]
        return outputs

    def speaker(self, username: str | None = None) -> Account:
        return create_speaker(self.endpoint, self.region, self.document["userPoolId"], username and self.name(username))

    def tokens(self, account: Account) -> dict[str, str]:
        tokens = log_in(self.endpoint, self.region, self.document["userPoolClientId"], account)
        ISSUED_TOKENS.update(tokens.values())
        return tokens

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=self.region,  # type: ignore[call-overload]
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def forge(self, claims: dict[str, Any]) -> str:
        """A token signed with the emulator's Cognito signing key (moto ships it): lets tests
        build correctly signed tokens that are expired or otherwise invalid."""
        if not self.embedded_emulator:
            pytest.skip("forging tokens needs the embedded emulator's signing key (not LocalStack's)")
        private = json.loads(
            gzip.decompress(
                (Path(moto.__file__).parent / "cognitoidp" / "resources" / "jwks-private.json.gz").read_bytes()
            )
        )
        key = jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(private))
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": private["kid"]})  # type: ignore[arg-type]


class Speaker:
    def __init__(self, stack: Stack, name: str) -> None:
        self.stack = stack
        self.account = stack.speaker(name)
        self.tokens = stack.tokens(self.account)

    def call(self, method: str, path: str, *, token: str | None = "id", **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if token == "id":
            headers["Authorization"] = f"Bearer {self.tokens['idToken']}"
        elif token == "access":
            headers["Authorization"] = f"Bearer {self.tokens['accessToken']}"
        elif token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return requests.request(method, f"{self.stack.http}{path}", headers=headers, timeout=30, **kwargs)

    def create(self, language: str = "en") -> dict[str, Any]:
        response = self.call("POST", "/sessions", json={"sourceLanguage": language, "qualityTier": "standard"})
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body


AUDIO = base64.b64encode(b"\x01\x00" * 1600).decode()  # 0.1 s of 16 kHz PCM


def ws_url(stack: Stack, **query: str) -> str:
    return f"{stack.websocket}?{urlencode(query)}" if query else stack.websocket


def open_ws(stack: Stack, **query: str) -> ClientConnection:
    return connect(ws_url(stack, **query), open_timeout=30, close_timeout=10)


def receive(socket: ClientConnection, wanted: str, timeout: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message: dict[str, Any] = json.loads(socket.recv(timeout=deadline - time.monotonic()))
        if message.get("type") == wanted:
            return message
    raise AssertionError(f"no {wanted} message")


def audio_records(stack: Stack, session_id: str) -> list[dict[str, Any]]:
    kinesis = stack.client("kinesis")
    stream = stack.outputs["audio_stream_name"]
    records: list[dict[str, Any]] = []
    for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records += [json.loads(r["Data"]) for r in kinesis.get_records(ShardIterator=iterator, Limit=10_000)["Records"]]
    return [r for r in records if r["sessionId"] == session_id]


def wait_for_sequences(stack: Stack, session_id: str, expected: list[int], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    seen: list[int] = []
    while time.monotonic() < deadline:
        seen = [r["sequence"] for r in audio_records(stack, session_id)]
        if seen == expected:
            return
        time.sleep(0.2)
    raise AssertionError(f"Kinesis has {seen}, expected {expected}")
