cors_allowed_origins   = ["https://app.example.com"]
log_retention_days     = 90
log_level              = "INFO"
point_in_time_recovery = true
deletion_protection    = true

http_throttling = {
  burst_limit = 200
  rate_limit  = 100
}

tags = {
  Environment = "prod"
}

# Who is told when an alarm fires (docs/operating.md): e.g.
# alarm_subscriptions = [{ protocol = "email", endpoint = "oncall@example.com" }]
