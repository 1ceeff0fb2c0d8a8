variable "name_prefix" {
  description = "Prefix of every resource name; resources are named \"<name_prefix>-<environment>-...\"."
  type        = string
  default     = "babelcast"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,19}$", var.name_prefix)) && !endswith(var.name_prefix, "-")
    error_message = "name_prefix must be 1-20 characters of lowercase letters, digits and hyphens, start with a letter and not end with a hyphen."
  }
}

variable "environment" {
  description = "Name of the deployment (dev, staging, prod, local, ...): the second part of every resource name (<name_prefix>-<environment>-...), the ENVIRONMENT the functions report and the Environment dimension of their metrics. \"local\" is the emulator-backed development stack."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,14}[a-z0-9]$|^[a-z]$", var.environment))
    error_message = "environment must be 1-16 characters of lowercase letters, digits and hyphens, start with a letter and not end with a hyphen."
  }
}

variable "emulator" {
  description = "Shortcuts for an AWS emulator, allowed only with environment = \"local\" (null, the default, everywhere else): kinesis_encryption = false skips StartStreamEncryption (the provider then waits at least 10 s per stream); artifacts_bucket_tls_policy = false leaves out the TLS-only bucket policy (the emulator is plain HTTP, and moto applies a Deny statement whatever its condition, so the policy would refuse every upload)."
  type = object({
    kinesis_encryption          = optional(bool, true)
    artifacts_bucket_tls_policy = optional(bool, true)
  })
  default = null

  validation {
    condition     = var.emulator == null || var.environment == "local"
    error_message = "emulator shortcuts are for the emulator-backed environment only: set environment = \"local\" or leave emulator null (production keeps Kinesis encryption and the TLS-only bucket policy)."
  }
}

variable "tags" {
  description = "Tags for every resource, added to Project (name_prefix), Environment and ManagedBy = terraform (which they may override). Tags the caller's provider sets in default_tags apply too."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k in keys(var.tags) : !startswith(lower(k), "aws:") && length(k) <= 128])
    error_message = "Tag keys must be at most 128 characters and must not use the reserved aws: prefix."
  }

  validation {
    condition     = alltrue([for v in values(var.tags) : length(v) <= 256])
    error_message = "Tag values must be at most 256 characters."
  }
}

variable "permissions_boundary_arn" {
  description = "IAM policy ARN set as permissions boundary on every IAM role created (null = none)."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", coalesce(var.permissions_boundary_arn, "-")))
    error_message = "permissions_boundary_arn must be null or an IAM policy ARN."
  }
}

variable "existing_user_pool" {
  description = "Use an existing Cognito user pool and app client instead of creating one (null = create)."
  type = object({
    user_pool_id = string
    client_id    = string
  })
  default = null

  validation {
    # Pool IDs are "<region>_<suffix>"; the region part is also the token issuer's region.
    condition     = var.existing_user_pool == null || can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]_[0-9A-Za-z]+$", var.existing_user_pool.user_pool_id))
    error_message = "existing_user_pool.user_pool_id must look like us-east-1_AbCdEf123."
  }

  validation {
    condition     = var.existing_user_pool == null || can(regex("^[0-9A-Za-z]{1,128}$", var.existing_user_pool.client_id))
    error_message = "existing_user_pool.client_id must be 1-128 letters or digits."
  }
}

variable "allow_user_password_auth" {
  description = "Allow the USER_PASSWORD_AUTH flow on the created app client (local/dev tooling only)."
  type        = bool
  default     = false
  nullable    = false
}

variable "cors_allowed_origins" {
  description = "Browser origins allowed by CORS, as scheme://host[:port] (empty = CORS disabled)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = !contains(var.cors_allowed_origins, "*")
    error_message = "cors_allowed_origins must list explicit origins; \"*\" is not allowed."
  }

  validation {
    condition = alltrue([
      for o in var.cors_allowed_origins :
      can(regex("^https?://[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?$", o))
    ])
    error_message = "Each CORS origin must be an http(s) origin in lowercase without path or trailing slash, e.g. https://app.example.com or http://localhost:5173."
  }

  validation {
    condition     = length(distinct(var.cors_allowed_origins)) == length(var.cors_allowed_origins)
    error_message = "cors_allowed_origins must not contain duplicates."
  }
}

