"""The shared package's building blocks: settings, session ids, cursors, metrics, log scrubbing."""

from __future__ import annotations

import io
import json

import pytest
from babelcast.domain.pagination import CursorCodec
from babelcast.errors import InvalidNextToken
from babelcast.logging import scrub
from babelcast.metrics import Metrics
from babelcast.session_ids import ADJECTIVES, NOUNS, SessionIdGenerator, is_valid_session_id
from babelcast.settings import HttpApiSettings, SettingsError

from tests.support.http_harness import ENVIRONMENT


def test_settings_parse_the_function_environment() -> None:
    settings = HttpApiSettings.from_environment(ENVIRONMENT)
    assert settings.sessions_table_name == "babelcast-test-sessions"
    assert settings.supported_languages[:3] == ("en", "es", "fr")
    assert len(settings.supported_languages) == 19
    assert settings.create_rate_limit_per_minute == 10


def test_settings_errors_name_variables_but_not_values() -> None:
    broken = {**ENVIRONMENT, "SESSION_TTL_HOURS": "forever", "SUPPORTED_LANGUAGES": "en,ENGLISH"}
    del broken["SESSIONS_TABLE_NAME"]
    with pytest.raises(SettingsError) as raised:
        HttpApiSettings.from_environment(broken)
    message = str(raised.value)
    assert "SESSIONS_TABLE_NAME" in message
    assert "SESSION_TTL_HOURS" in message
    assert "SUPPORTED_LANGUAGES" in message
    assert "forever" not in message


def test_settings_are_not_read_when_the_handler_is_imported() -> None:
    import subprocess
    import sys

    code = "import os; os.environ.clear(); import http_api.handler as h; print(h.lambda_handler.__name__)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "lambda_handler"


def test_session_ids_follow_the_vocabulary() -> None:
    generate = SessionIdGenerator()
    for _ in range(500):
        session_id = generate()
        adjective, noun, number = session_id.split("-")
        assert adjective in ADJECTIVES
        assert noun in NOUNS
        assert 100 <= int(number) <= 999
        assert is_valid_session_id(session_id)
    assert generate.capacity == 15 * 15 * 900


def test_vocabulary_is_extensible_and_validated() -> None:
    generate = SessionIdGenerator(adjectives=("golden",), nouns=("eagle",), lowest_number=1000, highest_number=1000)
    assert generate() == "golden-eagle-1000"
    with pytest.raises(ValueError, match="lowercase"):
        SessionIdGenerator(adjectives=("Bad Word",))


def test_next_token_round_trips_for_its_owner_only() -> None:
    codec = CursorCodec.from_keys([ENVIRONMENT["CURSOR_SIGNING_KEYS"]])
    key = {"sessionId": "holy-grace-123", "speakerId": "user-1", "createdAt": "1700000000000"}
    token = codec.encode(key, "user-1", None)
    assert "user-1" not in token
    assert codec.decode(token, "user-1", None) == key
    with pytest.raises(InvalidNextToken):
        codec.decode(token, "user-2", None)
    with pytest.raises(InvalidNextToken):
        codec.decode(codec.encode({**key, "sessionId": "bad id"}, "user-1", None), "user-1", None)


def test_metrics_are_emitted_as_embedded_metric_format() -> None:
    stream = io.StringIO()
    metrics = Metrics("Babelcast/Test", {"Environment": "test"}, stream=stream)
    metrics.add("SessionCreationCount", 1, dimensions={"SourceLanguage": "en"})
    metrics.add("SessionCreationDuration", 12.5, unit="Milliseconds")
    metrics.add("SessionCreationDuration", 7.5, unit="Milliseconds")
    metrics.flush()
    documents = [json.loads(line) for line in stream.getvalue().splitlines()]
    by_dimensions = {tuple(d["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0]): d for d in documents}
    counted = by_dimensions[("Environment", "SourceLanguage")]
    assert counted["SessionCreationCount"] == 1.0
    assert counted["SourceLanguage"] == "en"
    timed = by_dimensions[("Environment",)]
    assert timed["SessionCreationDuration"] == [12.5, 7.5]
    assert timed["_aws"]["CloudWatchMetrics"][0]["Metrics"] == [
        {"Name": "SessionCreationDuration", "Unit": "Milliseconds"}
    ]
    metrics.flush()
    assert len(stream.getvalue().splitlines()) == len(documents), "flush must not repeat metrics"


def test_scrub_removes_tokens_from_anything_logged() -> None:
    jwt = "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJlLWJ5dGVz"
    cleaned = scrub({"note": f"token={jwt}", "nested": [f"Bearer {jwt}"], "n": 3})
    text = json.dumps(cleaned)
    assert jwt not in text
    assert cleaned["n"] == 3
