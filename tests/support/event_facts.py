"""Field-by-field comparison of an event with the facts in tests/events/facts/ (written from AWS's
documentation and public recorded events; tests/events/README.md says which is which).

``mismatches(event, "websocket_connect", present={...})`` lists every difference: a declared field
missing, of the wrong type or format, with the wrong literal value; an optional field present
when its condition does not hold (or the reverse); a field AWS does not send; two fields that must
be equal and are not; header rules broken. An empty list means the event has AWS's shape."""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

FACTS = Path(__file__).parents[1] / "events" / "facts"
_MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
FORMATS = {
    "aws-id": re.compile(r"^[A-Za-z0-9_-]{15}=$"),
    "clf-time": re.compile(rf"^\d{{2}}/({_MONTHS})/\d{{4}}:\d{{2}}:\d{{2}}:\d{{2}} \+0000$"),
    "account-id": re.compile(r"^\d{12}$"),
    "http-protocol": re.compile(r"^HTTP/\d(\.\d)?$"),
    "connect-method-arn": re.compile(r"^arn:aws:execute-api:[a-z0-9-]+:\d{12}:[A-Za-z0-9]+/[^/]+/\$connect$"),
    "trace-id": re.compile(r"^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$"),
}
_MISSING = object()


@cache
def load(name: str) -> dict[str, Any]:
    """A fact file, with the fields and equalities of the file it ``extends`` merged in."""
    facts: dict[str, Any] = json.loads((FACTS / f"{name}.json").read_text())
    base = facts.get("extends")
    if base:
        parent = load(base.removesuffix(".json"))
        facts["fields"] = {**parent.get("fields", {}), **facts.get("fields", {})}
        facts["same"] = [*parent.get("same", []), *facts.get("same", [])]
    return facts


def sources() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FACTS / "sources.json").read_text())["sources"]
    return loaded


def get(event: Any, path: str) -> Any:
    value = event
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _type_ok(value: Any, kind: str) -> bool:
    checks = {
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
        "array-or-null": lambda v: v is None or isinstance(v, list),
    }
    return checks[kind](value)


def _format_ok(value: Any, name: str) -> bool:
    if name == "epoch-ms":
        return isinstance(value, int) and 1_500_000_000_000 < value < 5_000_000_000_000
    if name == "ip":
        try:
            ipaddress.ip_address(value)
        except ValueError:
            return False
        return True
    return bool(FORMATS[name].match(value))


def _expected(path: str, rule: Mapping[str, Any], present: Iterable[str]) -> bool:
    if "optional" not in rule:
        return True
    return any(path == p or path.startswith(p + ".") for p in present)


def _leaves(value: Mapping[str, Any], fields: Mapping[str, Any], prefix: str = "") -> Iterable[str]:
    """Paths of ``value`` down to declared fields; open maps are not descended into."""
    for key, child in value.items():
        path = f"{prefix}{key}"
        rule = fields.get(path)
        if rule is not None and (rule.get("open") or rule["type"] != "object"):
            yield path
        elif isinstance(child, dict) and any(field.startswith(path + ".") for field in fields):
            yield from _leaves(child, fields, path + ".")
        else:
            yield path


def mismatches(event: Mapping[str, Any], name: str, present: Iterable[str] = ()) -> list[str]:
    facts = load(name)
    fields: dict[str, Any] = facts["fields"]
    present = list(present)
    problems: list[str] = []
    for path, rule in fields.items():
        value = get(event, path)
        wanted = _expected(path, rule, present)
        if value is _MISSING:
            if wanted:
                problems.append(f"{path}: missing (AWS sends it)")
            continue
        if not wanted:
            problems.append(f"{path}: present, but AWS sends it only when {rule['optional']}")
            continue
        if not _type_ok(value, rule["type"]):
            problems.append(f"{path}: {type(value).__name__} {value!r}, AWS sends {rule['type']}")
            continue
        if "value" in rule and value != rule["value"]:
            problems.append(f"{path}: {value!r}, AWS sends {rule['value']!r}")
        if "format" in rule and not _format_ok(value, rule["format"]):
            problems.append(f"{path}: {value!r} is not in AWS's {rule['format']} format")
        entries = rule.get("entries")
        if entries and value is not None:
            items = value.values() if isinstance(value, dict) else value
            wrong = [item for item in items if not _type_ok(item, entries)]
            if wrong:
                problems.append(f"{path}: entries {wrong[:3]!r} are not {entries}")
    for path in _leaves(event, fields):
        if path not in fields:
            problems.append(f"{path}: AWS does not send this field")
    for path in facts.get("absent", []):
        if get(event, path) is not _MISSING:
            problems.append(f"{path}: AWS does not send this field here")
    for first, second in facts.get("same", []):
        if get(event, first) is not _MISSING and get(event, first) != get(event, second):
            problems.append(f"{first} {get(event, first)!r} differs from {second} {get(event, second)!r}")
    problems += header_mismatches(event, facts.get("headers"))
    return problems


def header_mismatches(event: Mapping[str, Any], rules: Mapping[str, Any] | None) -> list[str]:
    if not rules or "headers" not in event:
        return []
    headers: dict[str, str] = event["headers"]
    lowered = {name.lower(): value for name, value in headers.items()}
    problems = []
    if rules.get("case") == "lower":
        problems += [f"header {n!r}: AWS lower-cases header names" for n in headers if n != n.lower()]
    problems += [f"header {n}: missing (AWS adds it)" for n in rules.get("added", []) if n not in headers]
    problems += [f"header {n}: AWS removes it" for n in rules.get("removed", []) if n.lower() in lowered]
    for name, value in rules.get("values", {}).items():
        if headers.get(name) != value:
            problems.append(f"header {name}: {headers.get(name)!r}, AWS sends {value!r}")
    exactly = rules.get("exactly")
    if exactly is not None:
        host = headers.get("Host", "")
        wanted = {name: (host if value == "<host>" else value) for name, value in exactly.items()}
        if headers != wanted:
            problems.append(f"headers {headers!r}: AWS sends exactly {wanted!r}")
    multi = event.get("multiValueHeaders")
    if isinstance(multi, dict) and {n: ",".join(v) for n, v in multi.items()} != headers:
        problems.append("multiValueHeaders and headers disagree")
    if "x-amzn-trace-id" in lowered and not FORMATS["trace-id"].match(lowered["x-amzn-trace-id"]):
        problems.append(f"header x-amzn-trace-id {lowered['x-amzn-trace-id']!r} is not in AWS's format")
    return problems


def is_text_body(content_type: str | None) -> bool:
    """Whether AWS hands a body of this Content-Type over as text (the rule in http_v2_request.json)."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    for pattern in load("http_v2_request")["body"]["text_media_types"]:
        if (pattern.endswith("/*") and media_type.startswith(pattern[:-1])) or media_type == pattern:
            return True
    return False
