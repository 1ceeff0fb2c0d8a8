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
  description = "AWS region of the deployment."
  value       = var.region
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
  description = "Deployed Lambda functions by function key."
  value = {
    for key, fn in module.functions : key => {
      function_name = fn.function_name
      arn           = fn.arn
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
  description = "SNS topic every alarm notifies (on ALARM and OK); subscribe to it (null with monitoring_enabled = false)."
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
