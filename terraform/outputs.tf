output "http_api_url" {
  description = "Base URL of the HTTP API ($default stage, no trailing slash); append route paths such as /sessions."
  value       = trimsuffix(module.http_api.stage_invoke_url, "/")
}

output "http_api_id" {
  description = "ID of the HTTP API."
  value       = module.http_api.api_id
}

output "user_pool_id" {
  description = "Cognito user pool ID (created or existing)."
  value       = local.user_pool_id
}

output "user_pool_client_id" {
  description = "Cognito app client ID, the JWT audience (created or existing)."
  value       = local.user_pool_client_id
}

output "jwt_issuer" {
  description = "Issuer URL the API accepts tokens from."
  value       = local.jwt_issuer
}

output "region" {
  description = "AWS region of the deployment (the provider's)."
  value       = local.region
}

output "environment" {
  description = "Environment the deployment was given (the ENVIRONMENT of its functions)."
  value       = var.environment
}

output "name" {
  description = "Prefix of every resource name: <name_prefix>-<environment>."
  value       = local.name
}

output "user_pool_arn" {
  description = "ARN of the created Cognito user pool (null with existing_user_pool)."
  value       = one(module.user_pool[*].user_pool_arn)
}

output "sessions_table_name" {
  description = "Name of the sessions table."
  value       = module.sessions_table.name
}

output "rate_limits_table_name" {
  description = "Name of the rate-limits table."
  value       = module.rate_limits_table.name
}

output "functions" {
  description = "Deployed Lambda functions by function key: name, ARN to invoke (the \"live\" alias with provisioned concurrency), unqualified function ARN, execution role, settings and log group."
  value = {
    for key, fn in module.functions : key => {
      function_name = fn.function_name
      arn           = fn.arn
      function_arn  = fn.function_arn
      role_name     = fn.role_name
      role_arn      = fn.role_arn
      reserved      = fn.reserved_concurrent_executions
      handler       = fn.handler
      runtime       = fn.runtime
      timeout       = fn.timeout
      memory_size   = fn.memory_size
      # every setting but the cursor keys (secret: they stay out of the outputs)
      environment    = { for name, value in fn.environment : name => value if name != "CURSOR_SIGNING_KEYS" }
      log_group_name = fn.log_group_name
    }
  }
}

output "http_routes" {
  description = "HTTP routes by route key: the function key serving it and its authorization."
  value       = local.http_routes
}

output "websocket_url" {
  description = "URL clients connect to (wss://<id>.execute-api.<region>.amazonaws.com/<stage>)."
  value       = module.websocket_api.stage_invoke_url
}

output "websocket_api_id" {
  description = "ID of the WebSocket API."
  value       = module.websocket_api.api_id
}

output "websocket_stage_name" {
  description = "Stage of the WebSocket API."
  value       = module.websocket_api.stage_name
}

output "websocket_management_endpoint" {
  description = "Endpoint of the @connections management API (https://..., with the stage)."
  value       = module.websocket_api.management_endpoint
}

output "connections_table_name" {
  description = "Name of the WebSocket connections table."
  value       = module.connections_table.name
}

output "audio_buffer_table_name" {
  description = "Name of the audio buffer table."
  value       = module.audio_buffer_table.name
}

output "audio_stream_name" {
  description = "Name of the Kinesis stream of speaker audio."
  value       = module.audio_stream.name
}

output "translated_segments_stream_name" {
  description = "Name of the Kinesis stream of translated segments."
  value       = module.translated_segments_stream.name
}

output "websocket_routes" {
  description = "WebSocket routes: route key => function key serving it."
  value       = { for route_key, route in local.websocket_routes : route_key => route.function }
}

output "artifacts_bucket_name" {
  description = "S3 bucket the Lambda zips are deployed from (created or given)."
  value       = local.artifacts_bucket
}

output "alarm_topic_arn" {
  description = "SNS topic every alarm notifies (on ALARM and OK): the created one or existing_alarm_topic's (null with monitoring_enabled = false)."
  value       = one(module.monitoring[*].topic_arn)
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the deployment (null with monitoring_enabled = false)."
  value       = one(module.monitoring[*].dashboard_name)
}

output "alarms" {
  description = "Alarms by name: severity and threshold (empty with monitoring_enabled = false)."
  value       = try(module.monitoring[0].alarms, {})
}

output "alarm_names" {
  description = "Names of all alarms (empty with monitoring_enabled = false)."
  value       = try(module.monitoring[0].alarm_names, [])
}

output "stream_failures_queue_url" {
  description = "URL of the SQS queue receiving the stream batches the session_events and broadcast mappings gave up on (alarm on its depth)."
  value       = aws_sqs_queue.stream_failures.url
}

