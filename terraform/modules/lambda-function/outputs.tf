output "function_name" {
  description = "Function name."
  value       = aws_lambda_function.this.function_name
}

output "arn" {
  description = "Unqualified function ARN."
  value       = aws_lambda_function.this.arn
}

output "invoke_arn" {
  description = "ARN for API Gateway integrations."
  value       = aws_lambda_function.this.invoke_arn
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
