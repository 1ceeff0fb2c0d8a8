"""The documented least-privilege deployer policy (terraform/deployer-policy.json) grants exactly
what the aws provider calls for every resource type the module creates, plus what the preflight
reads: no more, no less, and never a service-wide wildcard."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.support.deployer_actions import ACTIONS, PREFLIGHT
from tests.support.report import record
from tests.support.terraform_source import TERRAFORM

POLICY = TERRAFORM / "deployer-policy.json"
# Actions AWS authorises on no resource ARN at all: only these may be granted on "*".
WITHOUT_RESOURCE_LEVEL = {
    "sts:GetCallerIdentity",
    "kms:CreateKey",
    "cognito-idp:CreateUserPool",
    "lambda:GetAccountSettings",
    "lambda:CreateEventSourceMapping",
    "lambda:GetEventSourceMapping",
    "lambda:UpdateEventSourceMapping",
    "lambda:DeleteEventSourceMapping",
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
}


def _statements() -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = json.loads(POLICY.read_text())["Statement"]
    return statements


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def used_types() -> set[str]:
    """Resource and data source types in the module and its submodules (not examples or roots)."""
    found: set[str] = set()
    for path in [*TERRAFORM.glob("*.tf"), *TERRAFORM.glob("modules/*/*.tf")]:
        for kind, name in re.findall(r'^(resource|data) "(aws_[a-z0-9_]+)"', path.read_text(), re.M):
            found.add(name if kind == "resource" else f"data.{name}")
    return found


def test_every_type_the_module_uses_has_its_provider_calls_listed() -> None:
    assert used_types() - set(ACTIONS) == set(), (
        "add the provider's calls for these types to tests/support/deployer_actions.py"
    )
    assert set(ACTIONS) - used_types() == set(), "the module no longer uses these types: drop them"


def test_the_policy_grants_exactly_what_the_module_and_preflight_need() -> None:
    required = {action for name in used_types() for action in ACTIONS[name]} | set(PREFLIGHT)
    granted = {action for s in _statements() for action in _listed(s["Action"])}
    assert required - granted == set(), "missing from terraform/deployer-policy.json"
    assert granted - required == set(), "granted but never needed"
    assert all(s["Effect"] == "Allow" for s in _statements())
    record("deployer policy (terraform/deployer-policy.json)", "actions", len(granted))
    record("deployer policy (terraform/deployer-policy.json)", "statements", len(_statements()))


def test_no_wildcard_actions_and_star_resources_only_where_aws_has_no_resource_level() -> None:
    for statement in _statements():
        actions = _listed(statement["Action"])
        assert not [a for a in actions if "*" in a], statement["Sid"]
        if "*" in _listed(statement["Resource"]):
            assert set(actions) <= WITHOUT_RESOURCE_LEVEL, statement["Sid"]


def test_named_resources_are_scoped_to_the_name_prefix() -> None:
    for statement in _statements():
        for resource in _listed(statement["Resource"]):
            if statement["Sid"].startswith("Own") and not resource.endswith((":key/*", ":event-source-mapping:*")):
                assert "babelcast-" in resource, (statement["Sid"], resource)
    (passing,) = [s for s in _statements() if _listed(s["Action"]) == ["iam:PassRole"]]
    assert passing["Condition"]["StringEquals"]["iam:PassedToService"] == [
        "lambda.amazonaws.com",
        "apigateway.amazonaws.com",
    ]


def test_tag_conditions_name_tags_the_callers_cannot_override() -> None:
    # A caller's tags may set Project (or any tag of theirs): the policy trusts only tags a module
    # applies last, after the caller's, valued <name>-... (scoped like the names, to babelcast-*).
    modules = "\n".join(p.read_text() for p in TERRAFORM.glob("modules/*/main.tf"))
    conditioned = [s for s in _statements() if "Condition" in s and "StringLike" in s["Condition"]]
    trusted = [(k, v) for s in conditioned for k, v in s["Condition"]["StringLike"].items() if "ResourceTag/" in k]
    assert trusted, "the key statement is conditioned on a resource tag"
    for key, value in trusted:
        tag = key.split("/", 1)[1]
        assert value == "babelcast-*", key
        assert re.search(rf'merge\(var\.tags, \{{ {tag} = "\$\{{var\.name\}}-', modules), tag


def test_every_arn_names_the_aws_partition_for_one_substitution() -> None:
    # docs/deploying.md: another partition replaces arn:aws: everywhere (one substitution)
    for statement in _statements():
        for resource in _listed(statement["Resource"]):
            assert resource == "*" or resource.startswith("arn:aws:"), (statement["Sid"], resource)