variable "artifacts_dir" {
  description = "Directory holding the Lambda zips (<function key>.zip); null = <repo>/dist."
  type        = string
  default     = null

  validation {
    condition     = var.artifacts_dir == null || try(length(trimspace(var.artifacts_dir)) > 0, false)
    error_message = "artifacts_dir must be null or a non-empty path."
  }
}

variable "existing_artifacts_bucket" {
  description = "Existing S3 bucket (in the provider's region) to upload the Lambda zips to, under <name_prefix>-<environment>/: { name = ... } (an object, so that a bucket the caller creates in the same apply works); null = create a versioned, encrypted bucket <name_prefix>-<environment>-artifacts-<account>-<region>. The deployer needs s3:PutObject, s3:GetObject and s3:GetObjectVersion on it."
  type = object({
    name = string
  })
  default = null

  validation {
    condition     = var.existing_artifacts_bucket == null || try(can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.existing_artifacts_bucket.name)), true)
    error_message = "existing_artifacts_bucket.name must be a valid S3 bucket name (3-63 lowercase letters, digits, '.' or '-')."
  }
}

variable "artifacts_bucket_force_destroy" {
  description = "Let destroy delete the created artifacts bucket even when it holds objects this configuration did not upload (the uploaded zips are deleted with all their versions anyway). For emulators and throwaway workspaces. Ignored with existing_artifacts_bucket."
  type        = bool
  default     = false
  nullable    = false
}

variable "artifacts_kms_key_arn" {
  description = "Customer-managed KMS key ARN for the created artifacts bucket's default encryption (null = SSE-S3, AES256). The deployer then needs kms:GenerateDataKey and kms:Decrypt on it. Ignored with existing_artifacts_bucket."
  type        = string
  default     = null

  validation {
    condition     = var.artifacts_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", coalesce(var.artifacts_kms_key_arn, "-")))
    error_message = "artifacts_kms_key_arn must be null or a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)."
  }
}

variable "artifacts_noncurrent_version_days" {
  description = "Days a superseded Lambda zip version is kept in the created artifacts bucket before it expires (functions run a copy made at deploy time); null keeps every version (no lifecycle rule). Ignored with existing_artifacts_bucket."
  type        = number
  default     = 30

  validation {
    condition     = var.artifacts_noncurrent_version_days == null || try(var.artifacts_noncurrent_version_days >= 1 && floor(var.artifacts_noncurrent_version_days) == var.artifacts_noncurrent_version_days, false)
    error_message = "artifacts_noncurrent_version_days must be null or a whole number of days, at least 1."
  }
}

variable "lambda_runtime" {
  description = "Python runtime of the Lambda functions (python3.12 or newer); must match the packaged wheels."
  type        = string
  default     = "python3.12"
  nullable    = false

  validation {
    condition     = try(tonumber(regex("^python3\\.([0-9]+)$", var.lambda_runtime)[0]) >= 12, false)
    error_message = "lambda_runtime must be python3.12 or a newer python3.x runtime."
  }
}

variable "lambda_architecture" {
  description = "Instruction set of the Lambda functions (x86_64 or arm64); must match the packaged wheels."
  type        = string
  default     = "x86_64"
  nullable    = false

  validation {
    condition     = contains(["x86_64", "arm64"], var.lambda_architecture)
    error_message = "lambda_architecture must be x86_64 or arm64."
  }
}

variable "lambda_tracing_mode" {
  description = "X-Ray tracing of the Lambda functions: Active (sampled traces of every invocation, the role gets xray:PutTraceSegments/PutTelemetryRecords), PassThrough (only requests already traced upstream) or null (not configured)."
  type        = string
  default     = "Active"

  validation {
    condition     = var.lambda_tracing_mode == null || contains(["Active", "PassThrough"], coalesce(var.lambda_tracing_mode, "-"))
    error_message = "lambda_tracing_mode must be Active, PassThrough or null."
  }
}

