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
      function_name  = fn.function_name
      arn            = fn.arn
      handler        = fn.handler
      runtime        = fn.runtime
      timeout        = fn.timeout
      memory_size    = fn.memory_size
      environment    = fn.environment
      log_group_name = fn.log_group_name
    }
  }
}

output "http_routes" {
  description = "HTTP routes by route key: the function key serving it and its authorization."
  value       = local.http_routes
}
