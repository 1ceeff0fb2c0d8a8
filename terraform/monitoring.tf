# Alarms (to an SNS topic) and a dashboard over the APIs, the functions and the service's own
# metrics. See docs/operating.md for what each alarm means and what to do.
module "monitoring" {
  source = "./modules/monitoring"
  count  = var.monitoring_enabled ? 1 : 0

  name              = local.name
  environment       = var.environment
  metrics_namespace = var.metrics_namespace

  http_api = {
    api_id = module.http_api.api_id
    stage  = module.http_api.stage_name
  }
  websocket_api = {
    api_id = module.websocket_api.api_id
    stage  = module.websocket_api.stage_name
  }
  lambda_functions = { for key, fn in module.functions : key => fn.function_name }
  # The authorizer refuses a bad token by raising (API Gateway's only 401): those are not faults.
  lambda_refusals = {
    ws_authorizer = { metric_name = "AuthorizerDecision", dimensions = { Decision = "refused" } }
  }
  failure_queues = {
    stream_failures   = aws_sqs_queue.stream_failures.name
    schedule_failures = aws_sqs_queue.schedule_failures.name
  }

  alarms                    = var.alarm_thresholds
  alarm_actions_by_severity = var.alarm_actions_by_severity
  ok_notifications          = var.alarm_ok_notifications
  topic                     = var.existing_alarm_topic
  subscriptions             = var.alarm_subscriptions
  kms_key_id                = var.alarm_topic_kms_key_id
  runbook_url               = coalesce(var.runbook_base_url, "docs/operating.md")

  tags = local.tags
}