variable "log_retention_days" {
  description = "Retention of the Lambda and API access log groups, in days."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of CloudWatch Logs' values: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "supported_languages" {
  description = "ISO 639-1 codes of the languages sessions may use."
  type        = list(string)
  default     = ["en", "es", "fr", "de", "it", "pt", "ru", "ja", "ko", "zh", "ar", "hi", "nl", "pl", "tr", "sv", "da", "no", "fi"]
  nullable    = false

  validation {
    condition     = length(var.supported_languages) > 0
    error_message = "supported_languages must not be empty."
  }

  validation {
    condition     = alltrue([for l in var.supported_languages : can(regex("^[a-z]{2}$", l))])
    error_message = "Each supported language must be a two-letter lowercase ISO 639-1 code."
  }

  validation {
    condition     = length(distinct(var.supported_languages)) == length(var.supported_languages)
    error_message = "supported_languages must not contain duplicates."
  }
}

variable "session_ttl_hours" {
  description = "Hours after which a session expires (DynamoDB TTL)."
  type        = number
  default     = 24
  nullable    = false

  validation {
    condition     = var.session_ttl_hours >= 1 && var.session_ttl_hours <= 168 && floor(var.session_ttl_hours) == var.session_ttl_hours
    error_message = "session_ttl_hours must be an integer between 1 and 168."
  }
}

variable "create_rate_limit_per_minute" {
  description = "Session creations allowed per speaker per minute."
  type        = number
  default     = 10
  nullable    = false

  validation {
    condition     = var.create_rate_limit_per_minute >= 1 && var.create_rate_limit_per_minute <= 1000 && floor(var.create_rate_limit_per_minute) == var.create_rate_limit_per_minute
    error_message = "create_rate_limit_per_minute must be an integer between 1 and 1000."
  }
}

variable "cursor_signing_keys" {
  description = "Keys that sign the list cursors (nextToken) of GET /sessions, newest first: the first signs, every one verifies. Empty: one key generated at the first apply and kept in the state. Rotate by putting a new key first and removing the old one an hour later (docs/operating.md)."
  type        = list(string)
  default     = []
  nullable    = false
  sensitive   = true

  validation {
    condition     = alltrue([for key in var.cursor_signing_keys : length(key) >= 32 && !strcontains(key, ",")]) && length(var.cursor_signing_keys) <= 5
    error_message = "cursor_signing_keys: at most 5 keys, each at least 32 characters and without commas."
  }
}

variable "http_throttling" {
  description = "Default route throttling of the HTTP API stage: burst_limit (requests) and rate_limit (requests per second)."
  type = object({
    burst_limit = optional(number, 100)
    rate_limit  = optional(number, 50)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.http_throttling.burst_limit >= 0 && var.http_throttling.burst_limit <= 5000 && floor(var.http_throttling.burst_limit) == var.http_throttling.burst_limit
    error_message = "http_throttling.burst_limit must be an integer between 0 and 5000."
  }

  validation {
    condition     = var.http_throttling.rate_limit >= 0 && var.http_throttling.rate_limit <= 10000
    error_message = "http_throttling.rate_limit must be between 0 and 10000 requests per second."
  }
}

variable "service_version" {
  description = "Version reported by the service (SERVICE_VERSION), semantic versioning."
  type        = string
  default     = "0.1.0"
  nullable    = false

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+([-+][0-9A-Za-z.+-]+)?$", var.service_version))
    error_message = "service_version must be a semantic version such as 1.2.3 or 1.2.3-rc.1."
  }
}

variable "point_in_time_recovery" {
  description = "Enable point-in-time recovery on the DynamoDB tables."
  type        = bool
  default     = true
  nullable    = false
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key ARN for DynamoDB encryption at rest (null = AWS-owned key)."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", coalesce(var.kms_key_arn, "-")))
    error_message = "kms_key_arn must be null or a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)."
  }
}

variable "deletion_protection" {
  description = "Enable deletion protection on the DynamoDB tables and the created user pool."
  type        = bool
  default     = false
  nullable    = false
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the service's metrics (METRICS_NAMESPACE)."
  type        = string
  default     = "Babelcast/Sessions"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9.\\-_/#:]{1,255}$", var.metrics_namespace)) && !startswith(var.metrics_namespace, "AWS/")
    error_message = "metrics_namespace must be 1-255 characters of letters, digits and . - _ / # : and must not start with AWS/."
  }
}

variable "log_level" {
  description = "Log level of the Lambda functions (LOG_LEVEL)."
  type        = string
  default     = "INFO"
  nullable    = false

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARNING or ERROR."
  }
}

