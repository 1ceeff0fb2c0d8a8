# What invokes the functions besides the APIs: stream consumers and the sweep schedule.
locals {
  # Function key => stream it consumes.
  stream_consumers = {
    session_events = module.sessions_table.stream_arn
    broadcast      = module.translated_segments_stream.arn
  }

  # Known before the queue exists, for the consumers' policies: the provider takes ~25 s to create
  # a queue (it waits for SQS to be consistent), which would otherwise hold up every function.
  stream_failures_queue_name = "${local.name}-stream-failures"
  stream_failures_queue_arn  = "arn:${local.partition}:sqs:${local.region}:${local.account_id}:${local.stream_failures_queue_name}"

  # Likewise for the schedule's queue, so its policy can be part of the queue itself (below).
  schedule_failures_queue_name = "${local.name}-schedule-failures"
  schedule_failures_queue_arn  = "arn:${local.partition}:sqs:${local.region}:${local.account_id}:${local.schedule_failures_queue_name}"
}

# Where a stream mapping reports a batch it gives up on (after the retries below): the shard and
# sequence numbers, so the records can be inspected or replayed while the stream still holds them.
resource "aws_sqs_queue" "stream_failures" {
  name                      = local.stream_failures_queue_name
  message_retention_seconds = 1209600 # the maximum, 14 days
  sqs_managed_sse_enabled   = true

  tags = local.tags
}

resource "aws_lambda_event_source_mapping" "streams" {
  for_each = local.stream_consumers

  function_name    = module.functions[each.key].arn
  event_source_arn = each.value
  # Only changes made after deployment matter; replaying a day of history would resend stale events.
  starting_position = "LATEST"

  batch_size                         = 100
  maximum_batching_window_in_seconds = 0

  # A failing record is isolated by bisecting and retried at most 3 times instead of blocking its
  # shard until it expires; handlers report the failed records so the rest is not reprocessed.
  bisect_batch_on_function_error = true
  maximum_retry_attempts         = 3
  function_response_types        = ["ReportBatchItemFailures"]

  # Sent with the function's role: see local.stream_failure_statements.
  destination_config {
    on_failure {
      destination_arn = aws_sqs_queue.stream_failures.arn
    }
  }

  tags = local.tags
}

resource "aws_cloudwatch_event_rule" "connection_sweep" {
  name                = "${local.name}-connection-sweep"
  description         = "Runs the WebSocket connection sweeper (${var.environment})"
  schedule_expression = var.connection_sweep_schedule

  tags = local.tags
}

# EventBridge invokes the sweeper asynchronously: an invocation it cannot deliver (throttled,
# function missing or denied) is retried for a while, then parked in this queue, which alarms.
# A failure inside the function is not redelivered here; the next scheduled run sweeps again.
resource "aws_sqs_queue" "schedule_failures" {
  name                      = local.schedule_failures_queue_name
  message_retention_seconds = 1209600 # the maximum, 14 days
  sqs_managed_sse_enabled   = true
  # Inline rather than a separate aws_sqs_queue_policy: the provider waits ~25 s for SQS to be
  # consistent after each, one after the other (the longest path of an apply: `make dev`'s start).
  policy = data.aws_iam_policy_document.schedule_failures.json

  tags = local.tags
}

data "aws_iam_policy_document" "schedule_failures" {
  statement {
    sid       = "ConnectionSweepRuleSends"
    actions   = ["sqs:SendMessage"]
    resources = [local.schedule_failures_queue_arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.connection_sweep.arn]
    }
  }
}

# The policy used to be this separate resource: forget it without destroying it (destroying would
# clear the queue's policy, which the queue itself now sets).
removed {
  from = aws_sqs_queue_policy.schedule_failures

  lifecycle {
    destroy = false
  }
}

resource "aws_cloudwatch_event_target" "connection_sweep" {
  rule = aws_cloudwatch_event_rule.connection_sweep.name
  arn  = module.functions["connection_sweeper"].arn

  # A sweep is worth little once the next one is due: give up after 2 retries or 10 minutes.
  retry_policy {
    maximum_retry_attempts       = 2
    maximum_event_age_in_seconds = 600
  }

  dead_letter_config {
    arn = aws_sqs_queue.schedule_failures.arn
  }
}

resource "aws_lambda_permission" "connection_sweep" {
  statement_id  = "AllowConnectionSweepSchedule"
  action        = "lambda:InvokeFunction"
  function_name = module.functions["connection_sweeper"].function_name
  qualifier     = module.functions["connection_sweeper"].qualifier
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.connection_sweep.arn
}
