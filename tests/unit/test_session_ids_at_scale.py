"""Session ids stay unique at scale: the generator plus the conditional put, through the domain
service on an in-process DynamoDB (moto). A tiny vocabulary forces collisions to prove the retry,
and an exhausted one gives a clean 503 with nothing written."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace

import boto3
import pytest
from babelcast.domain import sessions as sessions_module
from babelcast.domain.session_records import InsertOutcome, Quota
from babelcast.domain.sessions import SessionPolicy, SessionService
from babelcast.errors import SessionIdsExhausted
from babelcast.integration.sessions_table import SessionsTable
from babelcast.metrics import Metrics
from babelcast.models import CreateSessionRequest, Session
from babelcast.session_ids import SessionIdGenerator, is_valid_session_id
from http_api import handler
from moto import mock_aws

from tests.support.http_harness import ENVIRONMENT, Api
from tests.support.report import record
from tests.support.tables import SESSIONS_TABLE

CREATES = 10_000
TABLE = "ids-at-scale"


class CountingTable(SessionsTable):
    """The real table; counts the conditional puts refused because the id was taken."""

    collisions = 0

    def insert(self, session: Session, quota: Quota | None = None) -> InsertOutcome:
        outcome = super().insert(session, quota)
        self.collisions += outcome is InsertOutcome.ID_TAKEN
        return outcome


@pytest.fixture
def table() -> Iterator[CountingTable]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(TableName=TABLE, **SESSIONS_TABLE)
        yield CountingTable(TABLE, client)


def service(table: CountingTable, generator: SessionIdGenerator, attempts: int = 5) -> SessionService:
    # creation is rate limited per speaker; these tests are about ids, not the limit
    policy = SessionPolicy(supported_languages=("en",), create_limit_per_minute=None, max_id_attempts=attempts)
    return SessionService(table, policy, Metrics("Babelcast/Test", {}), new_session_id=generator)


def stored_ids(table: CountingTable) -> list[str]:
    ids: list[str] = []
    for page in table.client.get_paginator("scan").paginate(TableName=TABLE, ProjectionExpression="sessionId"):
        ids += [item["sessionId"]["S"] for item in page["Items"]]
    return ids


REQUEST = CreateSessionRequest.model_validate({"sourceLanguage": "en"}, context={"supported_languages": ("en",)})


class PutIfAbsent:
    """DynamoDB's ``attribute_not_exists(sessionId)`` put, in memory: 10 000 creations against moto
    take minutes on a loaded 2-core machine; the conditional put itself is exercised against
    moto by the tiny-vocabulary tests below."""

    def __init__(self) -> None:
        self.items: dict[str, Session] = {}
        self.collisions = 0

    def insert(self, session: Session, quota: Quota | None = None) -> InsertOutcome:
        if session.session_id in self.items:
            self.collisions += 1
            return InsertOutcome.ID_TAKEN
        self.items[session.session_id] = session
        return InsertOutcome.CREATED


class QuietLog:
    def __init__(self) -> None:
        self.warnings: list[str] = []

    def info(self, event: str, **_: object) -> None:
        pass

    def warning(self, event: str, **_: object) -> None:
        self.warnings.append(event)


def test_ten_thousand_creations_give_unique_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the real vocabulary (202 500 ids), 10 000 sessions make ~250 birthday collisions:
    every one is retried with a new id, and no id is ever given twice."""
    store, log = PutIfAbsent(), QuietLog()
    monkeypatch.setattr(sessions_module, "_log", log)
    policy = SessionPolicy(supported_languages=("en",), create_limit_per_minute=None)
    sessions = SessionService(store, policy, Metrics("Babelcast/Test", {}))  # type: ignore[arg-type]
    started = time.perf_counter()
    created = [sessions.create(f"speaker-{index % 500}", REQUEST) for index in range(CREATES)]
    seconds = time.perf_counter() - started
    record("session ids", f"{CREATES} creations, domain level (s)", round(seconds, 1))
    record("session ids", f"id collisions retried in {CREATES} creations", store.collisions)
    ids = [session.session_id for session in created]
    assert len(set(ids)) == CREATES
    assert all(is_valid_session_id(session_id) for session_id in ids)
    assert {i: s.speaker_id for i, s in store.items.items()} == {s.session_id: s.speaker_id for s in created}
    assert store.collisions > 0, "collisions happen at this scale (P(none) ~ e^-250)"
    assert log.warnings == ["session_id_collision"] * store.collisions, "each collision was retried"


def test_a_tiny_vocabulary_forces_collisions_that_are_retried(table: CountingTable) -> None:
    tiny = SessionIdGenerator(adjectives=("holy",), nouns=("light",), lowest_number=100, highest_number=139)
    sessions = service(table, tiny, attempts=200)  # enough attempts that filling 30 of 40 ids cannot fail
    created = [sessions.create("speaker", REQUEST).session_id for _ in range(30)]
    assert len(set(created)) == 30
    assert sorted(stored_ids(table)) == sorted(created)
    assert table.collisions > 0


def test_an_exhausted_vocabulary_is_refused_with_nothing_written(table: CountingTable) -> None:
    tiny = SessionIdGenerator(adjectives=("holy",), nouns=("light",), lowest_number=100, highest_number=104)
    sessions = service(table, tiny, attempts=500)
    created = {sessions.create("speaker", REQUEST).session_id for _ in range(tiny.capacity)}
    assert created == {f"holy-light-{n}" for n in range(100, 105)}
    before = sorted(stored_ids(table))
    attempts = table.collisions
    with pytest.raises(SessionIdsExhausted):
        service(table, tiny, attempts=5).create("another-speaker", REQUEST)
    assert table.collisions - attempts == 5, "gave up after max_id_attempts tries"
    assert sorted(stored_ids(table)) == before
    items = table.client.scan(TableName=TABLE)["Items"]
    assert {item["speakerId"]["S"] for item in items} == {"speaker"}, "no item overwritten by the refused caller"


def test_exhaustion_through_the_http_api_is_a_clean_503(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """POST /sessions when every id of a (forced) one-id vocabulary is taken: 503 with a stable code
    and a correlation id, no AWS text, and the one stored session untouched."""
    deps = handler.dependencies()
    one = SessionIdGenerator(adjectives=("holy",), nouns=("light",), lowest_number=100, highest_number=100)
    monkeypatch.setattr(deps.sessions, "new_session_id", one)
    monkeypatch.setattr(deps.sessions, "policy", replace(deps.sessions.policy, max_id_attempts=3))
    first = api.create()
    assert (first.status, first.body["sessionId"]) == (201, "holy-light-100")
    refused, calls = api.count_calls(lambda: api.create("fr", sub="someone-else"))
    assert refused.status == 503
    assert refused.body["code"] == "SERVICE_UNAVAILABLE"
    assert refused.body["correlationId"] == refused.headers["X-Correlation-Id"]
    assert ENVIRONMENT["SESSIONS_TABLE_NAME"] not in refused.raw["body"]
    assert calls["TransactWriteItems"] == 3
    items = boto3.client("dynamodb").scan(TableName=ENVIRONMENT["SESSIONS_TABLE_NAME"])["Items"]
    assert [(i["sessionId"]["S"], i["speakerId"]["S"], i["sourceLanguage"]["S"]) for i in items] == [
        ("holy-light-100", first.body["speakerId"], "en")
    ]
    monkeypatch.setattr(deps.sessions, "new_session_id", SessionIdGenerator())
    assert api.create("fr", sub="someone-else").status == 201, "a plain retry succeeds once ids are free"
