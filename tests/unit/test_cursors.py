"""List cursors (``nextToken``) are opaque and tamper-evident (issue 10, failures 2 and 3): a
cursor whose position holds a non-ASCII digit, any changed character of a genuine cursor, one made
for another user or filter, one past its age and one signed by a key the deployment no longer
lists are all ``400 INVALID_NEXT_TOKEN``; a key rotation keeps pages in flight working."""

from __future__ import annotations

import base64
import json
import string

import pytest
from babelcast.domain.pagination import CURSOR_MAX_AGE_SECONDS, CursorCodec
from babelcast.settings import forget_settings
from http_api import handler

from tests.support.http_events import OTHER_SPEAKER, SPEAKER
from tests.support.http_harness import ENVIRONMENT, Api, Response, assert_error

OLD_KEY = "an-older-key-that-is-long-enough-0123456789"


def page(api: Api, sub: str = SPEAKER, **query: str) -> Response:
    return api("GET /sessions", "/sessions", query=query or None, sub=sub)


def first_cursor(api: Api, **query: str) -> str:
    for _ in range(3):
        api.create()
    token = page(api, limit="1", **query).body["nextToken"]
    assert isinstance(token, str)
    return token


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_a_position_with_a_non_ascii_digit_is_400_not_500(api: Api) -> None:
    """The issue's cursor: the unsigned JSON the function used to issue, its position set to a
    superscript two. It passed ``str.isdigit()`` and DynamoDB refused the key (500)."""
    session_id = api.create().body["sessionId"]
    for position in ("\u00b2", "\u0663", "1\uff10"):
        forged = _b64(json.dumps({"v": 1, "s": session_id, "p": SPEAKER, "c": position}).encode())
        assert_error(page(api, nextToken=forged), 400, "INVALID_NEXT_TOKEN")


def test_every_changed_character_of_a_genuine_cursor_is_refused(api: Api) -> None:
    token = first_cursor(api)
    assert page(api, limit="1", nextToken=token).status == 200
    alphabet = string.ascii_letters + string.digits + "-_"
    refused = 0
    for index, char in enumerate(token):
        changed = token[:index] + alphabet[(alphabet.index(char) + 1) % len(alphabet)] + token[index + 1 :]
        assert_error(page(api, limit="1", nextToken=changed), 400, "INVALID_NEXT_TOKEN")
        refused += 1
    for shortened in (token[:-1], token[1:], token + "A"):
        assert_error(page(api, limit="1", nextToken=shortened), 400, "INVALID_NEXT_TOKEN")
    assert refused == len(token)


def test_a_cursor_says_nothing_a_client_could_read_or_edit(api: Api) -> None:
    token = first_cursor(api)
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    assert SPEAKER.encode() not in raw, "the caller's id is bound by the signature, not carried"
    with pytest.raises(ValueError):
        json.loads(raw)


def test_a_cursor_is_bound_to_its_user_and_status_filter(api: Api) -> None:
    token = first_cursor(api)
    assert_error(page(api, sub=OTHER_SPEAKER, nextToken=token), 400, "INVALID_NEXT_TOKEN")
    assert_error(page(api, nextToken=token, status="active"), 400, "INVALID_NEXT_TOKEN")
    filtered = first_cursor(api, status="active")
    assert page(api, nextToken=filtered, status="active").status == 200
    assert_error(page(api, nextToken=filtered), 400, "INVALID_NEXT_TOKEN")


def test_a_cursor_expires(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    token = first_cursor(api)
    codec = handler.dependencies().sessions.cursors
    assert codec is not None
    now = codec.clock()
    monkeypatch.setattr(codec, "clock", lambda: now + CURSOR_MAX_AGE_SECONDS + 1)
    assert_error(page(api, nextToken=token), 400, "INVALID_NEXT_TOKEN")
    monkeypatch.setattr(codec, "clock", lambda: now + CURSOR_MAX_AGE_SECONDS - 60)
    assert page(api, nextToken=token).status == 200


def _restart_with_keys(monkeypatch: pytest.MonkeyPatch, keys: str) -> None:
    """A new deployment of the function with another key list (a cold start reads it)."""
    monkeypatch.setenv("CURSOR_SIGNING_KEYS", keys)
    forget_settings()
    handler.dependencies.cache_clear()


def test_rotating_the_key_keeps_pages_in_flight_then_retires_the_old_key(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    _restart_with_keys(monkeypatch, OLD_KEY)
    in_flight = first_cursor(api)
    current = ENVIRONMENT["CURSOR_SIGNING_KEYS"]
    _restart_with_keys(monkeypatch, f"{current},{OLD_KEY}")  # step 1: the new key first, the old one kept
    assert page(api, limit="1", nextToken=in_flight).status == 200, "a page in flight goes on"
    fresh = page(api, limit="1").body["nextToken"]
    _restart_with_keys(monkeypatch, current)  # step 2, after the cursor lifetime: the old key removed
    assert_error(page(api, limit="1", nextToken=in_flight), 400, "INVALID_NEXT_TOKEN")
    assert page(api, limit="1", nextToken=fresh).status == 200, "cursors of the new key are unaffected"


def test_the_codec_refuses_short_keys() -> None:
    with pytest.raises(ValueError, match="32"):
        CursorCodec.from_keys(["too-short"])
