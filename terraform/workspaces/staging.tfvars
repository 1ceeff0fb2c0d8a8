cors_allowed_origins   = ["https://app.example.com"]
log_retention_days     = 30
log_level              = "INFO"
point_in_time_recovery = true
deletion_protection    = false

tags = {
  Environment = "staging"
}

# Who is told when an alarm fires (docs/operating.md): e.g.
# alarm_subscriptions = [{ protocol = "email", endpoint = "oncall@example.com" }]
