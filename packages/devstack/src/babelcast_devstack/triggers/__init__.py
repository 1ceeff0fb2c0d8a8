"""The other two ways our Lambdas are triggered, run locally the way AWS Lambda runs them.

Event source mappings: Lambda polls every shard of a DynamoDB stream or Kinesis data stream and
invokes the function with batches of records, in order, one batch at a time per shard, retrying
(or bisecting) failed batches. Scheduled rules: EventBridge invokes the target function with a
"Scheduled Event" on a rate or cron schedule. Both are read from the applied Terraform state and
run against the emulator, so a function sees locally the events it would see on AWS.

One module per concern: ``declarations`` (what Terraform declares), ``schedules`` (rate and cron
expressions), ``events`` (the events Lambda delivers), ``streams`` (shards and records through the
emulator's API), ``delivery`` (a batch's invocation, retries, bisection, skipping) and ``runner``
(the pollers and timers).
"""

from babelcast_devstack.triggers.declarations import (
    EventSourceMapping,
    Schedule,
    Triggers,
    triggers_from_terraform_state,
)
from babelcast_devstack.triggers.runner import TriggerRunner
from babelcast_devstack.triggers.schedules import Cron, rate_seconds

__all__ = [
    "Cron",
    "EventSourceMapping",
    "Schedule",
    "TriggerRunner",
    "Triggers",
    "rate_seconds",
    "triggers_from_terraform_state",
]
