output "http_api_url" {
  description = "Base URL of the HTTP API."
  value       = module.babelcast.http_api_url
}

output "websocket_url" {
  description = "URL WebSocket clients connect to."
  value       = module.babelcast.websocket_url
}

output "user_pool_id" {
  description = "The existing user pool ID, passed through."
  value       = module.babelcast.user_pool_id
}

output "user_pool_client_id" {
  description = "The existing app client ID, passed through."
  value       = module.babelcast.user_pool_client_id
}

output "jwt_issuer" {
  description = "Issuer URL accepted by the API, derived from the pool ID."
  value       = module.babelcast.jwt_issuer
}

output "functions" {
  description = "Deployed Lambda functions by function key."
  value       = module.babelcast.functions
}
