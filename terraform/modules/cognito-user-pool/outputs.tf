output "user_pool_id" {
  description = "User pool ID."
  value       = aws_cognito_user_pool.this.id
}

output "user_pool_arn" {
  description = "User pool ARN."
  value       = aws_cognito_user_pool.this.arn
}

output "user_pool_client_id" {
  description = "App client ID (the `aud` claim of ID tokens, `client_id` claim of access tokens)."
  value       = aws_cognito_user_pool_client.this.id
}

output "issuer" {
  description = "OIDC issuer URL of the pool (the `iss` claim of its tokens)."
  value       = local.issuer
}

output "jwks_uri" {
  description = "URL of the pool's JSON Web Key Set."
  value       = "${local.issuer}/.well-known/jwks.json"
}
