output "name" {
  description = "Stream name."
  value       = aws_kinesis_stream.this.name
}

output "arn" {
  description = "Stream ARN (for IAM policies and event source mappings)."
  value       = aws_kinesis_stream.this.arn
}
