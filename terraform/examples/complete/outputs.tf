output "http_api_url" {
  description = "Base URL of the HTTP API."
  value       = module.babelcast.http_api_url
}

output "user_pool_id" {
  description = "Cognito user pool ID."
  value       = module.babelcast.user_pool_id
}

output "user_pool_client_id" {
  description = "Cognito app client ID."
  value       = module.babelcast.user_pool_client_id
}

output "jwt_issuer" {
  description = "Issuer URL accepted by the API."
  value       = module.babelcast.jwt_issuer
}

output "sessions_table_name" {
  description = "Name of the sessions table."
  value       = module.babelcast.sessions_table_name
}

output "rate_limits_table_name" {
  description = "Name of the rate-limits table."
  value       = module.babelcast.rate_limits_table_name
}

output "websocket_url" {
  description = "URL WebSocket clients connect to."
  value       = module.babelcast.websocket_url
}

output "websocket_management_endpoint" {
  description = "Endpoint of the @connections management API."
  value       = module.babelcast.websocket_management_endpoint
}

output "connections_table_name" {
  description = "Name of the WebSocket connections table."
  value       = module.babelcast.connections_table_name
}

output "audio_stream_name" {
  description = "Name of the Kinesis stream of speaker audio."
  value       = module.babelcast.audio_stream_name
}

output "translated_segments_stream_name" {
  description = "Name of the Kinesis stream of translated segments."
  value       = module.babelcast.translated_segments_stream_name
}

output "functions" {
  description = "Deployed Lambda functions by function key."
  value       = module.babelcast.functions
}

output "http_routes" {
  description = "HTTP routes by route key."
  value       = module.babelcast.http_routes
}

output "websocket_routes" {
  description = "WebSocket routes: route key => function key."
  value       = module.babelcast.websocket_routes
}

output "alarm_topic_arn" {
  description = "SNS topic the alarms notify."
  value       = module.babelcast.alarm_topic_arn
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the deployment."
  value       = module.babelcast.dashboard_name
}

output "alarms" {
  description = "Alarms by name: severity and threshold."
  value       = module.babelcast.alarms
}
