"""Checks of the module's inputs without a terraform run: the complete example sets every root
variable, as terraform/README.md says; every submodule refuses the tags the root refuses; the
refusals the authorizer's alarm subtracts are the metric the authorizer publishes."""

from __future__ import annotations

import json
import re

import hcl2
import pytest

from tests.support.terraform_source import TERRAFORM, parsed
from tests.support.ws_authorizer_harness import authorize, token
from tests.unit.conftest import fetches  # noqa: F401 (the authorizer, its issuer's keys served locally)

pytestmark = pytest.mark.terraform


def _variables(directory: str) -> dict[str, dict[str, object]]:
    with (TERRAFORM / directory / "variables.tf").open() as handle:
        return {name.strip('"'): body for block in hcl2.load(handle)["variable"] for name, body in block.items()}


def test_the_complete_example_sets_every_root_variable() -> None:
    with (TERRAFORM / "examples" / "complete" / "main.tf").open() as handle:
        (call,) = [body for block in hcl2.load(handle)["module"] for body in block.values()]
    assert set(_variables(".")) - set(call) == set(), "set these in terraform/examples/complete/main.tf"


def _tag_rules(directory: str) -> list[str]:
    """The tags variable's validations, as written."""
    text = (TERRAFORM / directory / "variables.tf").read_text()
    body = re.search(r'^variable "tags" \{\n(.*?)^\}', text, re.M | re.S)
    assert body, directory
    return re.findall(r"^  validation \{\n.*?^  \}", body.group(1), re.M | re.S)


@pytest.mark.parametrize("module", sorted(p.parent.name for p in TERRAFORM.glob("modules/*/variables.tf")))
def test_every_submodule_refuses_the_tags_the_root_refuses(module: str) -> None:
    # HCL cannot share a validation between modules: each repeats the root's, verbatim
    root = _tag_rules(".")
    assert len(root) == 2
    assert _tag_rules(f"modules/{module}") == root


@pytest.mark.usefixtures("fetches")
def test_the_refusals_the_authorizer_alarm_subtracts_are_what_the_authorizer_publishes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(Exception, match=r"^Unauthorized$"):  # a Lambda error: API Gateway's 401
        authorize({"token": token(exp=1)})
    published = set()
    for line in capsys.readouterr().out.splitlines():
        if '"_aws"' in line:
            document = json.loads(line)
            for directive in document["_aws"]["CloudWatchMetrics"]:
                for metric in directive["Metrics"]:
                    for names in directive["Dimensions"]:
                        dimensions = tuple(sorted((n, document[n]) for n in names))
                        published.add((directive["Namespace"], metric["Name"], dimensions))
    (call,) = [block["monitoring"] for block in parsed("monitoring.tf")["module"]]
    refusals = call["lambda_refusals"]["ws_authorizer"]
    # the alarm reads the metric in var.metrics_namespace, with Environment merged in
    dimensions = tuple(sorted({**refusals["dimensions"], "Environment": "test"}.items()))
    assert ("Babelcast/Sessions", refusals["metric_name"], dimensions) in published, sorted(published)