variable "max_listeners_per_session" {
  description = "Listener connections allowed per session (MAX_LISTENERS_PER_SESSION); further listeners are refused on $connect. 10 000 is what the sharded broadcast delivers a segment to within 1 s (docs/architecture.md#fan-out); one segment per second to 10 000 listeners is also API Gateway's default account rate of posts."
  type        = number
  default     = 10000
  nullable    = false

  validation {
    condition     = var.max_listeners_per_session >= 1 && var.max_listeners_per_session <= 100000 && floor(var.max_listeners_per_session) == var.max_listeners_per_session
    error_message = "max_listeners_per_session must be an integer between 1 and 100000."
  }
}

variable "broadcast_shard_size" {
  description = "Listeners per shard of a segment's delivery (FANOUT_SHARD_SIZE): the broadcast invocation that reads a segment delivers the first shard and hands each other one to an asynchronous invocation of itself. 250 keeps a shard under ~0.5 s at 1 vCPU (scripts/measure_post_cpu.py, docs/architecture.md#fan-out); at most 2000, so a shard's event stays under Lambda's 256 KB beside a 128 KB segment."
  type        = number
  default     = 250
  nullable    = false

  validation {
    condition     = var.broadcast_shard_size >= 10 && var.broadcast_shard_size <= 2000 && floor(var.broadcast_shard_size) == var.broadcast_shard_size
    error_message = "broadcast_shard_size must be an integer between 10 and 2000."
  }
}

variable "legacy_session_creation_enabled" {
  description = "Let clients still create sessions over the WebSocket (createSession action, LEGACY_CREATION_ENABLED) besides POST /sessions."
  type        = bool
  default     = true
  nullable    = false
}

variable "legacy_dialect_enabled" {
  description = "Accept the deployed frontends' WebSocket dialect (audioChunk, endSession, muteBroadcast, ...; legacy events beside ours; LEGACY_DIALECT_ENABLED). When false its messages get error LEGACY_DIALECT_DISABLED."
  type        = bool
  default     = true
  nullable    = false
}

variable "audio_buffer_seconds" {
  description = "Seconds of recent speaker audio buffered per session (AUDIO_BUFFER_SECONDS)."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.audio_buffer_seconds >= 1 && var.audio_buffer_seconds <= 300 && floor(var.audio_buffer_seconds) == var.audio_buffer_seconds
    error_message = "audio_buffer_seconds must be an integer between 1 and 300."
  }
}

variable "catch_up_seconds" {
  description = "Seconds of translated segments kept per session and language for listeners' catchUp after a drop or a late join (CATCH_UP_SECONDS)."
  type        = number
  default     = 60
  nullable    = false

  validation {
    condition     = var.catch_up_seconds >= 5 && var.catch_up_seconds <= 3600 && floor(var.catch_up_seconds) == var.catch_up_seconds
    error_message = "catch_up_seconds must be an integer between 5 and 3600."
  }
}

variable "websocket_stage_name" {
  description = "Stage of the WebSocket API: the path of the wss:// URL and of the @connections endpoint."
  type        = string
  default     = "live"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9_-]{1,128}$", var.websocket_stage_name))
    error_message = "websocket_stage_name must be 1-128 lowercase letters, digits, '_' or '-'."
  }
}

variable "websocket_throttling" {
  description = "Default route throttling of the WebSocket stage, counted in messages: burst_limit (messages) and rate_limit (messages per second)."
  type = object({
    # Higher than the HTTP API's: every speaker streams several audio chunks per second.
    burst_limit = optional(number, 1000)
    rate_limit  = optional(number, 500)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.websocket_throttling.burst_limit >= 0 && var.websocket_throttling.burst_limit <= 5000 && floor(var.websocket_throttling.burst_limit) == var.websocket_throttling.burst_limit
    error_message = "websocket_throttling.burst_limit must be an integer between 0 and 5000."
  }

  validation {
    condition     = var.websocket_throttling.rate_limit >= 0 && var.websocket_throttling.rate_limit <= 10000
    error_message = "websocket_throttling.rate_limit must be between 0 and 10000 messages per second."
  }
}

variable "audio_stream_shard_count" {
  description = "Shards of the audio stream (each takes 1 MB/s or 1000 records/s of speaker audio)."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = var.audio_stream_shard_count >= 1 && var.audio_stream_shard_count <= 500 && floor(var.audio_stream_shard_count) == var.audio_stream_shard_count
    error_message = "audio_stream_shard_count must be an integer between 1 and 500."
  }
}

