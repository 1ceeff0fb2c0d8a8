data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  # The provider's region, read from the EC2 endpoint: data.aws_region's name is deprecated in 6.x and
  # its replacement (region) does not exist in 5.x.
  region  = regex("[a-z]{2}(?:-[a-z]+)+-[0-9]+", data.aws_region.current.endpoint)
  runbook = var.runbook_url

  # An existing topic (the estate's own alarm routing) replaces the topic, its key and policy.
  create_topic   = var.topic == null
  create_kms_key = local.create_topic && var.encryption_enabled && var.kms_key_id == null
  topic_kms_key  = local.create_topic && var.encryption_enabled ? coalesce(var.kms_key_id, one(aws_kms_key.topic[*].arn)) : null
  topic_arn      = local.create_topic ? one(aws_sns_topic.alarms[*].arn) : var.topic.arn

  # Each severity notifies the topic, unless the estate routes it elsewhere (alarm_actions_by_severity).
  actions = {
    for severity in ["critical", "warning"] : severity => (
      var.alarm_actions_by_severity[severity] == null ? [local.topic_arn] : concat(
        var.alarm_actions_by_severity[severity].notify_topic ? [local.topic_arn] : [],
        var.alarm_actions_by_severity[severity].actions,
      )
    )
  }
  ok_actions = { for severity, actions in local.actions : severity => var.ok_notifications ? actions : [] }

  # Dashboards are global to the account (their ARN has no region): the region keeps the same
  # name in two regions apart.
  dashboard_name = "${var.name}-${local.region}"

  http_dimensions      = { ApiId = var.http_api.api_id, Stage = var.http_api.stage }
  websocket_dimensions = { ApiId = var.websocket_api.api_id, Stage = var.websocket_api.stage }
  # The service's rollups: every custom metric the alarms read carries this dimension set alone.
  environment_dimensions = { Environment = var.environment }

  latency = {
    critical = var.alarms.http_latency_p95_critical
    warning  = var.alarms.http_latency_p95_warning
  }

  spike        = var.alarms.session_creation_spike
  spike_static = local.spike.detection == "static"
}

# A customer-managed key: CloudWatch alarms cannot publish to a topic encrypted with the
# AWS-managed alias/aws/sns, whose key policy does not let them use it and cannot be changed.
resource "aws_kms_key" "topic" {
  count = local.create_kms_key ? 1 : 0

  description             = "Encrypts the ${var.name} alarm topic"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_key_deletion_window_days
  # A key policy: "*" is the key itself. The account administers the key through IAM; CloudWatch
  # alarms may use it to publish to the topic.
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministers"
        Effect    = "Allow"
        Principal = { AWS = "arn:${data.aws_partition.current.partition}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "CloudWatchAlarmsPublish"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
      },
    ]
  })

  # AlarmTopic, applied last, is the module's own: the deployer policy (terraform/deployer-policy.json)
  # lets the deployer manage keys by it, whatever Project tag the caller's tags set.
  tags = merge(var.tags, { AlarmTopic = "${var.name}-alarms" })
}

resource "aws_kms_alias" "topic" {
  count = local.create_kms_key ? 1 : 0

  name          = "alias/${var.name}-alarms"
  target_key_id = aws_kms_key.topic[0].key_id
}

resource "aws_sns_topic" "alarms" {
  count = local.create_topic ? 1 : 0

  name              = "${var.name}-alarms"
  display_name      = "${var.name} alarms"
  kms_master_key_id = local.topic_kms_key

  tags = var.tags
}

