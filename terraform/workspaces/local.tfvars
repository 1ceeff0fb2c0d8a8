# Local development against an AWS emulator (or a throwaway account): permissive auth flow for
# test tooling, browser dev-server origins, short-lived logs.
allow_user_password_auth = true
cors_allowed_origins     = ["http://localhost:5173", "http://127.0.0.1:5173"]
log_retention_days       = 1
log_level                = "DEBUG"
deletion_protection      = false

tags = {
  Environment = "local"
}

# Load tests and benchmarks run against the local stack; the gateway enforces stage throttling
# as AWS does, so keep the local limits (HTTP and WebSocket) at AWS's account defaults.
http_throttling = {
  burst_limit = 5000
  rate_limit  = 10000
}

websocket_throttling = {
  burst_limit = 5000
  rate_limit  = 10000
}

# moto's CreateStream drops tags: without this every plan would show the stream tags as a change.
kinesis_ignore_tag_changes = true

# The emulator-backed stack is thrown away with its bucket, whatever was put in it. The emulator
# is served over plain HTTP (and moto applies a Deny statement whatever its condition), so a
# TLS-only bucket policy would reject every upload.
artifacts_bucket_force_destroy = true
artifacts_bucket_require_tls   = false
# No lifecycle rule on a bucket that lives minutes: after creating one the provider waits ~40 s
# for S3's eventual consistency, the longest step of the whole apply.
artifacts_noncurrent_version_days = null

# Speed of `make dev` only: skips StartStreamEncryption, after which the provider waits at least
# 10 s per stream. Keep encryption on everywhere else (required in prod).
kinesis_encryption_enabled = false