variable "translated_stream_shard_count" {
  description = "Shards of the translated-segments stream."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = var.translated_stream_shard_count >= 1 && var.translated_stream_shard_count <= 500 && floor(var.translated_stream_shard_count) == var.translated_stream_shard_count
    error_message = "translated_stream_shard_count must be an integer between 1 and 500."
  }
}

variable "kinesis_retention_hours" {
  description = "Retention of the Kinesis streams, in hours (24 to 8760; beyond 24 is billed as extended retention)."
  type        = number
  default     = 24
  nullable    = false

  validation {
    condition     = var.kinesis_retention_hours >= 24 && var.kinesis_retention_hours <= 8760 && floor(var.kinesis_retention_hours) == var.kinesis_retention_hours
    error_message = "kinesis_retention_hours must be an integer between 24 and 8760."
  }
}

variable "kinesis_kms_key_arn" {
  description = "Customer-managed KMS key ARN for Kinesis encryption at rest (null = AWS-managed alias/aws/kinesis); the functions are then granted its use."
  type        = string
  default     = null

  validation {
    condition     = var.kinesis_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", coalesce(var.kinesis_kms_key_arn, "-")))
    error_message = "kinesis_kms_key_arn must be null or a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)."
  }
}

variable "connection_sweep_schedule" {
  description = "EventBridge schedule of the connection sweeper: rate(...) or cron(...)."
  type        = string
  default     = "rate(1 minute)"
  nullable    = false

  validation {
    # EventBridge wants the singular unit for 1 and the plural otherwise; cron takes six fields.
    condition = can(regex(
      "^(rate\\((1 (minute|hour|day)|[1-9][0-9]* (minutes|hours|days))\\)|cron\\(\\S+( \\S+){5}\\))$",
      var.connection_sweep_schedule,
    )) && !can(regex("^rate\\(1 (minutes|hours|days)\\)$", var.connection_sweep_schedule))
    error_message = "connection_sweep_schedule must be rate(1 minute|hour|day), rate(<n> minutes|hours|days) with n > 1, or cron(<6 fields>)."
  }
}

variable "connection_refresh_after_seconds" {
  description = "Age in seconds after which the sweeper asks a client to reconnect (CONNECTION_REFRESH_AFTER_SECONDS); below API Gateway's 2-hour connection limit."
  type        = number
  default     = 6600
  nullable    = false

  validation {
    condition     = var.connection_refresh_after_seconds >= 60 && var.connection_refresh_after_seconds < 7200 && floor(var.connection_refresh_after_seconds) == var.connection_refresh_after_seconds
    error_message = "connection_refresh_after_seconds must be an integer of at least 60 and below 7200 (API Gateway closes connections after 2 hours)."
  }
}

variable "monitoring_enabled" {
  description = "Create the alarms, their SNS topic (with a KMS key unless alarm_topic_kms_key_id names one) and the CloudWatch dashboard (modules/monitoring)."
  type        = bool
  default     = true
  nullable    = false
}

variable "alarm_subscriptions" {
  description = "Who is notified when an alarm fires or recovers: subscriptions to the alarm topic, each a protocol (email, email-json, https, sms, sqs or lambda) and an endpoint. Email recipients must confirm."
  type = list(object({
    protocol = string
    endpoint = string
  }))
  default  = []
  nullable = false

  validation {
    condition     = alltrue([for s in var.alarm_subscriptions : contains(["email", "email-json", "https", "sms", "sqs", "lambda"], s.protocol) && length(trimspace(s.endpoint)) > 0])
    error_message = "Each alarm subscription needs a protocol among email, email-json, https, sms, sqs, lambda and a non-empty endpoint (checked further by modules/monitoring)."
  }
}

