"""The fact files are sourced, and the example events the unit tests use obey them (so a handler
tested on them is tested on AWS's shapes)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support import ws_events
from tests.support.event_facts import FACTS, load, mismatches, sources
from tests.support.http_events import http_event

FACT_FILES = sorted(p.stem for p in FACTS.glob("*.json") if p.stem != "sources")


def cited(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [*value.get("from", []), *(s for v in value.values() for s in cited(v))]
    if isinstance(value, list):
        return [s for v in value for s in cited(v)]
    return []


@pytest.mark.parametrize("name", FACT_FILES)
def test_every_fact_names_sources_that_exist(name: str) -> None:
    facts = json.loads((FACTS / f"{name}.json").read_text())
    for path, rule in facts.get("fields", {}).items():
        assert rule.get("from"), f"{name}: {path} has no source"
    for rule in [*facts.get("results", []), *facts.get("errors", []), *facts.get("rules", [])]:
        assert rule.get("from"), f"{name}: {rule['case']} has no source"
    for fact in facts.get("limits", {}).values():
        assert fact.get("from")
    assert set(cited(facts)) <= set(sources()), f"{name} cites an unknown source"


def test_every_source_is_cited_and_says_what_kind_it_is() -> None:
    used = {s for name in FACT_FILES for s in cited(json.loads((FACTS / f"{name}.json").read_text()))}
    assert used == set(sources())
    assert {source["kind"] for source in sources().values()} <= {"recorded", "documented", "observed", "example"}


def test_the_example_http_event_and_its_builder_obey_the_facts() -> None:
    example = json.loads((Path(__file__).parents[1] / "events" / "http_api_v2_post_sessions.json").read_text())
    assert mismatches(example, "http_v2_request", {"cookies", "body", "requestContext.authorizer"}) == []
    built = http_event("GET /sessions/{sessionId}", "/sessions/a-b-1", sub=None, query={"q": "a b"})
    assert mismatches(built, "http_v2_request", {"cookies", "pathParameters", "queryStringParameters"}) == []
    assert built["rawQueryString"] == "q=a%20b"


def test_the_websocket_event_builders_obey_the_facts() -> None:
    cid = ws_events.new_connection_id()
    authorizer = {"role": "speaker", "userId": "u-1", "sessionId": "s"}
    present = {"requestContext.authorizer", "queryStringParameters", "multiValueQueryStringParameters"}
    assert mismatches(ws_events.connect_event(cid, {"sessionId": "s"}, authorizer), "websocket_connect", present) == []
    message = ws_events.message_event(cid, {"action": "heartbeat"}, authorizer)
    assert mismatches(message, "websocket_message", {"requestContext.authorizer"}) == []
    disconnect = ws_events.disconnect_event(cid, authorizer)
    assert mismatches(disconnect, "websocket_disconnect", {"requestContext.authorizer"}) == []
    assert mismatches(ws_events.authorizer_event({"token": "t"}), "websocket_authorizer_request") == []
    assert load("websocket_connect")["fields"]["requestContext.connectionId"]["format"] == "aws-id"
