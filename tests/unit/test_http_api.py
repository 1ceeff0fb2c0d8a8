"""The HTTP session API through its Lambda handler, on recorded-shape payload-2.0 events and an
in-process DynamoDB (moto). Covers seed tasks 15.1-15.10 and the foundation issue's rules."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import replace
from typing import Any

import boto3
import pytest
from babelcast import models
from babelcast.integration import aws as aws_clients
from babelcast.session_ids import is_valid_session_id
from botocore.awsrequest import AWSResponse
from http_api import handler

from tests.support.http_events import OTHER_SPEAKER, SPEAKER
from tests.support.http_harness import ENVIRONMENT, Api, Response, assert_error
from tests.support.report import record


def inject_error(operation: str, code: str, status: int) -> None:
    """Make the next calls of ``operation`` fail as DynamoDB would (message naming the table)."""
    message = f"Error for table {ENVIRONMENT['SESSIONS_TABLE_NAME']}"

    def fail(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        parsed = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}
        return AWSResponse("https://dynamodb", status, {}, None), parsed  # type: ignore[arg-type]

    aws_clients.dynamodb_client().meta.events.register(f"before-call.dynamodb.{operation}", fail)  # type: ignore[arg-type]


# --- POST /sessions (tasks 15.1-15.3) -------------------------------------------------------


def test_create_session_returns_201_with_metadata_and_location(api: Api) -> None:
    response = api.create("es", "premium")

    assert response.status == 201
    session = response.body
    assert is_valid_session_id(session["sessionId"])
    assert response.headers["Location"] == f"/sessions/{session['sessionId']}"
    assert session["speakerId"] == SPEAKER
    assert session["sourceLanguage"] == "es"
    assert session["qualityTier"] == "premium"
    assert session["status"] == "active"
    assert session["listenerCount"] == 0
    assert session["createdAt"] == session["updatedAt"]
    assert session["expiresAt"] - session["createdAt"] == 24 * 3600 * 1000
    assert api("GET /sessions/{sessionId}", f"/sessions/{session['sessionId']}", sub=None).body == session


def test_created_session_is_stored_with_a_dynamodb_ttl_in_seconds(api: Api) -> None:
    session = api.create().body
    item = boto3.client("dynamodb").get_item(
        TableName=ENVIRONMENT["SESSIONS_TABLE_NAME"], Key={"sessionId": {"S": session["sessionId"]}}
    )["Item"]
    assert int(item["ttl"]["N"]) == session["expiresAt"] // 1000


def test_quality_tier_defaults_to_standard(api: Api) -> None:
    response = api("POST /sessions", "/sessions", body={"sourceLanguage": "fr"})
    assert response.status == 201
    assert response.body["qualityTier"] == "standard"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"sourceLanguage": "xx", "qualityTier": "standard"}, "sourceLanguage"),
        ({"sourceLanguage": "EN", "qualityTier": "standard"}, "sourceLanguage"),
        ({"qualityTier": "standard"}, "sourceLanguage"),
        ({"sourceLanguage": "en", "qualityTier": "ultra"}, "qualityTier"),
        ({"sourceLanguage": 7, "qualityTier": "standard"}, "sourceLanguage"),
        ({"sourceLanguage": "en", "qualityTier": ["standard"]}, "qualityTier"),
        ({"sourceLanguage": "en", "qualityTier": "standard", "speakerId": "someone-else"}, "speakerId"),
        ({"sourceLanguage": None}, "sourceLanguage"),
    ],
)
def test_create_session_rejects_invalid_fields_with_details(api: Api, body: dict[str, Any], field: str) -> None:
    error = assert_error(api("POST /sessions", "/sessions", body=body), 400, "VALIDATION_ERROR")
    assert field in [detail["field"] for detail in error["details"]]


MODEL_CLASSES = sorted(name for name, value in vars(models).items() if isinstance(value, type))


@pytest.mark.parametrize(
    ("route", "body", "planted"),
    [
        ("POST", {"sourceLanguage": "zq", "qualityTier": "standard"}, "zq"),
        ("POST", {"sourceLanguage": "en", "qualityTier": "ultrazq"}, "ultrazq"),
        ("POST", {"sourceLanguage": "en", "qualityTier": None}, None),
        ("POST", {"sourceLanguage": "en", "qualityTier": 7}, None),
        ("POST", {"sourceLanguage": "en", "qualityTier": {"zq": 1}}, "zq"),
        ("PATCH", {"status": "stoppedzq"}, "stoppedzq"),
        ("PATCH", {"status": ["active"]}, None),
        ("PATCH", {"sourceLanguage": "zq"}, "zq"),
    ],
)
def test_validation_details_name_no_python_class_and_echo_no_value(
    api: Api, route: str, body: dict[str, Any], planted: str | None
) -> None:
    """Each detail says what is allowed, never pydantic's "an instance of QualityTier" (an
    internal name) nor the value sent."""
    if route == "POST":
        response = api("POST /sessions", "/sessions", body=body)
    else:
        response = patch(api, api.create().body["sessionId"], body)
    error = assert_error(response, 400, "VALIDATION_ERROR")
    issues = " ".join(detail["issue"] for detail in error["details"])
    assert not [name for name in MODEL_CLASSES if name in issues], issues
    assert planted is None or planted not in json.dumps(error), error


def test_an_enum_field_says_which_values_it_takes(api: Api) -> None:
    error = assert_error(api.create(tier="gold"), 400, "VALIDATION_ERROR")
    assert error["details"] == [{"field": "qualityTier", "issue": "must be one of: standard, premium"}]


def test_unsupported_language_message_lists_supported_languages(api: Api) -> None:
    error = assert_error(api.create("xx"), 400, "VALIDATION_ERROR")
    assert "supported: en, es" in error["details"][0]["issue"]


@pytest.mark.parametrize("raw", ["{not json", "", "   ", '{"sourceLanguage": "en"'])
def test_malformed_or_missing_json_is_400(api: Api, raw: str) -> None:
    assert_error(api("POST /sessions", "/sessions", raw_body=raw), 400, "MALFORMED_JSON")


@pytest.mark.parametrize("raw", ["[]", '"en"', "42", "null"])
def test_json_that_is_not_an_object_is_400(api: Api, raw: str) -> None:
    error = assert_error(api("POST /sessions", "/sessions", raw_body=raw), 400, "VALIDATION_ERROR")
    assert error["details"] == [{"field": "body", "issue": "must be a JSON object"}]


def test_oversized_body_is_413(api: Api) -> None:
    body = json.dumps({"sourceLanguage": "en", "padding": "x" * 20_000})
    assert_error(api("POST /sessions", "/sessions", raw_body=body), 413, "PAYLOAD_TOO_LARGE")


def test_base64_encoded_body_is_decoded(api: Api) -> None:
    response = api("POST /sessions", "/sessions", body={"sourceLanguage": "de"}, base64_body=True)
    assert response.status == 201
    assert response.body["sourceLanguage"] == "de"


def test_missing_authorizer_claims_is_401_even_if_a_route_lost_its_authorizer(api: Api) -> None:
    assert_error(api.create(sub=None), 401, "UNAUTHORIZED")


def test_creation_is_rate_limited_per_user_with_retry_after(api: Api) -> None:
    for _ in range(10):
        assert api.create().status == 201
    limited = api.create()
    assert_error(limited, 429, "RATE_LIMITED")
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert api.create(sub=OTHER_SPEAKER).status == 201


def test_session_ids_are_unique_and_collisions_retry(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    service = handler.dependencies().sessions
    ids = iter(["holy-grace-111", "holy-grace-111", "holy-grace-111", "holy-grace-222"])
    monkeypatch.setattr(service, "new_session_id", lambda: next(ids))
    first = api.create()
    second, calls = api.count_calls(lambda: api.create(sub=OTHER_SPEAKER))
    assert first.body["sessionId"] == "holy-grace-111"
    assert second.body["sessionId"] == "holy-grace-222"
    assert calls["TransactWriteItems"] == 3  # two collisions, then success


def test_exhausted_id_space_is_a_clean_503(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    api.create()
    taken = api("GET /sessions", "/sessions").body["sessions"][0]["sessionId"]
    monkeypatch.setattr(handler.dependencies().sessions, "new_session_id", lambda: taken)
    assert_error(api.create(sub=OTHER_SPEAKER), 503, "SERVICE_UNAVAILABLE")


# --- GET /sessions/{id} (tasks 15.4-15.5) ----------------------------------------------------


def test_get_session_is_public(api: Api) -> None:
    session_id = api.create().body["sessionId"]
    response = api("GET /sessions/{sessionId}", f"/sessions/{session_id}", sub=None)
    assert response.status == 200
    assert response.body["sessionId"] == session_id
    assert {"status", "sourceLanguage", "listenerCount"} <= set(response.body)


def test_unknown_session_is_404_with_clear_message(api: Api) -> None:
    error = assert_error(
        api("GET /sessions/{sessionId}", "/sessions/holy-light-999", sub=None), 404, "SESSION_NOT_FOUND"
    )
    assert "holy-light-999" in error["message"]


@pytest.mark.parametrize("session_id", ["abc", "Holy-Light-123", "holy-light-12", "holy_light_123", "a-b-c-d"])
def test_malformed_session_id_is_400(api: Api, session_id: str) -> None:
    assert_error(api("GET /sessions/{sessionId}", f"/sessions/{session_id}", sub=None), 400, "INVALID_SESSION_ID")


# --- PATCH /sessions/{id} (tasks 15.6-15.7) ---------------------------------------------------


def patch(api: Api, session_id: str, body: Any, sub: str = SPEAKER) -> Response:
    return api("PATCH /sessions/{sessionId}", f"/sessions/{session_id}", body=body, sub=sub)


def test_owner_can_pause_and_resume(api: Api) -> None:
    session_id = api.create().body["sessionId"]
    paused = patch(api, session_id, {"status": "paused"})
    assert paused.status == 200
    assert paused.body["status"] == "paused"
    assert paused.body["version"] == 2
    resumed = patch(api, session_id, {"status": "active"})
    assert resumed.body["status"] == "active"
    assert resumed.body["version"] == 3
    assert resumed.body["updatedAt"] >= paused.body["updatedAt"]


def test_owner_can_change_settings(api: Api) -> None:
    session_id = api.create().body["sessionId"]
    response = patch(api, session_id, {"sourceLanguage": "ja", "qualityTier": "premium"})
    assert response.status == 200
    assert (response.body["sourceLanguage"], response.body["qualityTier"]) == ("ja", "premium")
    assert api("GET /sessions/{sessionId}", f"/sessions/{session_id}").body["sourceLanguage"] == "ja"


def test_patch_by_someone_else_is_403_and_changes_nothing(api: Api) -> None:
    session = api.create().body
    assert_error(patch(api, session["sessionId"], {"status": "paused"}, sub=OTHER_SPEAKER), 403, "FORBIDDEN")
    assert api("GET /sessions/{sessionId}", f"/sessions/{session['sessionId']}").body == session


def test_patch_unknown_session_is_404(api: Api) -> None:
    assert_error(patch(api, "holy-light-999", {"status": "paused"}), 404, "SESSION_NOT_FOUND")


def test_ending_by_patch_is_terminal(api: Api) -> None:
    session_id = api.create().body["sessionId"]
    ended = patch(api, session_id, {"status": "ended"})
    assert ended.status == 200
    assert ended.body["status"] == "ended"
    assert ended.body["endedAt"] is not None
    for change in ({"status": "active"}, {"status": "paused"}, {"status": "ended"}, {"sourceLanguage": "fr"}):
        assert_error(patch(api, session_id, change), 409, "INVALID_STATUS_TRANSITION")


@pytest.mark.parametrize(
    "body",
    [{}, {"status": "stopped"}, {"status": None}, {"status": 1}, {"sourceLanguage": "xx"}, {"listenerCount": 5}],
)
def test_invalid_patch_bodies_are_400(api: Api, body: dict[str, Any]) -> None:
    session_id = api.create().body["sessionId"]
    assert_error(patch(api, session_id, body), 400, "VALIDATION_ERROR")


def test_concurrent_patches_lose_no_update(api_racing: Api) -> None:
    api = api_racing
    session_id = api.create().body["sessionId"]
    bodies = [{"status": "paused"}, {"sourceLanguage": "ko"}, {"qualityTier": "premium"}] * 6
    results: list[int] = []
    threads = [threading.Thread(target=lambda b=b: results.append(patch(api, session_id, b).status)) for b in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [200] * len(bodies)
    final = api("GET /sessions/{sessionId}", f"/sessions/{session_id}").body
    assert (final["status"], final["sourceLanguage"], final["qualityTier"]) == ("paused", "ko", "premium")
    assert final["version"] == 1 + len(bodies)


# --- DELETE /sessions/{id} (tasks 15.8-15.9) -------------------------------------------------


def delete(api: Api, session_id: str, sub: str = SPEAKER) -> Response:
    return api("DELETE /sessions/{sessionId}", f"/sessions/{session_id}", sub=sub)


def test_delete_marks_ended_and_is_idempotent(api: Api) -> None:
    session_id = api.create().body["sessionId"]
    first = delete(api, session_id)
    assert first.status == 204
    assert first.raw["body"] == ""
    stored = api("GET /sessions/{sessionId}", f"/sessions/{session_id}").body
    assert stored["status"] == "ended"
    assert delete(api, session_id).status == 204
    assert api("GET /sessions/{sessionId}", f"/sessions/{session_id}").body == stored


def test_delete_by_someone_else_is_403(api: Api) -> None:
    session_id = api.create().body["sessionId"]
    assert_error(delete(api, session_id, sub=OTHER_SPEAKER), 403, "FORBIDDEN")
    assert api("GET /sessions/{sessionId}", f"/sessions/{session_id}").body["status"] == "active"


def test_delete_unknown_session_is_404(api: Api) -> None:
    assert_error(delete(api, "holy-light-999"), 404, "SESSION_NOT_FOUND")


# --- GET /sessions ----------------------------------------------------------------------------


def list_sessions(api: Api, sub: str = SPEAKER, **query: str) -> Response:
    return api("GET /sessions", "/sessions", query=query or None, sub=sub)


def test_list_returns_only_own_sessions_newest_first(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter(range(1_700_000_000_000, 1_700_000_100_000, 1000))
    monkeypatch.setattr(handler.dependencies().sessions, "clock_ms", lambda: next(clock))
    mine = [api.create().body["sessionId"] for _ in range(3)]
    api.create(sub=OTHER_SPEAKER)
    response = list_sessions(api)
    assert response.status == 200
    assert [s["sessionId"] for s in response.body["sessions"]] == list(reversed(mine))
    assert response.body["nextToken"] is None


def test_list_pages_with_next_token(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    service = handler.dependencies().sessions
    monkeypatch.setattr(service, "policy", replace(service.policy, create_limit_per_minute=100))
    created = {api.create().body["sessionId"] for _ in range(7)}
    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        query = {"limit": "3", **({"nextToken": token} if token else {})}
        page, calls = api.count_calls(lambda q=query: list_sessions(api, **q))  # type: ignore[misc]
        assert calls == {"Query": 1}
        seen += [s["sessionId"] for s in page.body["sessions"]]
        pages += 1
        token = page.body["nextToken"]
        if token is None:
            break
    assert sorted(seen) == sorted(created)
    assert pages >= 3


def test_next_token_cannot_be_used_by_another_user(api: Api) -> None:
    for _ in range(3):
        api.create()
    token = list_sessions(api, limit="1").body["nextToken"]
    assert token
    assert_error(list_sessions(api, sub=OTHER_SPEAKER, nextToken=token), 400, "INVALID_NEXT_TOKEN")


@pytest.mark.parametrize("token", ["garbage", "e30", "eyJ2IjoxfQ", "!!!!", "x" * 600])
def test_forged_next_token_is_400(api: Api, token: str) -> None:
    assert_error(list_sessions(api, nextToken=token), 400, "INVALID_NEXT_TOKEN")


def test_list_filters_by_status(api: Api) -> None:
    active = api.create().body["sessionId"]
    ended = api.create().body["sessionId"]
    delete(api, ended)
    assert [s["sessionId"] for s in list_sessions(api, status="ended").body["sessions"]] == [ended]
    assert [s["sessionId"] for s in list_sessions(api, status="active").body["sessions"]] == [active]


def test_a_filtered_page_is_full_even_behind_many_sessions_of_other_statuses(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DynamoDB applies Limit before the filter: 25 ended sessions in front of 3 active ones used
    to give empty pages of active sessions that still carried a nextToken."""
    service = handler.dependencies().sessions
    monkeypatch.setattr(service, "policy", replace(service.policy, create_limit_per_minute=100))
    clock = iter(range(1_700_000_000_000, 1_700_000_100_000, 1000))
    monkeypatch.setattr(service, "clock_ms", lambda: next(clock))
    active = [api.create().body["sessionId"] for _ in range(3)]
    for _ in range(25):
        delete(api, api.create().body["sessionId"])
    first = list_sessions(api, status="active", limit="2").body
    assert [s["sessionId"] for s in first["sessions"]] == active[:0:-1]
    rest = list_sessions(api, status="active", limit="2", nextToken=first["nextToken"]).body
    assert [s["sessionId"] for s in rest["sessions"]] == active[:1]
    assert rest["nextToken"] is None
    ended, calls = api.count_calls(lambda: list_sessions(api, status="ended", limit="5"))
    assert len(ended.body["sessions"]) == 5 and ended.body["nextToken"] and calls == {"Query": 1}
    pages, token = [], None
    while True:
        page = list_sessions(api, status="ended", limit="10", **({"nextToken": token} if token else {})).body
        pages.append(len(page["sessions"]))
        if not (token := page["nextToken"]):
            break
    assert pages == [10, 10, 5]


