# The caller configures the provider (region, credentials, default tags); the module has none.
provider "aws" {
  region = "us-east-1"

  default_tags {
    tags = { Owner = "platform-team" }
  }
}

module "babelcast" {
  source = "../.."

  name_prefix = "babelcast"
  environment = "prod"
  tags = {
    Owner      = "platform-team"
    CostCenter = "1234"
  }
  # Every IAM role created gets this boundary (null = none).
  permissions_boundary_arn = "arn:aws:iam::123456789012:policy/platform-permissions-boundary"
  emulator                 = null # emulator shortcuts: environment = "local" only

  # Cognito: create a pool (or existing_user_pool = { user_pool_id, client_id }: see
  # examples/existing-user-pool); SRP only (no USER_PASSWORD_AUTH outside local tooling).
  existing_user_pool       = null
  allow_user_password_auth = false

  cors_allowed_origins = ["https://app.example.com"]

  # Lambda artifacts built by the packaging script: <artifacts_dir>/<function key>.zip, uploaded
  # to a created bucket (versioned, SSE-S3, TLS only) and deployed from there.
  artifacts_dir                  = "${path.root}/../../../dist"
  existing_artifacts_bucket      = null # or { name = "<an existing bucket in the same region>" }
  artifacts_bucket_force_destroy = false
  artifacts_kms_key_arn          = null # SSE-S3 (AES256)
  # Superseded zip versions expire after this many days (functions run a copy made at deploy).
  artifacts_noncurrent_version_days = 30

  lambda_runtime      = "python3.12"
  lambda_architecture = "x86_64"
  lambda_tracing_mode = "Active" # X-Ray
  log_retention_days  = 30
  log_level           = "INFO"

  supported_languages          = ["en", "es", "fr", "de", "it", "pt", "ja", "zh"]
  session_ttl_hours            = 24
  create_rate_limit_per_minute = 10
  # Keys of the list cursors, newest first (a secret: pass them from your secret store);
  # [] generates one at the first apply (docs/operating.md, "Rotating the cursor signing key").
  cursor_signing_keys = []
  service_version     = "0.1.0"
  metrics_namespace   = "Babelcast/Sessions"

  http_throttling = {
    burst_limit = 100
    rate_limit  = 50
  }

  # Live sessions over WebSocket.
  max_listeners_per_session        = 10000
  legacy_session_creation_enabled  = true
  legacy_dialect_enabled           = true # the deployed frontends' audioChunk/endSession dialect
  audio_buffer_seconds             = 30
  catch_up_seconds                 = 60
  broadcast_shard_size             = 250
  websocket_stage_name             = "live"
  connection_sweep_schedule        = "rate(1 minute)"
  connection_refresh_after_seconds = 6600
  websocket_throttling = {
    burst_limit = 1000
    rate_limit  = 500
  }

  # Kinesis: audio to the translation pipeline, translated segments back.
  audio_stream_shard_count      = 1
  translated_stream_shard_count = 1
  kinesis_retention_hours       = 24
  kinesis_kms_key_arn           = null # AWS-managed alias/aws/kinesis

  # Alarms to an SNS topic (KMS key created for it) and a CloudWatch dashboard; docs/operating.md.
  monitoring_enabled     = true
  runbook_base_url       = "https://git.example.com/speech/babelcast/blob/v0.1.0/docs/operating.md"
  existing_alarm_topic   = null # or { arn = <the estate's alarm topic> } (then no subscriptions here)
  alarm_topic_kms_key_id = null # or a key whose policy lets cloudwatch.amazonaws.com use it
  alarm_subscriptions = [
    { protocol = "email", endpoint = "oncall@example.com" },
  ]
  # Route by severity: critical also to the estate's pager topic, warning to the topic alone;
  # false would send only ALARM transitions, not recoveries.
  alarm_actions_by_severity = {
    critical = { actions = ["arn:aws:sns:us-east-1:123456789012:platform-pager"] }
  }
  alarm_ok_notifications = true
  alarm_thresholds = {
    http_latency_p95_warning = { threshold = 1000, evaluation_periods = 10, datapoints_to_alarm = 6 }
    lambda_errors            = { threshold = 10, period = 300 }
    session_creation_spike   = { detection = "anomaly_band", band_width = 3 }
  }

  point_in_time_recovery = true
  kms_key_arn            = null
  deletion_protection    = true

  # Operations: pre-warmed HTTP handlers, one sweep at a time, custom domains (ACM certificates in
  # this region), and the account's API Gateway CloudWatch role (once per account and region).
  function_concurrency = {
    http_api           = { reserved = 100, provisioned = 5 }
    connection_sweeper = { reserved = 1 }
  }
  http_api_domain = {
    domain_name     = "api.example.com"
    certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
  }
  websocket_api_domain = {
    domain_name     = "live.example.com"
    certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/66666666-7777-8888-9999-000000000000"
  }
  manage_apigateway_account_logging = false # true in exactly one configuration per account and region
}
