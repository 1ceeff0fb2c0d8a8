"""How the local gateway reads a REQUEST authorizer's result: anything that is not a policy
document and a context map is the authorizer breaking its contract (500 on $connect, as on AWS),
never a crash of the gateway; resources match with IAM's wildcards only."""

from __future__ import annotations

from typing import Any

import pytest
from babelcast_devstack.ws_events import AuthorizerRefused, authorizer_context

ARN = "arn:aws:execute-api:eu-west-1:123456789012:abc123/local/$connect"


def result(statement: Any = None, **extra: Any) -> dict[str, Any]:
    allow = {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": ARN}
    return {
        "principalId": "user-1",
        "policyDocument": {"Version": "2012-10-17", "Statement": [statement or allow]},
        **extra,
    }


def refused(answer: Any) -> int:
    with pytest.raises(AuthorizerRefused) as raised:
        authorizer_context(answer, ARN)
    return raised.value.status


@pytest.mark.parametrize(
    "answer",
    [
        result("x"),  # a statement that is not an object
        {"principalId": "p", "policyDocument": {"Statement": "x"}},
        {"principalId": "p", "policyDocument": ["x"]},
        {"principalId": "p"},  # no policy at all
        result({"Action": 1, "Effect": "Allow", "Resource": ARN}),
        result({"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": [ARN, {"x": 1}]}),
        result(context=[]),
        result(context=""),
        result(context=0),
    ],
    ids=["statement", "statements", "policy", "no policy", "action", "resource", "list", "string", "zero"],
)
def test_a_result_that_breaks_the_contract_is_500(answer: Any) -> None:
    assert refused(answer) == 500


def test_resources_match_with_iam_wildcards_only() -> None:
    def allows(resource: str) -> bool:
        try:
            authorizer_context(result({"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": resource}), ARN)
        except AuthorizerRefused as refusal:
            assert refusal.status == 403
            return False
        return True

    assert allows(ARN) and allows("arn:aws:execute-api:*:*:abc123/*") and allows(ARN.replace("$connect", "$connec?"))
    assert not allows(ARN.replace("abc123", "[a]bc123"))  # fnmatch's classes are not IAM's
    assert not allows(ARN.replace("local", "loca"))
    assert authorizer_context(result(context=None), ARN) == {"principalId": "user-1"}
