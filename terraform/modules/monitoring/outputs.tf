output "topic_arn" {
  description = "ARN of the SNS topic every alarm notifies (on ALARM and on OK): the created one, or topic's."
  value       = local.topic_arn
}

output "topic_name" {
  description = "Name of the alarm topic."
  value       = element(split(":", local.topic_arn), 5)
}

output "kms_key_arn" {
  description = "ARN of the key created for the topic (null when kms_key_id is given or encryption is off)."
  value       = one(aws_kms_key.topic[*].arn)
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}

output "alarms" {
  description = "The alarms by name: severity (critical or warning) and threshold (percent, milliseconds or count; null for the anomaly band, whose threshold is the band)."
  value       = { for name, a in local.alarms : name => { severity = a.severity, threshold = a.threshold } }
}

output "alarm_arns" {
  description = "ARNs of all alarms by name (for composite alarms or an estate's own routing)."
  value       = { for name, a in local.alarms : name => a.arn }
}

output "alarm_names" {
  description = "Names of all alarms, sorted."
  value       = sort(keys(local.alarms))
}
