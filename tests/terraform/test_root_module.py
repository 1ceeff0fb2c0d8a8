"""The real local environment root (terraform/environments/local, which calls the module):
fmt, validate every configuration, then apply onto an embedded moto server, inspect what was
created through the AWS APIs, plan again (no changes), destroy."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from babelcast_devstack.cors_origins import declared_origins
from babelcast_devstack.terraform import Terraform
from babelcast_devstack.terraform_state import managed_resources

from tests.support.report import record
from tests.support.terraform_runs import ROOT, Deployment, applied, package, terraform_env
from tests.support.terraform_source import functions, http_routes

pytestmark = pytest.mark.terraform
ALARM_SUBSCRIPTION = {"protocol": "email", "endpoint": "oncall@example.com"}
REPORT = "terraform onto moto (seconds)"


def test_terraform_fmt_is_clean() -> None:
    result = subprocess.run(
        ["terraform", "fmt", "-check", "-recursive", "-diff", str(ROOT / "terraform")],
        env=terraform_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout


ENVIRONMENT_ROOTS = sorted(
    str(p.parent.relative_to(ROOT)) for p in (ROOT / "terraform" / "environments").glob("*/main.tf")
)
EXAMPLES = sorted(str(p.parent.relative_to(ROOT)) for p in (ROOT / "terraform" / "examples").glob("*/main.tf"))


def test_every_environment_root_commits_its_lock_file() -> None:
    assert {Path(r).name for r in ENVIRONMENT_ROOTS} == {"local", "dev", "staging", "prod"}
    for root in ENVIRONMENT_ROOTS:
        lock = (ROOT / root / ".terraform.lock.hcl").read_text()
        assert 'provider "registry.terraform.io/hashicorp/aws"' in lock, root
        # hashes of every platform the registry publishes, not only of this machine's mirror
        assert lock.count('"zh:') >= 10, root


@pytest.mark.parametrize("directory", ["terraform", *ENVIRONMENT_ROOTS, *EXAMPLES])
def test_terraform_validate(directory: str, tmp_path: Path) -> None:
    env = {**terraform_env(), "TF_DATA_DIR": str(tmp_path / ".terraform")}
    # An environment root's committed lock file must satisfy its constraints as it is.
    lockfile = ["-lockfile=readonly"] if directory in ENVIRONMENT_ROOTS else []
    for args in (["init", "-backend=false", "-input=false", *lockfile], ["validate"]):
        result = subprocess.run(
            ["terraform", *args, "-no-color"],
            cwd=ROOT / directory,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
    if directory not in ENVIRONMENT_ROOTS:  # a module or an example locks nothing: its caller does
        (ROOT / directory / ".terraform.lock.hcl").unlink(missing_ok=True)


@pytest.fixture(scope="module")
def applied_local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    base = tmp_path_factory.mktemp("tf")
    artifacts = package(base / "dist")

    def prepare(terraform: Terraform) -> None:
        # as an operator would add a subscription; the zips of this run
        terraform.override_module("tests", artifacts_dir=str(artifacts), alarm_subscriptions=[ALARM_SUBSCRIPTION])

    with applied(base, "environments/local", prepare, report=REPORT) as deployment:
        yield deployment


@pytest.fixture
def deployment(applied_local: Deployment) -> Deployment:
    return applied_local.standing()


def test_outputs_name_the_stack(deployment: Deployment) -> None:
    outputs = deployment.outputs
    for name in (
        "http_api_url",
        "http_api_id",
        "user_pool_id",
        "user_pool_client_id",
        "sessions_table_name",
        "rate_limits_table_name",
        "jwt_issuer",
    ):
        assert outputs.get(name), name
    assert outputs["sessions_table_name"] == "babelcast-local-sessions"
    assert outputs["jwt_issuer"] == f"https://cognito-idp.us-east-1.amazonaws.com/{outputs['user_pool_id']}"


def test_the_state_file_reads_as_terraform_shows_it(deployment: Deployment) -> None:
    """`make dev` reads outputs and resources from the state file (seconds faster than `terraform
    output` and `show -json`): the same values."""
    outputs, state = deployment.terraform.local_state()
    assert outputs == deployment.terraform.outputs()

    def values(shown: dict[str, Any]) -> dict[str, list[str]]:
        by_type = managed_resources(shown["values"]["root_module"])
        return {kind: sorted(json.dumps(v, sort_keys=True) for v in found) for kind, found in by_type.items()}

    assert values(state) == values(deployment.terraform.state())


def test_sessions_table_has_speaker_index_ttl_stream_pitr_and_encryption(deployment: Deployment) -> None:
    dynamodb = deployment.client("dynamodb")
    name = deployment.outputs["sessions_table_name"]
    table = dynamodb.describe_table(TableName=name)["Table"]
    assert table["KeySchema"] == [{"AttributeName": "sessionId", "KeyType": "HASH"}]
    indexes = {i["IndexName"]: i for i in table["GlobalSecondaryIndexes"]}
    assert indexes["by-speaker"]["KeySchema"] == [
        {"AttributeName": "speakerId", "KeyType": "HASH"},
        {"AttributeName": "createdAt", "KeyType": "RANGE"},
    ]
    assert indexes["by-speaker"]["Projection"]["ProjectionType"] == "ALL"
    assert table["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table.get("SSEDescription", {}).get("Status") in {"ENABLED", None}  # moto omits AWS-owned SSE
    ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "ttl")
    backups = dynamodb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"


def test_rate_limits_table_expires_counters(deployment: Deployment) -> None:
    dynamodb = deployment.client("dynamodb")
    name = deployment.outputs["rate_limits_table_name"]
    assert dynamodb.describe_table(TableName=name)["Table"]["KeySchema"][0]["AttributeName"] == "limitKey"
    ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "ttl")


def test_http_routes_and_their_authorization_are_as_declared(deployment: Deployment) -> None:
    api = deployment.client("apigatewayv2")
    api_id = deployment.outputs["http_api_id"]
    routes = {r["RouteKey"]: r for r in api.get_routes(ApiId=api_id)["Items"]}
    assert set(routes) == set(http_routes())
    authorizer_ids = {r.get("AuthorizerId") for r in routes.values() if r.get("AuthorizationType") == "JWT"}
    assert len(authorizer_ids) == 1
    for key, declared in http_routes().items():
        assert routes[key]["AuthorizationType"] == declared["authorization"], key
    authorizer = api.get_authorizer(ApiId=api_id, AuthorizerId=authorizer_ids.pop())
    assert authorizer["AuthorizerType"] == "JWT"
    assert authorizer["IdentitySource"] == ["$request.header.Authorization"]
    assert authorizer["JwtConfiguration"]["Issuer"] == deployment.outputs["jwt_issuer"]
    assert authorizer["JwtConfiguration"]["Audience"] == [deployment.outputs["user_pool_client_id"]]


def test_http_api_cors_and_stage(deployment: Deployment) -> None:
    api = deployment.client("apigatewayv2")
    api_id = deployment.outputs["http_api_id"]
    described = api.get_api(ApiId=api_id)
    assert described["ProtocolType"] == "HTTP"
    local_origins = declared_origins(ROOT / "terraform" / "environments" / "local")
    assert "http://localhost:5173" in local_origins and "http://127.0.0.1:3000" in local_origins  # dev servers
    assert sorted(described["CorsConfiguration"]["AllowOrigins"]) == sorted(local_origins)
    assert "*" not in described["CorsConfiguration"]["AllowOrigins"]
    stage = api.get_stage(ApiId=api_id, StageName="$default")
    assert stage["AutoDeploy"] is True
    assert stage["DefaultRouteSettings"]["ThrottlingBurstLimit"] > 0
    log_format = stage["AccessLogSettings"]["Format"]
    assert "$context.requestId" in log_format
    for leaky in ("querystring", "rawQueryString", "$context.authorizer.claims", "header.Authorization"):
        assert leaky.lower() not in log_format.lower()


def test_functions_have_declared_handler_runtime_and_environment(deployment: Deployment) -> None:
    lam = deployment.client("lambda")
    deployed = deployment.outputs["functions"]
    assert set(deployed) == set(functions())
    for key, declared in functions().items():
        config = lam.get_function_configuration(FunctionName=deployed[key]["function_name"])
        assert config["Handler"] == declared["handler"]
        assert config["Runtime"] == "python3.12"
        assert config["Timeout"] == declared["timeout"]
        assert config["MemorySize"] == declared["memory_size"]
        assert config["TracingConfig"]["Mode"] == "Active"  # X-Ray, lambda_tracing_mode's default
        environment = config["Environment"]["Variables"]
        assert set(environment) == set(declared["environment"])
        assert environment["ENVIRONMENT"] == "local"
        if "SESSIONS_TABLE_NAME" in environment:
            assert environment["SESSIONS_TABLE_NAME"] == deployment.outputs["sessions_table_name"]
        if "SUPPORTED_LANGUAGES" in environment:
            assert len(environment["SUPPORTED_LANGUAGES"].split(",")) == 19
        if "CONNECTIONS_ENDPOINT" in environment:  # https, with the stage: what boto3 needs
            assert environment["CONNECTIONS_ENDPOINT"] == deployment.outputs["websocket_management_endpoint"]
            assert environment["CONNECTIONS_ENDPOINT"].startswith("https://")


def test_function_role_grants_only_declared_table_actions(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    lam = deployment.client("lambda")
    function_name = deployment.outputs["functions"]["http_api"]["function_name"]
    role_name = lam.get_function_configuration(FunctionName=function_name)["Role"].rsplit("/", 1)[-1]
    actions: set[str] = set()
    resources: set[str] = set()
    for policy_name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]
        document = json.loads(document) if isinstance(document, str) else document
        for statement in document["Statement"]:
            listed = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            actions.update(listed)
            if all(action.startswith("xray:") for action in listed):
                continue  # X-Ray has no resource-level permissions: its statement must say "*"
            resources.update(
                statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            )
    assert not [a for a in actions if "*" in a], "wildcard actions granted"
    assert not [r for r in resources if r == "*"], "wildcard resources granted"
    assert {a for a in actions if a.startswith("dynamodb:")} == {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:Query",
    }


def test_local_app_client_allows_password_login_for_scripts(deployment: Deployment) -> None:
    cognito = deployment.client("cognito-idp")
    client = cognito.describe_user_pool_client(
        UserPoolId=deployment.outputs["user_pool_id"], ClientId=deployment.outputs["user_pool_client_id"]
    )["UserPoolClient"]
    assert "ALLOW_USER_PASSWORD_AUTH" in client["ExplicitAuthFlows"]
    assert not client.get("ClientSecret")


def _alarms(deployment: Deployment) -> dict[str, dict[str, Any]]:
    pages = (
        deployment.client("cloudwatch").get_paginator("describe_alarms").paginate(AlarmNamePrefix="babelcast-local-")
    )
    return {alarm["AlarmName"]: alarm for page in pages for alarm in page["MetricAlarms"]}


def _queried_metrics(alarm: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Metric-math alarm: query id => {namespace, name, dimensions, stat} of each metric it reads."""
    return {
        query["Id"]: {
            "namespace": query["MetricStat"]["Metric"]["Namespace"],
            "name": query["MetricStat"]["Metric"]["MetricName"],
            "dimensions": {d["Name"]: d["Value"] for d in query["MetricStat"]["Metric"]["Dimensions"]},
            "stat": query["MetricStat"]["Stat"],
        }
        for query in alarm.get("Metrics", [])
        if "MetricStat" in query
    }


