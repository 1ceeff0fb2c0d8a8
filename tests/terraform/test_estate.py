"""terraform/examples/estate applied onto the emulator: the module called with for_each (qa and
demo, demo with the estate's own user pool), with count through a second aliased provider (a
standby qa in another region, same name_prefix and environment) and with depends_on. The three
copies must not share a single name; a second plan is empty; destroy leaves nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from babelcast_devstack.terraform import Terraform

from tests.support.terraform_runs import Deployment, applied, package

# three (or one) whole deployments applied in a fixture: far beyond the suite's default per-test timeout
pytestmark = [pytest.mark.terraform, pytest.mark.timeout(1800)]
PRIMARY, STANDBY = "us-east-1", "eu-west-1"
REPORT = "estate example onto moto (seconds)"
COPIES = {"qa": PRIMARY, "demo": PRIMARY, "qa-standby": STANDBY}


@pytest.fixture(scope="module")
def applied_estate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    base = tmp_path_factory.mktemp("estate")
    artifacts = package(base / "dist")

    def prepare(terraform: Terraform) -> None:
        terraform.override("tests", {"variable": {"artifacts_dir": {"default": str(artifacts)}}})

    with applied(base, "examples/estate", prepare, report=REPORT) as deployment:
        yield deployment


@pytest.fixture
def estate(applied_estate: Deployment) -> Deployment:
    return applied_estate.standing()


def _names(deployment: Deployment, region: str) -> dict[str, list[str]]:
    """What exists in one region of the emulator account, by kind."""
    return {
        "tables": deployment.client("dynamodb", region).list_tables()["TableNames"],
        "streams": deployment.client("kinesis", region).list_streams()["StreamNames"],
        "functions": [f["FunctionName"] for f in deployment.client("lambda", region).list_functions()["Functions"]],
        "apis": [a["Name"] for a in deployment.client("apigatewayv2", region).get_apis()["Items"]],
        "topics": [t["TopicArn"] for t in deployment.client("sns", region).list_topics()["Topics"]],
    }


def test_three_copies_each_with_its_own_resources(estate: Deployment) -> None:
    copies: dict[str, Any] = estate.outputs["environments"]
    assert {key: copy["region"] for key, copy in copies.items()} == COPIES
    primary, standby = _names(estate, PRIMARY), _names(estate, STANDBY)
    for kind in ("tables", "streams", "functions", "apis", "topics"):
        # qa and demo side by side in the primary region; qa again, whole, in the standby region
        assert len(primary[kind]) == 2 * len(standby[kind]) > 0, kind
        assert len(set(primary[kind])) == len(primary[kind]), kind
    assert sorted(primary["tables"]) == sorted(
        f"speech-{env}-{table}"
        for env in ("qa", "demo")
        for table in ("sessions", "rate-limits", "connections", "audio-buffer", "catch-up")
    )
    assert sorted(standby["tables"]) == sorted(t for t in primary["tables"] if t.startswith("speech-qa-"))


def test_account_global_names_carry_the_region(estate: Deployment) -> None:
    copies = estate.outputs["environments"]
    # IAM roles and dashboards are global to the account: qa and qa-standby share name_prefix and
    # environment, and still do not collide
    role_names = [name for copy in copies.values() for name in copy["role_names"]]
    assert len(role_names) == len(set(role_names)) == 3 * 8
    assert all(name.endswith(f"-{copies['qa-standby']['region']}") for name in copies["qa-standby"]["role_names"])
    listed = {r["RoleName"] for r in estate.client("iam").list_roles(MaxItems=1000)["Roles"]}
    assert set(role_names) <= listed
    dashboards = [copy["dashboard_name"] for copy in copies.values()]
    assert len(set(dashboards)) == 3
    for key, copy in copies.items():
        listed_here = estate.client("cloudwatch", copy["region"]).list_dashboards()["DashboardEntries"]
        assert copy["dashboard_name"] in {d["DashboardName"] for d in listed_here}, key


def test_demo_signs_in_with_the_estate_pool_and_qa_with_its_own(estate: Deployment) -> None:
    copies = estate.outputs["environments"]
    shared = estate.outputs["shared_user_pool_id"]
    assert copies["demo"]["user_pool_id"] == shared
    assert copies["qa"]["user_pool_id"] not in {shared, copies["qa-standby"]["user_pool_id"]}
    api = estate.client("apigatewayv2")
    demo_api = next(a for a in api.get_apis()["Items"] if a["Name"] == "speech-demo-http")
    (authorizer_id,) = {
        r["AuthorizerId"] for r in api.get_routes(ApiId=demo_api["ApiId"])["Items"] if r.get("AuthorizerId")
    }
    issuer = api.get_authorizer(ApiId=demo_api["ApiId"], AuthorizerId=authorizer_id)["JwtConfiguration"]["Issuer"]
    assert issuer == f"https://cognito-idp.{PRIMARY}.amazonaws.com/{shared}"
    pools = {p["Id"] for p in estate.client("cognito-idp").list_user_pools(MaxResults=60)["UserPools"]}
    assert {shared, copies["qa"]["user_pool_id"]} <= pools


def test_second_plan_of_the_estate_shows_no_changes(estate: Deployment) -> None:
    result = estate.terraform.run("plan", "-detailed-exitcode", check=False, timed="second plan")
    assert result.returncode == 0, result.stdout[-4000:]


def test_destroy_removes_every_copy(estate: Deployment) -> None:
    estate.destroy(REPORT)
    for region in (PRIMARY, STANDBY):
        names = _names(estate, region)
        assert all(not listed for listed in names.values()), (region, names)
