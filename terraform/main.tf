data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  name          = "${var.name_prefix}-${var.environment}"
  artifacts_dir = coalesce(var.artifacts_dir, "${path.module}/../dist")
  account_id    = data.aws_caller_identity.current.account_id
  partition     = data.aws_partition.current.partition
  # The provider's region, read from the EC2 endpoint: data.aws_region's name is deprecated in 6.x
  # and its replacement (region) does not exist in 5.x.
  region = regex("[a-z]{2}(?:-[a-z]+)+-[0-9]+", data.aws_region.current.endpoint)

  # On every resource, beside the caller's provider default_tags.
  tags = merge({ Project = var.name_prefix, Environment = var.environment, ManagedBy = "terraform" }, var.tags)

  # Emulator shortcuts (environment "local" only; see var.emulator): off everywhere else.
  emulator                   = var.emulator == null ? { kinesis_encryption = true, artifacts_bucket_tls_policy = true } : var.emulator
  kinesis_encryption_enabled = local.emulator.kinesis_encryption

  create_user_pool = var.existing_user_pool == null

  user_pool_id        = local.create_user_pool ? one(module.user_pool[*].user_pool_id) : var.existing_user_pool.user_pool_id
  user_pool_client_id = local.create_user_pool ? one(module.user_pool[*].user_pool_client_id) : var.existing_user_pool.client_id

  # Stream names and ARNs are built here rather than read from the streams, so that the functions
  # (environment, IAM) do not wait for them: the provider spends at least 20 s creating a stream.
  # Only the event source mapping, which needs the stream itself, uses the module's arn.
  audio_stream_name               = "${local.name}-audio"
  translated_segments_stream_name = "${local.name}-translated-segments"
  kinesis_stream_arn_prefix       = "arn:${local.partition}:kinesis:${local.region}:${local.account_id}:stream"
  audio_stream_arn                = "${local.kinesis_stream_arn_prefix}/${local.audio_stream_name}"
  translated_segments_stream_arn  = "${local.kinesis_stream_arn_prefix}/${local.translated_segments_stream_name}"

  # Tokens carry the pool's own region in iss, which is the prefix of its ID (it may differ from the
  # deployment's region).
  jwt_issuer = (
    local.create_user_pool
    ? one(module.user_pool[*].issuer)
    : "https://cognito-idp.${split("_", var.existing_user_pool.user_pool_id)[0]}.amazonaws.com/${var.existing_user_pool.user_pool_id}"
  )
}

module "sessions_table" {
  source = "./modules/dynamodb-table"

  name     = "${local.name}-sessions"
  hash_key = "sessionId"
  attributes = [
    { name = "sessionId", type = "S" },
    { name = "speakerId", type = "S" },
    { name = "createdAt", type = "N" },
  ]
  global_secondary_indexes = [
    { name = "by-speaker", hash_key = "speakerId", range_key = "createdAt", projection_type = "ALL" },
  ]
  ttl_attribute_name = "ttl"
  # Change feed for downstream consumers (fan-out of session updates).
  stream_view_type = "NEW_AND_OLD_IMAGES"

  point_in_time_recovery = var.point_in_time_recovery
  kms_key_arn            = var.kms_key_arn
  deletion_protection    = var.deletion_protection

  tags = local.tags
}

module "rate_limits_table" {
  #checkov:skip=CKV_AWS_28: counters expire within minutes; a restore would bring back nothing of value
  source = "./modules/dynamodb-table"

  name               = "${local.name}-rate-limits"
  hash_key           = "limitKey"
  attributes         = [{ name = "limitKey", type = "S" }]
  ttl_attribute_name = "ttl"

  # Counters expire within minutes; restoring them has no value.
  point_in_time_recovery = false
  kms_key_arn            = var.kms_key_arn
  deletion_protection    = var.deletion_protection

  tags = local.tags
}

module "connections_table" {
  #checkov:skip=CKV_AWS_28: connections live at most two hours; a restore would only bring back closed sockets
  source = "./modules/dynamodb-table"

  name     = "${local.name}-connections"
  hash_key = "connectionId"
  attributes = [
    { name = "connectionId", type = "S" },
    { name = "sessionId", type = "S" },
    { name = "channel", type = "S" },
  ]
  # Every connection of a session for fan-out: channel is a listener's target language, or
  # "speaker" for the speaker's own connection, so the speaker is found through it too.
  global_secondary_indexes = [
    { name = "by-session", hash_key = "sessionId", range_key = "channel", projection_type = "ALL" },
  ]
  ttl_attribute_name = "ttl"

  # A connection lives at most two hours (API Gateway's limit); a restore would only bring back
  # sockets that no longer exist.
  point_in_time_recovery = false
  kms_key_arn            = var.kms_key_arn
  deletion_protection    = var.deletion_protection

  tags = local.tags
}

module "audio_buffer_table" {
  #checkov:skip=CKV_AWS_28: holds a few seconds of audio that expire right after; nothing to restore
  source = "./modules/dynamodb-table"