@pytest.mark.parametrize(
    "query",
    [
        {"limit": "0"},
        {"limit": "101"},
        {"limit": "ten"},
        {"limit": "-1"},
        {"status": "gone"},
        {"page": "2"},
        {"limit": "\u00b2"},
        {"limit": "\u0661\u0662"},  # str.isdigit digits: "²" made int() fail (500)
    ],
)
def test_list_rejects_bad_query_parameters(api: Api, query: dict[str, str]) -> None:
    assert_error(list_sessions(api, **query), 400, "VALIDATION_ERROR")


def test_list_requires_a_caller(api: Api) -> None:
    assert_error(list_sessions(api, sub=None), 401, "UNAUTHORIZED")  # type: ignore[arg-type]


# --- GET /health --------------------------------------------------------------------------------


def test_health_reports_dependencies(api: Api) -> None:
    response = api("GET /health", "/health", sub=None)
    assert response.status == 200
    body = response.body
    assert body["status"] == "healthy"
    assert body["version"] == "9.9.9"
    assert body["environment"] == "test"
    assert body["checks"]["dynamodb"]["status"] == "healthy"
    assert body["checks"]["dynamodb"]["latencyMs"] >= 0
    assert body["responseTimeMs"] >= body["checks"]["dynamodb"]["latencyMs"]


