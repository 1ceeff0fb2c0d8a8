"""What Terraform declares: event source mappings and scheduled Lambda targets, read from the
applied state (`terraform show -json`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from babelcast_devstack.terraform_state import first_block, managed_resources


@dataclass(frozen=True)
class EventSourceMapping:
    """An aws_lambda_event_source_mapping on a DynamoDB or Kinesis stream; defaults are AWS's."""

    function_arn: str
    event_source_arn: str
    starting_position: str = "LATEST"
    batch_size: int = 100
    maximum_batching_window_in_seconds: float = 0.0
    enabled: bool = True
    function_response_types: tuple[str, ...] = ()
    bisect_batch_on_function_error: bool = False
    maximum_retry_attempts: int = -1  # -1: retried until the record expires
    maximum_record_age_in_seconds: int = -1
    invoke_identity_arn: str = ""  # the function's execution role: Kinesis records carry it
    uuid: str = ""
    on_failure_destination: str = ""  # SQS queue ARN told about each batch given up on

    @property
    def source(self) -> Literal["dynamodb", "kinesis"] | None:
        service = self.event_source_arn.split(":")[2:3]
        if service == ["dynamodb"] and "/stream/" in self.event_source_arn:
            return "dynamodb"
        return "kinesis" if service == ["kinesis"] else None

    @property
    def report_batch_item_failures(self) -> bool:
        return "ReportBatchItemFailures" in self.function_response_types


@dataclass(frozen=True)
class Schedule:
    """A scheduled aws_cloudwatch_event_rule and one of its Lambda targets."""

    rule_name: str
    rule_arn: str
    schedule_expression: str
    function_arn: str
    enabled: bool = True
    input: str | None = None  # constant JSON the target sends instead of the event
    input_path: str | None = None  # "$.detail"-style path: the target sends that part of the event


Triggers = tuple[list[EventSourceMapping], list[Schedule]]


def function_name(arn: str) -> str:
    return arn.split(":")[6] if arn.count(":") >= 6 else arn


def _optional_int(value: Any, default: int) -> int:
    return default if value is None else int(value)


def triggers_from_terraform_state(state: Mapping[str, Any]) -> Triggers:
    """Event source mappings and scheduled Lambda targets declared in `terraform show -json` output."""
    by_type = managed_resources((state.get("values") or {}).get("root_module") or {})
    functions = {str(v["function_name"]): str(v["arn"]) for v in by_type.get("aws_lambda_function", [])}
    roles = {str(v["arn"]): str(v.get("role") or "") for v in by_type.get("aws_lambda_function", [])}

    def resolve(reference: str, near_arn: str) -> str:
        # A name, an ARN, a partial ARN (account:function:name) or any of them with a version or
        # alias: the local stack runs one unqualified function per name.
        parts = reference.split(":")
        name = parts[parts.index("function") + 1] if "function" in parts[:-1] else parts[0]
        if name in functions:
            return functions[name]
        if reference.startswith("arn:"):
            return ":".join(parts[:7])
        near = near_arn.split(":")
        region, account = (near[3], near[4]) if len(near) > 4 else ("us-east-1", "123456789012")
        return f"arn:aws:lambda:{region}:{account}:function:{name}"

    mappings = []
    for values in by_type.get("aws_lambda_event_source_mapping", []):
        source_arn = values.get("event_source_arn") or ""
        function_arn = resolve(values.get("function_arn") or values.get("function_name") or "", source_arn)
        record_age = _optional_int(values.get("maximum_record_age_in_seconds"), -1)
        destination = first_block((first_block(values.get("destination_config")) or {}).get("on_failure")) or {}
        mappings.append(
            EventSourceMapping(
                function_arn=function_arn,
                event_source_arn=source_arn,
                starting_position=values.get("starting_position") or "LATEST",
                batch_size=int(values.get("batch_size") or 100),
                maximum_batching_window_in_seconds=float(values.get("maximum_batching_window_in_seconds") or 0),
                enabled=values.get("enabled") is not False,
                function_response_types=tuple(values.get("function_response_types") or ()),
                bisect_batch_on_function_error=bool(values.get("bisect_batch_on_function_error")),
                maximum_retry_attempts=_optional_int(values.get("maximum_retry_attempts"), -1),
                # 0 is not a valid age on AWS (-1 or 60..604800): it is what an unset value reads back as
                maximum_record_age_in_seconds=record_age if record_age > 0 else -1,
                invoke_identity_arn=roles.get(function_arn, ""),
                uuid=values.get("uuid") or values.get("id") or "",
                on_failure_destination=destination.get("destination_arn") or "",
            )
        )

    rules = {
        (v.get("event_bus_name") or "default", v.get("name")): v for v in by_type.get("aws_cloudwatch_event_rule", [])
    }
    schedules = []
    for target in by_type.get("aws_cloudwatch_event_target", []):
        rule = rules.get((target.get("event_bus_name") or "default", target.get("rule")))
        target_arn = target.get("arn") or ""
        if not rule or not rule.get("schedule_expression") or ":lambda:" not in target_arn:
            continue  # event-pattern rules and non-Lambda targets are not run locally
        state_value = rule.get("state")
        enabled = state_value != "DISABLED" if state_value else rule.get("is_enabled") is not False
        schedules.append(
            Schedule(
                rule_name=rule["name"],
                rule_arn=rule.get("arn") or "",
                schedule_expression=rule["schedule_expression"],
                function_arn=resolve(target_arn, rule.get("arn") or ""),
                enabled=enabled,
                input=target.get("input") or None,
                input_path=target.get("input_path") or None,
            )
        )
    return mappings, schedules
