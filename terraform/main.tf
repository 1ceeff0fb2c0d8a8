locals {
  name          = "${var.name_prefix}-${terraform.workspace}"
  artifacts_dir = coalesce(var.artifacts_dir, "${path.module}/../dist")

  create_user_pool = var.existing_user_pool == null

  user_pool_id        = local.create_user_pool ? one(module.user_pool[*].user_pool_id) : var.existing_user_pool.user_pool_id
  user_pool_client_id = local.create_user_pool ? one(module.user_pool[*].user_pool_client_id) : var.existing_user_pool.client_id

  # Tokens carry the pool's own region in iss, which is the prefix of its ID (it may differ from var.region).
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
}

module "rate_limits_table" {
  source = "./modules/dynamodb-table"

  name               = "${local.name}-rate-limits"
  hash_key           = "limitKey"
  attributes         = [{ name = "limitKey", type = "S" }]
  ttl_attribute_name = "ttl"

  # Counters expire within minutes; restoring them has no value.
  point_in_time_recovery = false
  kms_key_arn            = var.kms_key_arn
  deletion_protection    = var.deletion_protection
}

module "user_pool" {
  source = "./modules/cognito-user-pool"
  count  = local.create_user_pool ? 1 : 0

  name                     = local.name
  allow_user_password_auth = var.allow_user_password_auth
  deletion_protection      = var.deletion_protection
}

module "http_api" {
  source = "./modules/http-api"

  name        = "${local.name}-http"
  description = "Babelcast session management API (${terraform.workspace})"

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
      authorization = route.authorization
    }
  }

  throttling                = var.http_throttling
  access_log_retention_days = var.log_retention_days
}