def test_health_is_503_when_dynamodb_is_down(api: Api) -> None:
    boto3.client("dynamodb").delete_table(TableName=ENVIRONMENT["SESSIONS_TABLE_NAME"])
    response = api("GET /health", "/health", sub=None)
    assert response.status == 503
    assert response.body["status"] == "unhealthy"
    assert response.body["checks"]["dynamodb"]["status"] == "unhealthy"
    assert ENVIRONMENT["SESSIONS_TABLE_NAME"] not in response.raw["body"]


# --- errors, correlation ids, logs (task 15.10) ------------------------------------------------


def test_throttled_dynamodb_is_503_and_logged_without_aws_text(api: Api, capsys: pytest.CaptureFixture[str]) -> None:
    inject_error("TransactWriteItems", "ProvisionedThroughputExceededException", 400)
    assert_error(api.create(), 503, "SERVICE_UNAVAILABLE")
    logs = capsys.readouterr().out
    assert '"aws_error_code": "ProvisionedThroughputExceededException"' in logs
    assert ENVIRONMENT["SESSIONS_TABLE_NAME"] not in logs


def test_dynamodb_failure_is_500_and_logged_with_context(api: Api, capsys: pytest.CaptureFixture[str]) -> None:
    session_id = api.create().body["sessionId"]
    capsys.readouterr()
    inject_error("GetItem", "InternalServerError", 500)
    assert_error(api("GET /sessions/{sessionId}", f"/sessions/{session_id}"), 500, "INTERNAL_ERROR")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    failure = next(line for line in lines if line.get("event") == "dependency_call_failed")
    assert failure["operation"] == "GetItem"
    assert failure["correlation_id"]
    assert failure["route"] == "GET /sessions/{sessionId}"