data "aws_iam_policy_document" "topic" {
  count = local.create_topic ? 1 : 0

  statement {
    sid = "AccountUses"
    actions = [
      "sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic", "sns:Publish", "sns:Subscribe",
    ]
    resources = [local.topic_arn]

    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${local.account_id}:root"]
    }
  }

  # Only this account's alarms may publish.
  statement {
    sid       = "CloudWatchAlarmsPublish"
    actions   = ["sns:Publish"]
    resources = [local.topic_arn]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${data.aws_partition.current.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:*"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_sns_topic_policy" "alarms" {
  count = local.create_topic ? 1 : 0

  arn    = aws_sns_topic.alarms[0].arn
  policy = data.aws_iam_policy_document.topic[0].json
}

resource "aws_sns_topic_subscription" "this" {
  for_each = { for s in var.subscriptions : "${s.protocol}:${s.endpoint}" => s }

  topic_arn = aws_sns_topic.alarms[0].arn
  protocol  = each.value.protocol
  endpoint  = each.value.endpoint
}

# Every alarm notifies the topic (or its severity's actions) when it fires and when it recovers
# (unless ok_notifications is false). Missing data is not a breach: no traffic means no errors and no latency to speak of.

resource "aws_cloudwatch_metric_alarm" "http_5xx_rate" {
  alarm_name          = "${var.name}-http-5xx-rate-critical"
  alarm_description   = "Critical: more than ${var.alarms.http_5xx_rate.threshold}% of HTTP API requests failed with 5xx (${var.alarms.http_5xx_rate.datapoints_to_alarm} of ${var.alarms.http_5xx_rate.evaluation_periods} periods of ${var.alarms.http_5xx_rate.period}s, at least ${var.alarms.http_5xx_rate.minimum_requests} requests). Check the http_api function's errors and logs (correlation ids), then roll back or fix. Runbook: ${local.runbook}#http-5xx-rate-critical"
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alarms.http_5xx_rate.threshold
  evaluation_periods  = var.alarms.http_5xx_rate.evaluation_periods
  datapoints_to_alarm = var.alarms.http_5xx_rate.datapoints_to_alarm
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions["critical"]
  ok_actions          = local.ok_actions["critical"]

  metric_query {
    id          = "rate"
    label       = "5xx rate (%)"
    expression  = "IF(FILL(requests, 0) >= ${var.alarms.http_5xx_rate.minimum_requests} AND FILL(requests, 0) > 0, 100 * FILL(errors, 0) / FILL(requests, 0), 0)"
    return_data = true
  }

  metric_query {
    id = "errors"

    metric {
      namespace   = "AWS/ApiGateway"
      metric_name = "5xx"
      dimensions  = local.http_dimensions
      period      = var.alarms.http_5xx_rate.period
      stat        = "Sum"
    }
  }

  metric_query {
    id = "requests"

    metric {
      namespace   = "AWS/ApiGateway"
      metric_name = "Count"
      dimensions  = local.http_dimensions
      period      = var.alarms.http_5xx_rate.period
      stat        = "Sum"
    }
  }

  tags = merge(var.tags, { Severity = "critical" })
}

resource "aws_cloudwatch_metric_alarm" "http_latency_p95" {
  for_each = local.latency

  alarm_name          = "${var.name}-http-latency-p95-${each.key}"
  alarm_description   = "${title(each.key)}: HTTP API p95 latency above ${each.value.threshold} ms (${each.value.datapoints_to_alarm} of ${each.value.evaluation_periods} periods of ${each.value.period}s). Compare Latency with the http_api function's Duration, check DynamoDB throttling and the slow requests' logs (correlation ids). Runbook: ${local.runbook}#http-latency-p95-${each.key}"
  namespace           = "AWS/ApiGateway"
  metric_name         = "Latency"
  dimensions          = local.http_dimensions
  extended_statistic  = "p95"
  period              = each.value.period
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.threshold
  evaluation_periods  = each.value.evaluation_periods
  datapoints_to_alarm = each.value.datapoints_to_alarm
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions[each.key]
  ok_actions          = local.ok_actions[each.key]

  tags = merge(var.tags, { Severity = each.key })
}

resource "aws_cloudwatch_metric_alarm" "websocket_connect_failure_rate" {
  alarm_name          = "${var.name}-websocket-connect-failure-rate-warning"
  alarm_description   = "Warning: more than ${var.alarms.websocket_connect_failure_rate.threshold}% of WebSocket $connect attempts were refused (${var.alarms.websocket_connect_failure_rate.datapoints_to_alarm} of ${var.alarms.websocket_connect_failure_rate.evaluation_periods} periods of ${var.alarms.websocket_connect_failure_rate.period}s, at least ${var.alarms.websocket_connect_failure_rate.minimum_requests} attempts). Break WebSocketConnectionRejected down by Reason and read the ws_connect logs. Runbook: ${local.runbook}#websocket-connect-failure-rate-warning"
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alarms.websocket_connect_failure_rate.threshold
  evaluation_periods  = var.alarms.websocket_connect_failure_rate.evaluation_periods
  datapoints_to_alarm = var.alarms.websocket_connect_failure_rate.datapoints_to_alarm
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions["warning"]
  ok_actions          = local.ok_actions["warning"]

  metric_query {
    id          = "rate"
    label       = "Connect failure rate (%)"
    expression  = "IF(FILL(rejected, 0) + FILL(accepted, 0) >= ${var.alarms.websocket_connect_failure_rate.minimum_requests} AND FILL(rejected, 0) + FILL(accepted, 0) > 0, 100 * FILL(rejected, 0) / (FILL(rejected, 0) + FILL(accepted, 0)), 0)"
    return_data = true
  }

  metric_query {
    id = "rejected"

    metric {
      namespace   = var.metrics_namespace
      metric_name = "WebSocketConnectionRejected"
      dimensions  = local.environment_dimensions
      period      = var.alarms.websocket_connect_failure_rate.period
      stat        = "Sum"
    }
  }

  metric_query {
    id = "accepted"

    metric {
      namespace   = var.metrics_namespace
      metric_name = "WebSocketConnectionCount"
      dimensions  = local.environment_dimensions
      period      = var.alarms.websocket_connect_failure_rate.period
      stat        = "Sum"
    }
  }

  tags = merge(var.tags, { Severity = "warning" })
}

# A function that raises errors on purpose (lambda_refusals: the WebSocket authorizer answers 401
# only by raising "Unauthorized") alarms on its errors minus the ones it counted as refusals, so
# forged tokens from anyone page no one; every other function alarms on its plain Errors.
resource "aws_cloudwatch_metric_alarm" "lambda_errors" {
  for_each = var.lambda_functions

  alarm_name          = "${var.name}-lambda-errors-${replace(each.key, "_", "-")}-critical"
  alarm_description   = "Critical: function ${each.value} (${each.key}) reported more than ${var.alarms.lambda_errors.threshold} errors (unhandled exceptions, timeouts, out of memory${contains(keys(var.lambda_refusals), each.key) ? "; refusals it counts in ${var.lambda_refusals[each.key].metric_name} are subtracted" : ""}) in ${var.alarms.lambda_errors.datapoints_to_alarm} of ${var.alarms.lambda_errors.evaluation_periods} periods of ${var.alarms.lambda_errors.period}s. Read its ERROR log lines (correlation ids) and recent deployments. Runbook: ${local.runbook}#lambda-errors-critical"
  namespace           = contains(keys(var.lambda_refusals), each.key) ? null : "AWS/Lambda"
  metric_name         = contains(keys(var.lambda_refusals), each.key) ? null : "Errors"
  dimensions          = contains(keys(var.lambda_refusals), each.key) ? null : { FunctionName = each.value }
  statistic           = contains(keys(var.lambda_refusals), each.key) ? null : "Sum"
  period              = contains(keys(var.lambda_refusals), each.key) ? null : var.alarms.lambda_errors.period
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alarms.lambda_errors.threshold
  evaluation_periods  = var.alarms.lambda_errors.evaluation_periods
  datapoints_to_alarm = var.alarms.lambda_errors.datapoints_to_alarm
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions["critical"]
  ok_actions          = local.ok_actions["critical"]

  dynamic "metric_query" {
    for_each = contains(keys(var.lambda_refusals), each.key) ? [1] : []

    content {
      id          = "unexpected"
      label       = "Errors not counted as refusals"
      expression  = "errors - FILL(refused, 0)"
      return_data = true
    }
  }

  dynamic "metric_query" {
    for_each = contains(keys(var.lambda_refusals), each.key) ? [1] : []

    content {
      id = "errors"

      metric {
        namespace   = "AWS/Lambda"
        metric_name = "Errors"
        dimensions  = { FunctionName = each.value }
        period      = var.alarms.lambda_errors.period
        stat        = "Sum"
      }
    }
  }

  dynamic "metric_query" {
    for_each = contains(keys(var.lambda_refusals), each.key) ? [var.lambda_refusals[each.key]] : []

    content {
      id = "refused"

      metric {
        namespace   = var.metrics_namespace
        metric_name = metric_query.value.metric_name
        dimensions  = merge(metric_query.value.dimensions, local.environment_dimensions)
        period      = var.alarms.lambda_errors.period
        stat        = "Sum"
      }
    }
  }

  tags = merge(var.tags, { Severity = "critical", Function = each.key })
}

# Nothing should ever wait in a failure queue: each message is work the service gave up on
# (a session change or translated segment that reached no listener).
resource "aws_cloudwatch_metric_alarm" "failure_queue" {
  for_each = var.failure_queues

  alarm_name          = "${var.name}-failure-queue-${replace(each.key, "_", "-")}-critical"
  alarm_description   = "Critical: ${each.value} (${each.key}) holds messages: work was given up on after its retries. Read the messages (they name the stream and the batch), the consumer's ERROR log lines, then redrive or discard them. Runbook: ${local.runbook}#failure-queue-critical"
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = each.value }
  statistic           = "Maximum"
  period              = 300
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions["critical"]
  ok_actions          = local.ok_actions["critical"]

  tags = merge(var.tags, { Severity = "critical", Queue = each.key })
}

# Anomaly band (default): learns the usual creation rate per hour of day and day of week, so it
# needs no tuning per environment but about two weeks of history before it is reliable; it only
# fires above the band. Static: a fixed number of creations per period.
resource "aws_cloudwatch_metric_alarm" "session_creation_spike" {
  alarm_name          = "${var.name}-session-creation-spike-warning"
  alarm_description   = "Warning: sessions are being created ${local.spike_static ? "more than ${local.spike.threshold} times per ${local.spike.period}s" : "above the expected band (${local.spike.band_width} standard deviations)"} in ${local.spike.datapoints_to_alarm} of ${local.spike.evaluation_periods} periods: a client retry loop, abuse or a launch. Check SessionCreationRateLimited, the top speakers in the http_api logs and the HTTP 4xx rate. Runbook: ${local.runbook}#session-creation-spike-warning"
  comparison_operator = local.spike_static ? "GreaterThanThreshold" : "GreaterThanUpperThreshold"
  threshold           = local.spike_static ? local.spike.threshold : null
  threshold_metric_id = local.spike_static ? null : "band"
  evaluation_periods  = local.spike.evaluation_periods
  datapoints_to_alarm = local.spike.datapoints_to_alarm
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions["warning"]
  ok_actions          = local.ok_actions["warning"]

  # Static: the metric alone. Anomaly: the metric and its band (the band is the threshold).
  dynamic "metric_query" {
    for_each = local.spike_static ? [] : [1]

    content {
      id          = "band"
      label       = "Expected creations"
      expression  = "ANOMALY_DETECTION_BAND(creations, ${local.spike.band_width})"
      return_data = true
    }
  }

  metric_query {
    id          = "creations"
    return_data = true

    metric {
      namespace   = var.metrics_namespace
      metric_name = "SessionCreationCount"
      dimensions  = local.environment_dimensions
      period      = local.spike.period
      stat        = "Sum"
    }
  }

  tags = merge(var.tags, { Severity = "warning" })
}

locals {
  ns  = var.metrics_namespace
  env = ["Environment", var.environment]
  http_metric = [
    "AWS/ApiGateway", "Latency", "ApiId", var.http_api.api_id, "Stage", var.http_api.stage,
  ]
  http_count = ["AWS/ApiGateway", "Count", "ApiId", var.http_api.api_id, "Stage", var.http_api.stage]

  # Widgets are 24 units wide; each row holds two 12-unit graphs.
  widget = { period = 60, region = local.region, view = "timeSeries", stacked = false }

  dashboard_widgets = [
    {
      type = "text", x = 0, y = 0, width = 24, height = 2
      properties = {
        markdown = "## ${var.name}\nHTTP API `${var.http_api.api_id}`, WebSocket API `${var.websocket_api.api_id}` (stage `${var.websocket_api.stage}`), custom metrics `${local.ns}` with Environment=`${var.environment}`. What each alarm means and what to do: [runbook](${local.runbook})."
      }
    },
    {
      type = "alarm", x = 0, y = 2, width = 24, height = 3
      properties = {
        title  = "Alarms"
        alarms = local.alarm_arns
      }
    },
    {
      type = "metric", x = 0, y = 5, width = 12, height = 6
      properties = merge(local.widget, {
        title = "HTTP latency (ms)"
        metrics = [
          concat(local.http_metric, [{ stat = "p50", label = "p50" }]),
          concat(local.http_metric, [{ stat = "p95", label = "p95" }]),
          concat(local.http_metric, [{ stat = "p99", label = "p99" }]),
        ]
        annotations = {
          horizontal = [
            { label = "p95 warning", value = var.alarms.http_latency_p95_warning.threshold },
            { label = "p95 critical", value = var.alarms.http_latency_p95_critical.threshold },
          ]
        }
      })
    },
    {
      type = "metric", x = 12, y = 5, width = 12, height = 6
      properties = merge(local.widget, {
        title = "HTTP error rates (%)"
        metrics = [
          [{ expression = "IF(requests > 0, 100 * FILL(e4xx, 0) / requests, 0)", label = "4xx rate", id = "rate4xx" }],
          [{ expression = "IF(requests > 0, 100 * FILL(e5xx, 0) / requests, 0)", label = "5xx rate", id = "rate5xx" }],
          ["AWS/ApiGateway", "4xx", "ApiId", var.http_api.api_id, "Stage", var.http_api.stage, { id = "e4xx", stat = "Sum", visible = false }],
          ["AWS/ApiGateway", "5xx", "ApiId", var.http_api.api_id, "Stage", var.http_api.stage, { id = "e5xx", stat = "Sum", visible = false }],
          concat(local.http_count, [{ id = "requests", stat = "Sum", visible = false }]),
        ]
        annotations = { horizontal = [{ label = "5xx critical", value = var.alarms.http_5xx_rate.threshold }] }
      })
    },
    {
      type = "metric", x = 0, y = 11, width = 12, height = 6
      properties = merge(local.widget, {
        title = "Lambda errors (count)"
        metrics = concat(
          [for key, name in var.lambda_functions : ["AWS/Lambda", "Errors", "FunctionName", name, { stat = "Sum", label = key }]],
          # what those functions refused on purpose: counted in their Errors, not in their alarms
          [for key, r in var.lambda_refusals : concat(
            [local.ns, r.metric_name], flatten([for k, v in merge(r.dimensions, local.environment_dimensions) : [k, v]]),
            [{ stat = "Sum", label = "${key} refusals (not alarmed)" }],
          )],
        )
        annotations = {
          horizontal = [{ label = "critical (per function)", value = var.alarms.lambda_errors.threshold }]
        }
      })
    },
    {
      type = "metric", x = 12, y = 11, width = 12, height = 6
      properties = merge(local.widget, {
        title = "Throughput (per minute)"
        metrics = [
          concat(local.http_count, [{ stat = "Sum", label = "HTTP requests" }]),
          concat([local.ns, "SessionCreationCount"], local.env, [{ stat = "Sum", label = "Sessions created" }]),
          concat([local.ns, "BroadcastDelivered"], local.env, [{ stat = "Sum", label = "Broadcast delivered" }]),
          concat([local.ns, "BroadcastFailed"], local.env, [{ stat = "Sum", label = "Broadcast failed" }]),
        ]
      })
    },
    {
      type = "metric", x = 0, y = 17, width = 12, height = 6
      properties = merge(local.widget, {
        title   = "Speaker audio (bytes per minute)"
        metrics = [concat([local.ns, "AudioBytes"], local.env, [{ stat = "Sum", label = "Audio bytes" }])]
      })
    },
    {
      type = "metric", x = 12, y = 17, width = 12, height = 6
      properties = merge(local.widget, {
        title = "WebSocket connections"
        metrics = [
          concat([local.ns, "LiveConnections"], local.env, [{ stat = "Maximum", label = "Live connections" }]),
          concat([local.ns, "WebSocketConnectionCount"], local.env, [{ stat = "Sum", label = "Connects accepted", id = "accepted" }]),
          concat([local.ns, "WebSocketConnectionRejected"], local.env, [{ stat = "Sum", label = "Connects refused", id = "rejected" }]),
          # Disconnects carry a Role dimension only: sum the roles.
          [{ expression = "SUM(SEARCH('{${local.ns},Environment,Role} MetricName=\"WebSocketDisconnectCount\" Environment=\"${var.environment}\"', 'Sum', 60))", label = "Disconnects", id = "disconnects" }],
          ["AWS/ApiGateway", "ConnectCount", "ApiId", var.websocket_api.api_id, "Stage", var.websocket_api.stage, { stat = "Sum", label = "$connect requests (API Gateway)" }],
        ]
      })
    },
    {
      type = "metric", x = 0, y = 23, width = 12, height = 6
      properties = merge(local.widget, {
        title = "WebSocket connect failure rate (%)"
        metrics = [
          [{ expression = "IF(FILL(rej, 0) + FILL(acc, 0) > 0, 100 * FILL(rej, 0) / (FILL(rej, 0) + FILL(acc, 0)), 0)", label = "Refused (%)", id = "rate" }],
          concat([local.ns, "WebSocketConnectionRejected"], local.env, [{ stat = "Sum", id = "rej", visible = false }]),
          concat([local.ns, "WebSocketConnectionCount"], local.env, [{ stat = "Sum", id = "acc", visible = false }]),
        ]
        annotations = { horizontal = [{ label = "warning", value = var.alarms.websocket_connect_failure_rate.threshold }] }
      })
    },
    {
      # Retire the legacy surface when these stay at zero (docs/migrating-from-legacy.md).
      type = "metric", x = 12, y = 23, width = 12, height = 6
      properties = merge(local.widget, {
        title = "Legacy clients (per minute)"
        metrics = [
          [{ expression = "SEARCH('{${local.ns},Environment,MessageType} MetricName=\"LegacyMessageCount\" Environment=\"${var.environment}\"', 'Sum', 60)", label = "", id = "legacy" }],
          concat([local.ns, "LegacySessionCreationCount"], local.env, [{ stat = "Sum", label = "createSession (sessions created)" }]),
        ]
      })
    },
  ]

  # name => severity, threshold (null for the anomaly band, whose threshold is the band) and ARN.
  alarms = merge(
    { (aws_cloudwatch_metric_alarm.http_5xx_rate.alarm_name) = { severity = "critical", threshold = aws_cloudwatch_metric_alarm.http_5xx_rate.threshold, arn = aws_cloudwatch_metric_alarm.http_5xx_rate.arn } },
    { for k, a in aws_cloudwatch_metric_alarm.http_latency_p95 : a.alarm_name => { severity = k, threshold = a.threshold, arn = a.arn } },
    { (aws_cloudwatch_metric_alarm.websocket_connect_failure_rate.alarm_name) = { severity = "warning", threshold = aws_cloudwatch_metric_alarm.websocket_connect_failure_rate.threshold, arn = aws_cloudwatch_metric_alarm.websocket_connect_failure_rate.arn } },
    { (aws_cloudwatch_metric_alarm.session_creation_spike.alarm_name) = { severity = "warning", threshold = local.spike_static ? local.spike.threshold : null, arn = aws_cloudwatch_metric_alarm.session_creation_spike.arn } },
    { for a in aws_cloudwatch_metric_alarm.lambda_errors : a.alarm_name => { severity = "critical", threshold = a.threshold, arn = a.arn } },
    { for a in aws_cloudwatch_metric_alarm.failure_queue : a.alarm_name => { severity = "critical", threshold = a.threshold, arn = a.arn } },
  )
  alarm_arns = [for a in values(local.alarms) : a.arn]
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = local.dashboard_name
  dashboard_body = jsonencode({ widgets = local.dashboard_widgets })
}
