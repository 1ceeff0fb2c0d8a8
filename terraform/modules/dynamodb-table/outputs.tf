output "name" {
  description = "Table name."
  value       = aws_dynamodb_table.this.name
}

output "arn" {
  description = "Table ARN."
  value       = aws_dynamodb_table.this.arn
}

output "stream_arn" {
  description = "Latest stream ARN (null when the stream is disabled)."
  value       = var.stream_view_type == null ? null : aws_dynamodb_table.this.stream_arn
}

output "index_arns" {
  description = "Map of global secondary index name to index ARN (for IAM policies)."
  value       = { for i in var.global_secondary_indexes : i.name => "${aws_dynamodb_table.this.arn}/index/${i.name}" }
}

output "hash_key" {
  description = "Partition key attribute name."
  value       = aws_dynamodb_table.this.hash_key
}