def test_unexpected_exception_is_500_without_trace(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*_: Any, **__: Any) -> None:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(handler.dependencies().sessions, "get", explode)
    response = api("GET /sessions/{sessionId}", "/sessions/holy-light-123")
    assert_error(response, 500, "INTERNAL_ERROR")
    assert "secret internal detail" not in response.raw["body"]


def test_valid_correlation_id_is_honoured_and_echoed(api: Api, capsys: pytest.CaptureFixture[str]) -> None:
    response = api.create(headers={"X-Correlation-Id": "frontend-req-0001"})
    assert response.headers["X-Correlation-Id"] == "frontend-req-0001"
    assert '"correlation_id": "frontend-req-0001"' in capsys.readouterr().out
    error = assert_error(api.create("xx", headers={"X-Correlation-Id": "frontend-req-0002"}), 400, "VALIDATION_ERROR")
    assert error["correlationId"] == "frontend-req-0002"


@pytest.mark.parametrize("bad", ["short", "has spaces in it", "x" * 200, "<script>alert(1)</script>"])
def test_invalid_correlation_id_is_replaced(api: Api, bad: str) -> None:
    response = api.create(headers={"X-Correlation-Id": bad})
    assert response.headers["X-Correlation-Id"] != bad
    assert re.fullmatch(r"[0-9a-f-]{36}", response.headers["X-Correlation-Id"])