  name      = "${local.name}-audio-buffer"
  hash_key  = "sessionId"
  range_key = "position"
  attributes = [
    { name = "sessionId", type = "S" },
    { name = "position", type = "N" },
  ]
  ttl_attribute_name = "ttl"

  # Holds the last few seconds of a session's audio and expires right after; nothing to restore.
  point_in_time_recovery = false
  kms_key_arn            = var.kms_key_arn
  deletion_protection    = var.deletion_protection

  tags = local.tags
}

module "catch_up_table" {
  #checkov:skip=CKV_AWS_28: holds the last catch_up_seconds of segments, expired right after; nothing to restore
  source = "./modules/dynamodb-table"

  # channel = "<sessionId>#<language>"; sequence 0 is the counter, 1.. the kept segments
  name      = "${local.name}-catch-up"
  hash_key  = "channel"
  range_key = "sequence"
  attributes = [
    { name = "channel", type = "S" },
    { name = "sequence", type = "N" },
  ]
  ttl_attribute_name = "ttl"

  # The last catch_up_seconds of translated segments; they expire right after. Nothing to restore.
  point_in_time_recovery = false
  kms_key_arn            = var.kms_key_arn
  deletion_protection    = var.deletion_protection

  tags = local.tags
}

# Speaker audio chunks for the translation pipeline. Producers use the session ID as partition
# key, so a session's chunks stay in order on one shard.
module "audio_stream" {
  source = "./modules/kinesis-stream"

  name             = local.audio_stream_name
  shard_count      = var.audio_stream_shard_count
  retention_period = var.kinesis_retention_hours
  # null selects the module's default, the AWS-managed alias/aws/kinesis.
  kms_key_id         = var.kinesis_kms_key_arn
  encryption_enabled = local.kinesis_encryption_enabled

  tags = local.tags
}

# The translation pipeline's output; the broadcast function sends each segment to the listeners.
module "translated_segments_stream" {
  source = "./modules/kinesis-stream"

  name               = local.translated_segments_stream_name
  shard_count        = var.translated_stream_shard_count
  retention_period   = var.kinesis_retention_hours
  kms_key_id         = var.kinesis_kms_key_arn
  encryption_enabled = local.kinesis_encryption_enabled

  tags = local.tags
}

module "user_pool" {
  source = "./modules/cognito-user-pool"
  count  = local.create_user_pool ? 1 : 0

  name                     = local.name
  allow_user_password_auth = var.allow_user_password_auth
  deletion_protection      = var.deletion_protection

  tags = local.tags
}

module "http_api" {
  source = "./modules/http-api"

  name        = "${local.name}-http"
  description = "Babelcast session management API (${var.environment})"

  cors = {
    allow_origins = var.cors_allowed_origins
  }

  jwt_authorizer = {
    name     = "cognito"
    issuer   = local.jwt_issuer
    audience = [local.user_pool_client_id]
  }

  routes = {
    for route_key, route in local.http_routes : route_key => {
      function_name = module.functions[route.function].function_name
      invoke_arn    = module.functions[route.function].invoke_arn
      qualifier     = module.functions[route.function].qualifier
      authorization = route.authorization
    }
  }

  throttling                = var.http_throttling
  access_log_retention_days = var.log_retention_days

  tags = local.tags
}

module "websocket_api" {
  source = "./modules/websocket-api"

  name        = "${local.name}-ws"
  description = "Babelcast live session WebSocket API (${var.environment})"

  routes = {
    for route_key, route in local.websocket_routes : route_key => {
      function_name = module.functions[route.function].function_name
      invoke_arn    = module.functions[route.function].invoke_arn
      qualifier     = module.functions[route.function].qualifier
    }
  }

  # No identity sources: the authorizer must also run for anonymous listeners (no token).
  connect_authorizer = {
    name          = "connect"
    function_name = module.functions[local.websocket_connect_authorizer].function_name
    invoke_arn    = module.functions[local.websocket_connect_authorizer].invoke_arn
    qualifier     = module.functions[local.websocket_connect_authorizer].qualifier
  }

  stage_name                = var.websocket_stage_name
  throttling                = var.websocket_throttling
  access_log_retention_days = var.log_retention_days

  tags = local.tags

  # AWS refuses the stage's access logs until the account has its API Gateway CloudWatch role
  # (prerequisites.tf); when this module sets it, the stage waits for it.
  depends_on = [aws_api_gateway_account.this]
}

# Optional custom domains, one per API (API Gateway maps a domain to HTTP or to WebSocket APIs).
module "http_api_domain" {
  source = "./modules/api-domain"
  count  = var.http_api_domain == null ? 0 : 1

  domain = var.http_api_domain
  api_id = module.http_api.api_id
  stage  = module.http_api.stage_name
  tags   = local.tags
}

module "websocket_api_domain" {
  source = "./modules/api-domain"
  count  = var.websocket_api_domain == null ? 0 : 1

  domain = var.websocket_api_domain
  api_id = module.websocket_api.api_id
  stage  = module.websocket_api.stage_name
  tags   = local.tags
}
