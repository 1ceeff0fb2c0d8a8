"""Input built to break parsers rather than to pass validation: JSON nested deeper than the
parser's recursion allows (issue 10, failure 1) wherever a function parses untrusted JSON, and
digits that are digits only to Unicode (failure 2). Each answers with its stable error, never a
500, and the function keeps working afterwards."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from broadcast import handler as broadcast_handler

from tests.support.http_harness import Api, assert_error
from tests.support.ws_authorizer_harness import authorize, token
from tests.support.ws_harness import Ws

DEPTH = 5_000  # the 10 KB body: far past json's recursion limit (about 1 000)


def nested(depth: int = DEPTH) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    "raw",
    [nested(), f'{{"sourceLanguage": {nested()}}}', '{"a":' * 2_500 + "1" + "}" * 2_500],
    ids=["arrays", "inside a field", "objects"],
)
def test_deeply_nested_http_bodies_are_malformed_json(api: Api, raw: str) -> None:
    assert_error(api("POST /sessions", "/sessions", raw_body=raw), 400, "MALFORMED_JSON")
    session_id = api.create().body["sessionId"]
    patched = api("PATCH /sessions/{sessionId}", f"/sessions/{session_id}", raw_body=raw)
    assert_error(patched, 400, "MALFORMED_JSON")
    assert api.create().status == 201, "the warm function still serves"


@pytest.mark.parametrize("raw", [nested(), '{"action": "sendAudio", "audioData": ' + nested() + "}"])
def test_deeply_nested_websocket_messages_get_an_error_and_keep_the_socket(ws: Ws, raw: str) -> None:
    speaker = ws.speaker(ws.session())
    [reply] = ws.send(speaker, raw)
    assert (reply["type"], reply["code"], reply["action"]) == ("error", "INVALID_MESSAGE", ""), "it named no action"
    assert ws.send(speaker, {"action": "heartbeat"})[0]["type"] == "heartbeatAck"
    assert speaker.id not in ws.api.closed


def test_a_deeply_nested_translated_segment_is_skipped_not_retried_forever(ws: Ws) -> None:
    """A poison record from the pipeline: logged and skipped like any malformed segment. Crashing
    on it would fail the batch again and again until the record expires."""
    session_id = ws.session()
    listener = ws.listener(session_id)
    prefix = f'{{"sessionId": "{session_id}", "targetLanguage": "es", "payload": '
    deep = prefix + '{"a":' * DEPTH + "1" + "}" * DEPTH + "}"
    fine = json.dumps({"sessionId": session_id, "targetLanguage": "es", "payload": {"text": "hola"}})
    records = [
        {"kinesis": {"data": base64.b64encode(data.encode()).decode(), "sequenceNumber": str(n)}, "eventID": f"e{n}"}
        for n, data in enumerate((deep, fine))
    ]
    assert broadcast_handler.lambda_handler({"Records": records}, None) == {"batchItemFailures": []}
    assert ws.api.types(listener.id) == ["translation"]


def test_a_token_with_a_deeply_nested_header_is_refused_as_unauthorized(fetches: list[str]) -> None:
    header = base64.urlsafe_b64encode(nested().encode()).decode().rstrip("=")
    genuine = token().split(".")
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorize({"sessionId": "holy-light-123", "token": f"{header}.{genuine[1]}.{genuine[2]}"})


def _list(api: Api, **query: str) -> Any:
    return api("GET /sessions", "/sessions", query=query)


UNICODE_DIGITS = {"superscript": "\u00b2", "arabic-indic": "\u0663", "fullwidth": "\uff11\uff10", "mixed": "1\u0660"}


@pytest.mark.parametrize("limit", list(UNICODE_DIGITS.values()), ids=list(UNICODE_DIGITS))
def test_unicode_digits_in_limit_are_400(api: Api, limit: str) -> None:
    assert_error(_list(api, limit=limit), 400, "VALIDATION_ERROR")


def hostile_keys(base: dict[str, Any], many: int, long: int) -> list[dict[str, Any]]:
    """Thousands of unknown keys, one very long key, markup as a key: each a detail that could echo."""
    keys = {**base, **{f"k{n}": 1 for n in range(many)}}
    return [keys, {**base, "B" * long: 1}, {**base, "<script>x</script>": 1}]


def test_validation_details_stay_small_and_name_only_plain_keys(api: Api, ws: Ws) -> None:
    """A reply with a detail per unknown key would pass the 128 KB @connections limit and never
    arrive; a key is named back only when it is a plain identifier (a typo worth fixing)."""
    listener = ws.listener(ws.session(), "es")
    for body in hostile_keys({"action": "changeLanguage", "targetLanguage": "fr"}, 11_000, 20_000):
        [reply] = ws.send(listener, body)
        assert reply["code"] == "VALIDATION_ERROR" and 1 <= len(reply["details"]) <= 10
        assert (
            len(json.dumps(reply)) < 2_000 and "BBBB" not in json.dumps(reply) and "<script>" not in json.dumps(reply)
        )
    for body in hostile_keys({"sourceLanguage": "en"}, 1_000, 15_000):  # bodies of 16 KB at most
        error = assert_error(api("POST /sessions", "/sessions", body=body), 400, "VALIDATION_ERROR")
        assert 1 <= len(error["details"]) <= 10 and len(json.dumps(error)) < 2_000
        assert "BBBB" not in json.dumps(error) and "<script>" not in json.dumps(error)
    odd_names = {"a" * 9_000: "1", "st\u00e4tus": "x", **{f"q{n}": "1" for n in range(30)}}
    listed = api("GET /sessions", "/sessions", query=odd_names)
    error = assert_error(listed, 400, "VALIDATION_ERROR")
    assert len(error["details"]) <= 10 and "aaaa" not in json.dumps(error) and "\\u00e4" not in json.dumps(error)
    [typo] = ws.send(listener, {"action": "changeLanguage", "targetLanguge": "fr"})
    assert {"field": "targetLanguge", "issue": "unknown field"} in typo["details"]