def test_unknown_route_is_404(api: Api) -> None:
    assert_error(api("PUT /sessions", "/sessions", body={}), 404, "ROUTE_NOT_FOUND")


def test_authorization_header_never_reaches_logs(api: Api, capsys: pytest.CaptureFixture[str]) -> None:
    token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    api.create(headers={"Authorization": f"Bearer {token}"})
    api.create("xx", headers={"Authorization": f"Bearer {token}"})
    assert token not in capsys.readouterr().out


# --- metrics ------------------------------------------------------------------------------------


def emf_documents(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith('{"_aws"')]


def test_creation_and_end_emit_emf_metrics(api: Api, capsys: pytest.CaptureFixture[str]) -> None:
    session_id = api.create("pt").body["sessionId"]
    delete(api, session_id)
    docs = emf_documents(capsys.readouterr().out)
    creation = next(d for d in docs if "SessionCreationCount" in d)
    directive = creation["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "Babelcast/Test"
    assert sorted(directive["Dimensions"][0]) == ["Environment", "SourceLanguage"]
    assert creation["SourceLanguage"] == "pt"
    ended = next(d for d in docs if "SessionDuration" in d)
    assert ended["SessionDeletionCount"] == 1
    assert ended["SessionDuration"] >= 0
    assert any("SessionCreationDuration" in d for d in docs)


# --- AWS calls per operation ---------------------------------------------------------------------


def test_aws_calls_per_operation(api: Api) -> None:
    created, create_calls = api.count_calls(api.create)
    session_id = created.body["sessionId"]
    _, get_calls = api.count_calls(lambda: api("GET /sessions/{sessionId}", f"/sessions/{session_id}"))
    _, patch_calls = api.count_calls(lambda: patch(api, session_id, {"status": "paused"}))
    _, delete_calls = api.count_calls(lambda: delete(api, session_id))
    _, list_calls = api.count_calls(lambda: list_sessions(api))
    assert create_calls == {"TransactWriteItems": 1}  # the session and its count against the limit
    assert get_calls == {"GetItem": 1}
    assert patch_calls == {"UpdateItem": 1}
    assert sum(delete_calls.values()) <= 2
    assert delete_calls == {"UpdateItem": 1}
    assert list_calls == {"Query": 1}
    measured = {
        "POST /sessions": create_calls,
        "GET /sessions/{id}": get_calls,
        "PATCH /sessions/{id}": patch_calls,
        "DELETE /sessions/{id}": delete_calls,
        "GET /sessions (per page)": list_calls,
    }
    for operation, calls in measured.items():
        record("AWS calls per HTTP operation", operation, dict(calls))
