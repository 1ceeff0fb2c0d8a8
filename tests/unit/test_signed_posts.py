"""The broadcast's hand-signed PostToConnection (babelcast/integration/signed_posts.py) sends the
request botocore would (same URL, same SigV4 signature) and maps API Gateway's answers to the
same outcomes: 200 delivered, 410 gone, 429 and others raised with botocore's error codes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from babelcast.integration import aws as aws_clients
from babelcast.integration.connections_api import ConnectionsApi
from botocore.exceptions import ClientError

# what API Gateway answers (it names the error in x-amzn-ErrorType)
ANSWERS = {"gone": (410, "GoneException"), "busy": (429, "LimitExceededException"), "broken": (500, "")}


class _Handler(BaseHTTPRequestHandler):
    seen: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.seen.append({"path": self.path, "authorization": self.headers["Authorization"], "body": body})
        status, error_type = ANSWERS.get(self.path.rsplit("/", 1)[-1], (200, ""))
        data = b'{"message":"no"}' if status >= 300 else b""
        self.send_response(status)
        if error_type:
            self.send_header("x-amzn-ErrorType", error_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda: datetime(2026, 1, 2, 3, 4, 5))
    aws_clients.reset_clients()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Handler.seen = []
    yield f"http://127.0.0.1:{server.server_address[1]}/live"
    server.shutdown()
    aws_clients.reset_clients()


def test_the_signed_post_is_botocores_request_and_maps_its_answers(endpoint: str) -> None:
    signed, plain = ConnectionsApi(endpoint, signed=True), ConnectionsApi(endpoint)
    for api in (signed, plain):
        assert api.post("Ab+c/d=", {"type": "translation"}) is True
    by_hand, by_botocore = _Handler.seen
    assert by_hand == by_botocore, "same path, body and signature"
    assert "/execute-api/aws4_request" in by_hand["authorization"]
    for api in (signed, plain):
        assert api.post("gone", {}) is False
        codes = []
        for connection_id in ("busy", "broken"):
            with pytest.raises(ClientError) as raised:
                api.post(connection_id, {})
            codes.append(aws_clients.client_error_code(raised.value))
        assert codes[0] == "LimitExceededException"
    delivery = signed.post_many(["ok-1", "gone", "broken", "ok-2"], {"type": "translation"})
    assert (delivery.delivered, delivery.gone, delivery.undelivered) == (2, ["gone"], ["broken"])
