cors_allowed_origins   = ["https://app.example.com"]
log_retention_days     = 14
log_level              = "DEBUG"
point_in_time_recovery = false
deletion_protection    = false

tags = {
  Environment = "dev"
}

# Dev traffic is sparse and comes in test bursts: an anomaly band would learn nothing useful,
# so the creation-spike alarm uses a fixed number of creations per 5 minutes.
alarm_thresholds = {
  session_creation_spike = { detection = "static", threshold = 300 }
}
