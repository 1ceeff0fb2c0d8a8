"""The Cognito token provider against moto in-process, the CLI's error lines and configuration,
and WAV chunking to the protocol's limits."""

from __future__ import annotations

import io
import json
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from babelcast_client import AuthenticationError, CognitoTokenProvider, token_expiry, wav_chunks
from babelcast_client.audio import FRAGMENT_BYTES, MAX_CHUNK_BYTES, MAX_MESSAGE_BYTES, frames, write_wav
from babelcast_client.cli import main
from babelcast_client.config import ClientConfig
from moto import mock_aws

from tests.client.server import Reply, ScriptedServer, error_body


@pytest.fixture
def cognito() -> Iterator[tuple[Any, str]]:
    with mock_aws():
        client = boto3.client("cognito-idp", region_name="us-east-1")
        pool = client.create_user_pool(PoolName="speakers")["UserPool"]["Id"]
        app = client.create_user_pool_client(
            UserPoolId=pool,
            ClientName="web",
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )["UserPoolClient"]["ClientId"]
        client.admin_create_user(UserPoolId=pool, Username="ada", MessageAction="SUPPRESS")
        client.admin_set_user_password(UserPoolId=pool, Username="ada", Password="Secret-Pass-1!", Permanent=True)
        yield client, app


class Recording:
    """Wraps the boto3 client to see which auth flows the provider used."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.flows: list[str] = []

    def initiate_auth(self, **kwargs: Any) -> Any:
        self.flows.append(kwargs["AuthFlow"])
        return self.client.initiate_auth(**kwargs)


def test_cognito_provider_logs_in_then_refreshes_before_expiry(cognito: tuple[Any, str]) -> None:
    client, app = cognito
    recording = Recording(client)
    now = [0.0]
    provider = CognitoTokenProvider(
        client_id=app,
        username="ada",
        password="Secret-Pass-1!",
        region="us-east-1",
        cognito=recording,
        clock=lambda: now[0],
    )
    first = provider.token()
    expiry = token_expiry(first)
    assert expiry is not None
    now[0] = expiry - 120
    assert provider.token() == first and recording.flows == ["USER_PASSWORD_AUTH"]
    now[0] = expiry - 30  # inside the 60 s skew
    provider.token()
    assert recording.flows == ["USER_PASSWORD_AUTH", "REFRESH_TOKEN_AUTH"]
    provider.refresh()  # as after a 401
    assert recording.flows[-1] == "REFRESH_TOKEN_AUTH" and provider.fetches == 3


def test_cognito_provider_says_why_it_cannot_log_in(cognito: tuple[Any, str]) -> None:
    client, app = cognito
    provider = CognitoTokenProvider(client_id=app, username="ada", password="wrong", region="us-east-1", cognito=client)
    with pytest.raises(AuthenticationError) as refused:
        provider.token()
    assert "NotAuthorizedException" in refused.value.message and "wrong" not in refused.value.message


def test_token_expiry_reads_exp_without_verifying() -> None:
    assert token_expiry("not-a-jwt") is None
    assert token_expiry("a.eyJleHAiOiAxMjN9.c") == 123.0  # {"exp": 123}


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_cli_prints_one_readable_error_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .local/endpoints.json here
    for name in ("BABELCAST_HTTP_URL", "BABELCAST_TOKEN", "BABELCAST_USERNAME", "BABELCAST_ENDPOINTS_FILE"):
        monkeypatch.delenv(name, raising=False)
    missing = Reply(404, error_body("SESSION_NOT_FOUND", "Session not found"))
    with ScriptedServer(missing, missing) as server:
        code, out, err = run_cli("--http-url", server.url, "get", "holy-light-999")
        assert run_cli("get", "holy-light-999", "--http-url", server.url)[0] == 1, "flags after the command work too"
    assert server.attempts == 2
    correlation_id = server.received[0].headers["X-Correlation-Id"]
    assert code == 1 and out == ""
    assert (
        err
        == f"babelcast: error: Session not found. (code SESSION_NOT_FOUND, HTTP 404, correlation id {correlation_id})\n"
    )
    code, _, err = run_cli("list")
    assert code == 2 and err.startswith("babelcast: error: No HTTP API URL") and "Traceback" not in err
    monkeypatch.setenv("BABELCAST_HTTP_URL", "http://127.0.0.1:9")
    code, _, err = run_cli("list")
    assert code == 2 and "No token" in err
    code, _, err = run_cli("stream", str(tmp_path / "absent.wav"), "--token", "t")
    assert code == 2 and err.startswith("babelcast: error: [Errno 2] No such file") and err.count("\n") == 1


def test_configuration_falls_back_to_the_local_stack_document(tmp_path: Path) -> None:
    document = {
        "httpApiUrl": "http://127.0.0.1:8000",
        "websocketUrl": "ws://127.0.0.1:8001/live",
        "userPoolClientId": "client",
        "region": "eu-west-1",
        "awsEndpointUrl": "http://127.0.0.1:4566",
        "speaker": {"username": "speaker", "password": "pw"},
    }
    (tmp_path / "endpoints.json").write_text(json.dumps(document))
    config = ClientConfig.resolve(
        {"http_url": None}, {"BABELCAST_WS_URL": "ws://elsewhere"}, tmp_path / "endpoints.json"
    )
    assert (config.http_url, config.websocket_url, config.client_id, config.username) == (
        "http://127.0.0.1:8000",
        "ws://elsewhere",
        "client",
        "speaker",
    )
    assert ClientConfig.resolve({"http_url": "http://flag"}, {}, tmp_path / "missing.json").http_url == "http://flag"


def test_wav_is_chunked_within_the_protocol_limits(tmp_path: Path) -> None:
    path = tmp_path / "tone.wav"
    write_wav(path, b"\x01\x00" * 16_000 * 2 + b"\x02\x00" * 800)  # 2.05 s
    chunks = list(wav_chunks(path, chunk_ms=100))
    assert [len(c) for c in chunks] == [3200] * 20 + [1600]
    assert len(next(wav_chunks(path, chunk_ms=2000))) == 64_000 <= MAX_CHUNK_BYTES
    message = json.dumps({"action": "sendAudio", "audioData": "x" * (MAX_CHUNK_BYTES // 3 * 4), "sequence": 2**53 - 1})
    assert len(message) <= MAX_MESSAGE_BYTES, "the largest chunk still fits in one WebSocket message"
    assert "".join(frames(message)) == message
    assert max(len(piece.encode()) for piece in frames(message)) <= FRAGMENT_BYTES
    with pytest.raises(ValueError, match="message limit"):
        list(wav_chunks(path, chunk_ms=4000))
    stereo = tmp_path / "stereo.wav"
    with wave.open(str(stereo), "wb") as writer:
        writer.setnchannels(2)
        writer.setsampwidth(2)
        writer.setframerate(44_100)
        writer.writeframes(b"\x00" * 400)
    with pytest.raises(ValueError, match="mono"):
        list(wav_chunks(stereo))
