output "api_id" {
  description = "ID of the HTTP API."
  value       = aws_apigatewayv2_api.this.id
}

output "api_endpoint" {
  description = "Default endpoint of the API (https://<id>.execute-api.<region>.amazonaws.com)."
  value       = aws_apigatewayv2_api.this.api_endpoint
}

output "execution_arn" {
  description = "Execution ARN prefix, for IAM and Lambda permissions."
  value       = aws_apigatewayv2_api.this.execution_arn
}

output "stage_name" {
  description = "Name of the stage."
  value       = aws_apigatewayv2_stage.default.name
}

output "stage_invoke_url" {
  description = "Invoke URL of the $default stage (the API endpoint followed by \"/\")."
  value       = aws_apigatewayv2_stage.default.invoke_url
}

output "authorizer_id" {
  description = "ID of the JWT authorizer (null without jwt_authorizer)."
  value       = one(aws_apigatewayv2_authorizer.jwt[*].id)
}

output "route_ids" {
  description = "Map of route key to route ID."
  value       = { for k, r in aws_apigatewayv2_route.this : k => r.id }
}

output "access_log_group_name" {
  description = "Name of the access log group."
  value       = aws_cloudwatch_log_group.access.name
}
