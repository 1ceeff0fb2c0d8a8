output "environments" {
  description = "Per copy (qa, demo, qa-standby): region, HTTP and WebSocket URLs, user pool, and the ARNs the estate wires into (sessions table, audio stream, alarm topic)."
  value = {
    for key, copy in merge(module.babelcast, { for i, m in module.babelcast_standby : "qa-standby" => m }) : key => {
      region              = copy.region
      http_api_url        = copy.http_api_url
      websocket_url       = copy.websocket_url
      user_pool_id        = copy.user_pool_id
      user_pool_client_id = copy.user_pool_client_id
      sessions_table_arn  = copy.tables.sessions.arn
      audio_stream_arn    = copy.streams.audio.arn
      alarm_topic_arn     = copy.alarm_topic_arn
      role_names          = [for fn in values(copy.functions) : fn.role_name]
      dashboard_name      = copy.dashboard_name
    }
  }
}

output "shared_user_pool_id" {
  description = "The estate's own user pool, which demo uses."
  value       = aws_cognito_user_pool.shared.id
}