variable "alarm_actions_by_severity" {
  description = "Route alarms by severity (modules/monitoring variable alarm_actions_by_severity): critical and warning each optionally { actions = [ARNs of SNS topics, Lambda functions, OpsItems or Incident Manager response plans], notify_topic = true (false: the actions replace the alarm topic) }. A severity left out notifies the alarm topic alone (the default for both)."
  type = object({
    critical = optional(object({
      actions      = list(string)
      notify_topic = optional(bool, true)
    }))
    warning = optional(object({
      actions      = list(string)
      notify_topic = optional(bool, true)
    }))
  })
  default  = {}
  nullable = false

  validation {
    condition     = alltrue([for r in values(var.alarm_actions_by_severity) : r == null || (length(try(r.actions, [])) >= 1 && alltrue([for a in try(r.actions, []) : startswith(a, "arn:")]))])
    error_message = "Each severity in alarm_actions_by_severity needs at least one action ARN (checked further by modules/monitoring)."
  }
}

variable "alarm_ok_notifications" {
  description = "Notify an alarm's actions when it recovers (OK) as well as when it fires (default). false: only ALARM transitions are sent; recoveries stay visible in the alarm history and on the dashboard."
  type        = bool
  default     = true
  nullable    = false
}

variable "alarm_thresholds" {
  description = "Overrides of the alarm thresholds and evaluation (modules/monitoring variable alarms, where the defaults live): per alarm (http_5xx_rate, http_latency_p95_critical, http_latency_p95_warning, websocket_connect_failure_rate, lambda_errors, session_creation_spike) any of threshold, period, evaluation_periods, datapoints_to_alarm, minimum_requests (rates), band_width and detection (\"anomaly_band\" or \"static\", session_creation_spike). Omitted or null = the module's default."
  type = object({
    http_5xx_rate = optional(object({
      threshold           = optional(number)
      minimum_requests    = optional(number)
      period              = optional(number)
      evaluation_periods  = optional(number)
      datapoints_to_alarm = optional(number)
    }))
    http_latency_p95_critical = optional(object({
      threshold           = optional(number)
      period              = optional(number)
      evaluation_periods  = optional(number)
      datapoints_to_alarm = optional(number)
    }))
    http_latency_p95_warning = optional(object({
      threshold           = optional(number)
      period              = optional(number)
      evaluation_periods  = optional(number)
      datapoints_to_alarm = optional(number)
    }))
    websocket_connect_failure_rate = optional(object({
      threshold           = optional(number)
      minimum_requests    = optional(number)
      period              = optional(number)
      evaluation_periods  = optional(number)
      datapoints_to_alarm = optional(number)
    }))
    lambda_errors = optional(object({
      threshold           = optional(number)
      period              = optional(number)
      evaluation_periods  = optional(number)
      datapoints_to_alarm = optional(number)
    }))
    session_creation_spike = optional(object({
      detection           = optional(string)
      band_width          = optional(number)
      threshold           = optional(number)
      period              = optional(number)
      evaluation_periods  = optional(number)
      datapoints_to_alarm = optional(number)
    }))
  })
  default  = {}
  nullable = false

  validation {
    condition = alltrue(flatten([
      for alarm in values(var.alarm_thresholds) : alarm == null ? [] : [
        for key, value in alarm : value == null || key == "detection" || try(value >= 0, false)
      ]
    ]))
    error_message = "alarm_thresholds numbers must not be negative (the monitoring module checks each alarm's values further)."
  }
}

variable "existing_alarm_topic" {
  description = "Existing SNS topic the alarms notify instead of one created here: { arn = ... } (an object, so that a topic the caller creates in the same apply works); null = create a topic with its own KMS key. Its policy must let cloudwatch.amazonaws.com publish, and its KMS key (if any) must let CloudWatch use it; alarm_subscriptions and alarm_topic_kms_key_id do not apply then."
  type = object({
    arn = string
  })
  default = null

  validation {
    condition     = var.existing_alarm_topic == null || try(can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.existing_alarm_topic.arn)), true)
    error_message = "existing_alarm_topic.arn must be an SNS topic ARN (arn:<partition>:sns:<region>:<account>:<name>)."
  }

  validation {
    condition     = var.existing_alarm_topic == null || (length(var.alarm_subscriptions) == 0 && var.alarm_topic_kms_key_id == null)
    error_message = "alarm_subscriptions and alarm_topic_kms_key_id configure a created topic: leave them empty with existing_alarm_topic (subscribe where that topic is managed)."
  }
}