output "tables" {
  description = "DynamoDB tables by role (sessions, rate_limits, connections, audio_buffer, catch_up): name, ARN, and the change stream's ARN (sessions only; null elsewhere)."
  value = {
    for role, table in {
      sessions     = module.sessions_table
      rate_limits  = module.rate_limits_table
      connections  = module.connections_table
      audio_buffer = module.audio_buffer_table
      catch_up     = module.catch_up_table
    } : role => { name = table.name, arn = table.arn, stream_arn = table.stream_arn }
  }
}

output "streams" {
  description = "Kinesis streams: audio (speaker audio for the translation pipeline to read) and translated_segments (where the pipeline writes for the broadcast function): name and ARN."
  value = {
    audio               = { name = module.audio_stream.name, arn = module.audio_stream.arn }
    translated_segments = { name = module.translated_segments_stream.name, arn = module.translated_segments_stream.arn }
  }
}

output "queues" {
  description = "Failure queues (stream_failures: stream batches given up on; schedule_failures: sweeper invocations EventBridge could not deliver): name, ARN and URL."
  value = {
    for role, queue in { stream_failures = aws_sqs_queue.stream_failures, schedule_failures = aws_sqs_queue.schedule_failures } :
    role => { name = queue.name, arn = queue.arn, url = queue.url }
  }
}

output "http_api_execution_arn" {
  description = "Execution ARN of the HTTP API (for IAM policies and Lambda permissions of an estate's own integrations)."
  value       = module.http_api.execution_arn
}

output "websocket_api_execution_arn" {
  description = "Execution ARN of the WebSocket API."
  value       = module.websocket_api.execution_arn
}

output "websocket_connections_arn" {
  description = "execute-api:ManageConnections resource of the WebSocket stage's @connections API (POST, GET, DELETE on every connection): grant it to anything else that posts to listeners."
  value       = "${module.websocket_api.connections_arn_prefix}/*/@connections/*"
}

output "log_groups" {
  description = "CloudWatch log groups: one per function key, plus http_api_access and websocket_api_access."
  value = merge(
    { for key, fn in module.functions : key => fn.log_group_name },
    { http_api_access = module.http_api.access_log_group_name, websocket_api_access = module.websocket_api.access_log_group_name },
  )
}

output "artifacts_bucket_arn" {
  description = "ARN of the artifacts bucket (created or given)."
  value       = "arn:${local.partition}:s3:::${local.artifacts_bucket}"
}

output "alarm_topic_kms_key_arn" {
  description = "KMS key created for the alarm topic (null with existing_alarm_topic, alarm_topic_kms_key_id or monitoring_enabled = false)."
  value       = try(module.monitoring[0].kms_key_arn, null)
}

output "alarm_arns" {
  description = "ARNs of all alarms by name (empty with monitoring_enabled = false)."
  value       = try(module.monitoring[0].alarm_arns, {})
}

output "apigateway_cloudwatch_role_arn" {
  description = "API Gateway account CloudWatch Logs role created here (null unless manage_apigateway_account_logging)."
  value       = one(aws_iam_role.apigateway_cloudwatch[*].arn)
}

output "http_api_domain" {
  description = "Custom domain of the HTTP API: domain_name, url, target_domain_name and hosted_zone_id (point DNS there), api_mapping_id; null without http_api_domain."
  value = var.http_api_domain == null ? null : {
    domain_name        = module.http_api_domain[0].domain_name
    url                = "https://${module.http_api_domain[0].domain_name}${var.http_api_domain.base_path == null ? "" : "/${var.http_api_domain.base_path}"}"
    target_domain_name = module.http_api_domain[0].target_domain_name
    hosted_zone_id     = module.http_api_domain[0].hosted_zone_id
    api_mapping_id     = module.http_api_domain[0].api_mapping_id
  }
}

output "websocket_api_domain" {
  description = "Custom domain of the WebSocket API: domain_name, url (wss://, no stage in the path), target_domain_name and hosted_zone_id (point DNS there), api_mapping_id; null without websocket_api_domain."
  value = var.websocket_api_domain == null ? null : {
    domain_name        = module.websocket_api_domain[0].domain_name
    url                = "wss://${module.websocket_api_domain[0].domain_name}${var.websocket_api_domain.base_path == null ? "" : "/${var.websocket_api_domain.base_path}"}"
    target_domain_name = module.websocket_api_domain[0].target_domain_name
    hosted_zone_id     = module.websocket_api_domain[0].hosted_zone_id
    api_mapping_id     = module.websocket_api_domain[0].api_mapping_id
  }
}