def _expression(alarm: dict[str, Any]) -> str:
    returned = [q for q in alarm["Metrics"] if q.get("ReturnData") and "Expression" in q]
    assert len(returned) == 1, alarm["AlarmName"]
    expression: str = returned[0]["Expression"]
    return expression


def test_alarms_watch_the_declared_metrics_and_notify_the_topic(deployment: Deployment) -> None:
    alarms = _alarms(deployment)
    outputs = deployment.outputs
    assert sorted(alarms) == outputs["alarm_names"]
    http = {"ApiId": outputs["http_api_id"], "Stage": "$default"}
    environment_only = {"Environment": "local"}
    prefix = "babelcast-local-"

    five_xx = alarms[prefix + "http-5xx-rate-critical"]
    assert (five_xx["Threshold"], five_xx["ComparisonOperator"]) == (5, "GreaterThanThreshold")
    assert _queried_metrics(five_xx) == {
        "errors": {"namespace": "AWS/ApiGateway", "name": "5xx", "dimensions": http, "stat": "Sum"},
        "requests": {"namespace": "AWS/ApiGateway", "name": "Count", "dimensions": http, "stat": "Sum"},
    }
    assert "100 * FILL(errors, 0) / FILL(requests, 0)" in _expression(five_xx)

    for severity, threshold in (("critical", 2000), ("warning", 1000)):
        latency = alarms[f"{prefix}http-latency-p95-{severity}"]
        assert (latency["Namespace"], latency["MetricName"], latency["ExtendedStatistic"]) == (
            "AWS/ApiGateway",
            "Latency",
            "p95",
        )
        assert {d["Name"]: d["Value"] for d in latency["Dimensions"]} == http
        assert (latency["Threshold"], latency["ComparisonOperator"]) == (threshold, "GreaterThanThreshold")

    connect = alarms[prefix + "websocket-connect-failure-rate-warning"]
    assert (connect["Threshold"], connect["ComparisonOperator"]) == (5, "GreaterThanThreshold")
    namespace = "Babelcast/Sessions"
    assert _queried_metrics(connect) == {
        "rejected": {
            "namespace": namespace,
            "name": "WebSocketConnectionRejected",
            "dimensions": environment_only,
            "stat": "Sum",
        },
        "accepted": {
            "namespace": namespace,
            "name": "WebSocketConnectionCount",
            "dimensions": environment_only,
            "stat": "Sum",
        },
    }
    assert "100 * FILL(rejected, 0) / (FILL(rejected, 0) + FILL(accepted, 0))" in _expression(connect)

    spike = alarms[prefix + "session-creation-spike-warning"]
    assert (spike["ComparisonOperator"], spike["ThresholdMetricId"]) == ("GreaterThanUpperThreshold", "band")
    assert _queried_metrics(spike) == {
        "creations": {
            "namespace": namespace,
            "name": "SessionCreationCount",
            "dimensions": environment_only,
            "stat": "Sum",
        }
    }
    band = next(q for q in spike["Metrics"] if q["Id"] == "band")
    assert band["Expression"] == "ANOMALY_DETECTION_BAND(creations, 3)"

    lambda_alarms = {name: a for name, a in alarms.items() if "-lambda-errors-" in name}
    for alarm in lambda_alarms.values():
        assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (10, "GreaterThanThreshold")

    # the queue the stream mappings give batches up to: one waiting message is already an alarm
    failures = alarms[prefix + "failure-queue-stream-failures-critical"]
    queue_name = outputs["stream_failures_queue_url"].rsplit("/", 1)[-1]
    assert (failures["Namespace"], failures["MetricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert failures["Dimensions"] == [{"Name": "QueueName", "Value": queue_name}]
    assert (failures["ComparisonOperator"], failures["Threshold"]) == ("GreaterThanThreshold", 0)

    cloudwatch = deployment.client("cloudwatch")
    topic = outputs["alarm_topic_arn"]
    for name, alarm in alarms.items():
        assert alarm["AlarmActions"] == [topic], name
        assert alarm["OKActions"] == [topic], name
        assert alarm["TreatMissingData"] == "notBreaching", name
        assert "docs/operating.md#" in alarm["AlarmDescription"], name
        tags = {t["Key"]: t["Value"] for t in cloudwatch.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"]}
        severity = name.rsplit("-", 1)[1]
        assert severity in {"critical", "warning"}, name
        assert tags["Severity"] == severity, name
        assert outputs["alarms"][name]["severity"] == severity, name
        applied = "anomaly band" if "ThresholdMetricId" in alarm else f"> {alarm['Threshold']:g}"
        queried = sorted(f"{query_id}={m['name']}" for query_id, m in _queried_metrics(alarm).items())
        metrics = alarm.get("MetricName") or " ".join(queried)
        record(
            "alarms applied to the emulator (severity, threshold, metric)", name, f"{severity}, {applied}, {metrics}"
        )


def test_every_declared_function_has_a_lambda_errors_alarm(deployment: Deployment) -> None:
    # derived from functions.tf's local.functions: a function added there is covered, or this fails
    deployed = deployment.outputs["functions"]
    by_function: dict[str, tuple[str, dict[str, Any]] | None] = {}
    for alarm in _alarms(deployment).values():
        if "-lambda-errors-" not in alarm["AlarmName"]:
            continue
        if alarm.get("Metrics"):  # errors minus what the function refused on purpose
            errors = _queried_metrics(alarm)["errors"]
            assert (errors["namespace"], errors["name"], errors["stat"]) == ("AWS/Lambda", "Errors", "Sum")
            by_function[errors["dimensions"]["FunctionName"]] = (_expression(alarm), _queried_metrics(alarm)["refused"])
        else:
            assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == ("AWS/Lambda", "Errors", "Sum")
            by_function[{d["Name"]: d["Value"] for d in alarm["Dimensions"]}["FunctionName"]] = None
    assert set(by_function) == {deployed[key]["function_name"] for key in functions()}
    # A refused token is a Lambda error (the authorizer raises "Unauthorized" for API Gateway's 401):
    # the authorizer's alarm subtracts the refusals it publishes (AuthorizerDecision, EMF dimension
    # set {Decision, Environment}); every other function alarms on its plain Errors.
    refusals = {
        "namespace": "Babelcast/Sessions",
        "name": "AuthorizerDecision",
        "dimensions": {"Decision": "refused", "Environment": "local"},
        "stat": "Sum",
    }
    authorizer = deployed["ws_authorizer"]["function_name"]
    assert by_function.pop(authorizer) == ("errors - FILL(refused, 0)", refusals)
    assert set(by_function.values()) == {None}


def _dashboard_metrics(widget: dict[str, Any]) -> list[tuple[str, str, dict[str, str], str | None]]:
    """(namespace, metric, dimensions, stat) of each metric line of a widget; expressions skipped."""
    lines = []
    for line in widget["properties"].get("metrics", []):
        options = line[-1] if isinstance(line[-1], dict) else {}
        fields = [f for f in line if not isinstance(f, dict)]
        if len(fields) >= 2:
            dimensions = dict(zip(fields[2::2], fields[3::2], strict=True))
            lines.append((fields[0], fields[1], dimensions, options.get("stat")))
    return lines


def test_dashboard_shows_latency_errors_throughput_and_connections(deployment: Deployment) -> None:
    outputs = deployment.outputs
    body = json.loads(
        deployment.client("cloudwatch").get_dashboard(DashboardName=outputs["dashboard_name"])["DashboardBody"]
    )
    widgets = body["widgets"]
    shown = {
        (ns, name, tuple(sorted(dims.items())), stat) for w in widgets for ns, name, dims, stat in _dashboard_metrics(w)
    }
    expressions = [
        line[0]["expression"] for w in widgets for line in w["properties"].get("metrics", []) if "expression" in line[0]
    ]
    http = (("ApiId", outputs["http_api_id"]), ("Stage", "$default"))
    environment = (("Environment", "local"),)
    namespace = "Babelcast/Sessions"

    for stat in ("p50", "p95", "p99"):
        assert ("AWS/ApiGateway", "Latency", http, stat) in shown
    for errors in ("4xx", "5xx"):
        assert ("AWS/ApiGateway", errors, http, "Sum") in shown
        assert any(f"FILL(e{errors}, 0) / requests" in e for e in expressions), errors
    assert ("AWS/ApiGateway", "Count", http, "Sum") in shown
    for key, fn in outputs["functions"].items():
        assert ("AWS/Lambda", "Errors", (("FunctionName", fn["function_name"]),), "Sum") in shown, key
    for metric in (
        "SessionCreationCount",
        "AudioBytes",
        "BroadcastDelivered",
        "BroadcastFailed",
        "WebSocketConnectionCount",
        "WebSocketConnectionRejected",
    ):
        assert (namespace, metric, environment, "Sum") in shown, metric
    assert (namespace, "LiveConnections", environment, "Maximum") in shown
    websocket = (("ApiId", outputs["websocket_api_id"]), ("Stage", outputs["websocket_stage_name"]))
    assert ("AWS/ApiGateway", "ConnectCount", websocket, "Sum") in shown
    assert any('MetricName="WebSocketDisconnectCount"' in e and 'Environment="local"' in e for e in expressions)

    alarm_widgets = [w for w in widgets if w["type"] == "alarm"]
    assert len(alarm_widgets) == 1
    assert sorted(alarm_widgets[0]["properties"]["alarms"]) == sorted(
        a["AlarmArn"] for a in _alarms(deployment).values()
    )


def test_alarm_topic_is_encrypted_publishable_by_cloudwatch_and_subscribed(deployment: Deployment) -> None:
    sns = deployment.client("sns")
    topic = deployment.outputs["alarm_topic_arn"]
    attributes = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    key = deployment.client("kms").describe_key(KeyId=attributes["KmsMasterKeyId"])["KeyMetadata"]
    assert key["KeyManager"] == "CUSTOMER" and key["KeyState"] == "Enabled"
    key_policy = json.loads(deployment.client("kms").get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])
    assert any(
        s["Principal"] == {"Service": "cloudwatch.amazonaws.com"} and "kms:Decrypt" in s["Action"]
        for s in key_policy["Statement"]
    )
    policy = json.loads(attributes["Policy"])
    publish = [s for s in policy["Statement"] if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert len(publish) == 1 and publish[0]["Action"] == "sns:Publish" and publish[0]["Resource"] == topic
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subscriptions] == [tuple(ALARM_SUBSCRIPTION.values())]


def test_second_plan_shows_no_changes(deployment: Deployment) -> None:
    result = deployment.terraform.run("plan", "-detailed-exitcode", check=False, timed="second plan")
    assert result.returncode == 0, result.stdout[-4000:]


def test_resources_carry_the_module_tags_and_region_safe_names(deployment: Deployment) -> None:
    outputs = deployment.outputs
    kinesis = deployment.client("kinesis")
    stream = outputs["streams"]["audio"]["name"]
    tags = {t["Key"]: t["Value"] for t in kinesis.list_tags_for_stream(StreamName=stream)["Tags"]}
    assert {"Project": "babelcast", "Environment": "local", "ManagedBy": "terraform"}.items() <= tags.items()
    # IAM role and dashboard names are global to the account: they carry the region
    for key, fn in outputs["functions"].items():
        assert fn["role_name"].endswith("-us-east-1"), key
        assert deployment.client("iam").get_role(RoleName=fn["role_name"])["Role"]["Arn"] == fn["role_arn"]
    assert outputs["dashboard_name"] == "babelcast-local-us-east-1"


def test_the_api_gateway_account_logs_through_the_created_role(deployment: Deployment) -> None:
    # environments/local sets manage_apigateway_account_logging = true, as a fresh account needs
    role_arn = deployment.outputs["apigateway_cloudwatch_role_arn"]
    assert deployment.client("apigateway").get_account()["cloudwatchRoleArn"] == role_arn
    role = deployment.client("iam").get_role(RoleName=role_arn.rsplit("/", 1)[-1])["Role"]
    document = role["AssumeRolePolicyDocument"]
    document = json.loads(document) if isinstance(document, str) else document
    assert [s["Principal"] for s in document["Statement"]] == [{"Service": "apigateway.amazonaws.com"}]


def test_the_sweeper_schedule_retries_then_parks_in_an_alarmed_queue(deployment: Deployment) -> None:
    outputs = deployment.outputs
    events = deployment.client("events")
    (target,) = events.list_targets_by_rule(Rule="babelcast-local-connection-sweep")["Targets"]
    assert target["Arn"] == outputs["functions"]["connection_sweeper"]["arn"]
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 600}
    queue = outputs["queues"]["schedule_failures"]
    assert target["DeadLetterConfig"] == {"Arn": queue["arn"]}
    policy = json.loads(
        deployment.client("sqs").get_queue_attributes(QueueUrl=queue["url"], AttributeNames=["Policy"])["Attributes"][
            "Policy"
        ]
    )
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Condition"]["ArnEquals"]["aws:SourceArn"].endswith(":rule/babelcast-local-connection-sweep")
    alarm = _alarms(deployment)["babelcast-local-failure-queue-schedule-failures-critical"]
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": queue["name"]}]


def test_destroy_removes_everything(deployment: Deployment) -> None:
    deployment.destroy(REPORT)
    assert deployment.terraform.state().get("values") is None
    tables = deployment.client("dynamodb").list_tables()["TableNames"]
    assert not [t for t in tables if t.startswith("babelcast-local-")]
    assert deployment.client("apigatewayv2").get_apis()["Items"] == []
    assert _alarms(deployment) == {}
    assert deployment.client("cloudwatch").list_dashboards()["DashboardEntries"] == []
    assert deployment.client("sns").list_topics()["Topics"] == []
