output "function_name" {
  description = "Function name."
  value       = aws_lambda_function.this.function_name
}

output "arn" {
  description = "ARN to invoke: the \"live\" alias's with provisioned concurrency, else the unqualified function's."
  value       = local.provisioned ? aws_lambda_alias.live[0].arn : aws_lambda_function.this.arn
}

output "invoke_arn" {
  description = "ARN for API Gateway integrations (the \"live\" alias's with provisioned concurrency)."
  value       = local.provisioned ? aws_lambda_alias.live[0].invoke_arn : aws_lambda_function.this.invoke_arn
}

output "qualifier" {
  description = "Alias invokers must name (\"live\" with provisioned concurrency, else null): Lambda permissions for API Gateway, EventBridge and so on go on it."
  value       = one(aws_lambda_alias.live[*].name)
}

output "function_arn" {
  description = "Unqualified function ARN."
  value       = aws_lambda_function.this.arn
}

output "reserved_concurrent_executions" {
  description = "Reserved concurrency (-1 = unreserved)."
  value       = aws_lambda_function.this.reserved_concurrent_executions
}

output "qualified_arn" {
  description = "ARN of the function's latest version."
  value       = aws_lambda_function.this.qualified_arn
}

output "role_name" {
  description = "Name of the function's execution role."
  value       = aws_iam_role.this.name
}

output "role_arn" {
  description = "ARN of the function's execution role."
  value       = aws_iam_role.this.arn
}

output "log_group_name" {
  description = "Name of the function's CloudWatch log group."
  value       = aws_cloudwatch_log_group.this.name
}

output "handler" {
  description = "Handler of the function."
  value       = aws_lambda_function.this.handler
}

output "runtime" {
  description = "Runtime of the function."
  value       = aws_lambda_function.this.runtime
}

output "timeout" {
  description = "Timeout in seconds."
  value       = aws_lambda_function.this.timeout
}

output "memory_size" {
  description = "Memory in MB."
  value       = aws_lambda_function.this.memory_size
}

output "environment" {
  description = "Environment variables of the function."
  value       = var.environment
}
