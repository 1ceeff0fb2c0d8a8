cors_allowed_origins   = ["https://app.example.com"]
log_retention_days     = 14
log_level              = "DEBUG"
point_in_time_recovery = false
deletion_protection    = false

tags = {
  Environment = "dev"
}
