output "api_id" {
  description = "ID of the WebSocket API."
  value       = aws_apigatewayv2_api.this.id
}

output "api_endpoint" {
  description = "Endpoint of the API without stage (wss://<id>.execute-api.<region>.amazonaws.com)."
  value       = "wss://${local.host}"
}

output "execution_arn" {
  description = "Execution ARN prefix of the API, for IAM and Lambda permissions."
  value       = aws_apigatewayv2_api.this.execution_arn
}

output "stage_name" {
  description = "Name of the stage."
  value       = aws_apigatewayv2_stage.this.name
}

output "stage_invoke_url" {
  description = "URL clients connect to (wss://<id>.execute-api.<region>.amazonaws.com/<stage>)."
  value       = aws_apigatewayv2_stage.this.invoke_url
}

output "management_endpoint" {
  description = "Endpoint of the @connections management API for this stage (https://<id>.execute-api.<region>.amazonaws.com/<stage>), as the endpoint URL of an apigatewaymanagementapi client."
  value       = "https://${local.host}/${aws_apigatewayv2_stage.this.name}"
}

output "stage_execution_arn" {
  description = "Execution ARN of the stage (<execution_arn>/<stage>)."
  value       = local.stage_execution_arn
}

output "connections_arn_prefix" {
  description = "Prefix of @connections resources for execute-api:ManageConnections; append /<METHOD>/@connections/*."
  value       = local.stage_execution_arn
}

output "route_ids" {
  description = "Map of route key to route ID."
  value       = { for k, r in aws_apigatewayv2_route.this : k => r.id }
}

output "authorizer_id" {
  description = "ID of the $connect REQUEST authorizer (null without connect_authorizer)."
  value       = one(aws_apigatewayv2_authorizer.connect[*].id)
}

output "access_log_group_name" {
  description = "Name of the access log group."
  value       = aws_cloudwatch_log_group.access.name
}
