output "name" {
  description = "Stream name."
  value       = local.stream.name
}

output "arn" {
  description = "Stream ARN (for IAM policies and event source mappings)."
  value       = local.stream.arn
}
