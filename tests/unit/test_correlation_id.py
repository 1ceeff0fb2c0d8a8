"""One request, one correlation id: the id the route sees, every log line, the response header,
the error body and the stored item all carry the same one (issue 12, item 3: a request without
X-Correlation-Id used to get two different generated ids)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import boto3
import pytest
from babelcast.http.request import HttpRequest
from babelcast.http.responses import HttpResponse
from http_api import handler

from tests.support.http_harness import ENVIRONMENT, Api, Response


def _log_ids(output: str) -> list[str]:
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    logged = [line for line in lines if "event" in line]  # EMF documents are not log lines
    assert logged, "the request wrote no log line"
    return [str(line.get("correlation_id")) for line in logged]


@pytest.fixture
def seen_by_route(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ``correlation_id`` of the request each POST /sessions route call was given."""
    seen: list[str] = []
    route = handler.app.routes["POST /sessions"]

    def recording(request: HttpRequest) -> HttpResponse:
        seen.append(request.correlation_id)
        return route.handler(request)

    monkeypatch.setitem(handler.app.routes, "POST /sessions", replace(route, handler=recording))
    return seen


def _stored_correlation(response: Response) -> Any:
    item = boto3.client("dynamodb", region_name="us-east-1").get_item(
        TableName=ENVIRONMENT["SESSIONS_TABLE_NAME"], Key={"sessionId": {"S": response.body["sessionId"]}}
    )["Item"]
    return item["correlationId"]["S"]


@pytest.mark.parametrize("sent", [None, "not a correlation id!"], ids=["absent", "malformed"])
def test_a_request_without_a_usable_correlation_id_gets_one_id_everywhere(
    api: Api, capsys: pytest.CaptureFixture[str], seen_by_route: list[str], sent: str | None
) -> None:
    capsys.readouterr()
    created = api.create(headers={"X-Correlation-Id": sent} if sent else None)
    assert created.status == 201
    minted = created.headers["X-Correlation-Id"]
    assert minted != sent
    assert seen_by_route == [minted]
    assert set(_log_ids(capsys.readouterr().out)) == {minted}
    assert _stored_correlation(created) == minted

    refused = api("POST /sessions", "/sessions", body={"sourceLanguage": "xx"})
    assert refused.status == 400
    assert refused.body["correlationId"] == refused.headers["X-Correlation-Id"] == seen_by_route[-1]
    assert set(_log_ids(capsys.readouterr().out)) == {refused.headers["X-Correlation-Id"]}
    assert refused.headers["X-Correlation-Id"] != minted  # one id per request, not per process


def test_a_well_formed_client_correlation_id_is_used_everywhere(
    api: Api, capsys: pytest.CaptureFixture[str], seen_by_route: list[str]
) -> None:
    capsys.readouterr()
    given = "client-trace-0123456789"
    created = api.create(headers={"X-Correlation-Id": given})
    assert created.status == 201
    assert created.headers["X-Correlation-Id"] == given
    assert seen_by_route == [given]
    assert set(_log_ids(capsys.readouterr().out)) == {given}
    assert _stored_correlation(created) == given
