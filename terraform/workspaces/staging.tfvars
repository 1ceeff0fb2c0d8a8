cors_allowed_origins   = ["https://app.example.com"]
log_retention_days     = 30
log_level              = "INFO"
point_in_time_recovery = true
deletion_protection    = false

tags = {
  Environment = "staging"
}