variable "runbook_base_url" {
  description = "Full URL of this repository's docs/operating.md as your operators open it (e.g. https://git.example.com/speech/babelcast/blob/v1.4.0/docs/operating.md); every alarm description links it with the alarm's anchor appended. null = the repository-relative path docs/operating.md."
  type        = string
  default     = null

  validation {
    condition     = var.runbook_base_url == null || can(regex("^https://[^\\s#?]{1,390}$", coalesce(var.runbook_base_url, "-")))
    error_message = "runbook_base_url must be null or an https:// URL of at most 400 characters without a query or fragment (the alarm's #anchor is appended)."
  }
}

variable "manage_apigateway_account_logging" {
  description = "Create the account's API Gateway CloudWatch Logs role (<name_prefix>-apigateway-cloudwatch-<region>) and set it in the API Gateway account settings of this region. The WebSocket stage's access logs need it. It is one setting per account and region: true in exactly one configuration per account and region; false (the default) expects it to exist already (check with make preflight WORKSPACE=<env>)."
  type        = bool
  default     = false
  nullable    = false
}

variable "function_concurrency" {
  description = "Concurrency per function key (http_api, ws_authorizer, ws_connect, ws_disconnect, ws_message, session_events, broadcast, connection_sweeper): reserved (executions set aside for the function and its ceiling; null = unreserved) and provisioned (pre-initialised environments, 0 or null = none; the function is then invoked through its \"live\" alias, and each deployment publishes a version). Provisioned must not exceed reserved when both are set."
  type = map(object({
    reserved    = optional(number)
    provisioned = optional(number)
  }))
  default  = {}
  nullable = false

  validation {
    condition = alltrue([
      for c in values(var.function_concurrency) :
      (c.reserved == null || try(c.reserved >= 0 && floor(c.reserved) == c.reserved, false)) &&
      (c.provisioned == null || try(c.provisioned >= 0 && floor(c.provisioned) == c.provisioned, false))
    ])
    error_message = "function_concurrency values must be null or non-negative integers."
  }

  validation {
    condition     = alltrue([for c in values(var.function_concurrency) : c.reserved == null || c.provisioned == null || try(c.provisioned <= c.reserved, false)])
    error_message = "A function's provisioned concurrency must not exceed its reserved concurrency."
  }

  validation {
    condition     = length(setsubtract(keys(var.function_concurrency), keys(local.functions))) == 0
    error_message = "function_concurrency keys must be function keys of functions.tf (http_api, ws_authorizer, ws_connect, ws_disconnect, ws_message, session_events, broadcast, connection_sweeper)."
  }
}

variable "http_api_domain" {
  description = "Custom domain of the HTTP API (null = none): domain_name, certificate_arn (an ISSUED ACM certificate for it, in the deployment's region) and optional base_path. Outputs http_api_domain_target tell where to point DNS."
  type = object({
    domain_name     = string
    certificate_arn = string
    base_path       = optional(string)
  })
  default = null

  validation {
    # The shape of each field is checked by modules/api-domain.
    condition     = var.http_api_domain == null || try(length(var.http_api_domain.domain_name) > 0 && length(var.http_api_domain.certificate_arn) > 0, true)
    error_message = "http_api_domain needs a domain_name and a certificate_arn."
  }
}

variable "websocket_api_domain" {
  description = "Custom domain of the WebSocket API (null = none): domain_name, certificate_arn (an ISSUED ACM certificate for it, in the deployment's region) and optional base_path. Clients then connect to wss://<domain_name>[/<base_path>] (no stage in the path)."
  type = object({
    domain_name     = string
    certificate_arn = string
    base_path       = optional(string)
  })
  default = null

  validation {
    condition     = var.websocket_api_domain == null || var.http_api_domain == null || try(var.websocket_api_domain.domain_name != var.http_api_domain.domain_name, false)
    error_message = "The HTTP and WebSocket APIs need different custom domains (API Gateway maps one domain to either HTTP or WebSocket APIs)."
  }
}

variable "alarm_topic_kms_key_id" {
  description = "KMS key of the alarm topic: null = a key created for it whose policy lets CloudWatch alarms publish; or your own key (ARN, ID or alias) granting cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey*. Not alias/aws/sns: CloudWatch alarms cannot publish to a topic encrypted with it."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_topic_kms_key_id == null || !endswith(coalesce(var.alarm_topic_kms_key_id, "-"), "alias/aws/sns")
    error_message = "alarm_topic_kms_key_id must not be alias/aws/sns: CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed key. Leave it null to have a suitable key created."
  }
}
