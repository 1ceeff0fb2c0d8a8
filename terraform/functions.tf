# The single source of truth for the Lambda functions, keyed by function key. The key names the
# artifact (<artifacts_dir>/<key>.zip) and, with "_" -> "-", the function (<name>-<key>).
locals {
  functions = {
    http_api = {
      handler     = "http_api.handler.lambda_handler"
      memory_size = 512
      timeout     = 10
      description = "Babelcast session management HTTP API (${terraform.workspace})"

      environment = {
        SESSIONS_TABLE_NAME          = module.sessions_table.name
        RATE_LIMITS_TABLE_NAME       = module.rate_limits_table.name
        ENVIRONMENT                  = terraform.workspace
        SERVICE_VERSION              = var.service_version
        SUPPORTED_LANGUAGES          = join(",", var.supported_languages)
        SESSION_TTL_HOURS            = tostring(var.session_ttl_hours)
        CREATE_RATE_LIMIT_PER_MINUTE = tostring(var.create_rate_limit_per_minute)
        METRICS_NAMESPACE            = var.metrics_namespace
        LOG_LEVEL                    = var.log_level
      }

      policy_statements = [
        {
          sid       = "SessionsReadWrite"
          actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
          resources = [module.sessions_table.arn]
        },
        {
          sid       = "SessionsBySpeaker"
          actions   = ["dynamodb:Query"]
          resources = [module.sessions_table.index_arns["by-speaker"]]
        },
        {
          sid       = "RateLimits"
          actions   = ["dynamodb:UpdateItem"]
          resources = [module.rate_limits_table.arn]
        },
      ]
    }
  }
}

module "functions" {
  source   = "./modules/lambda-function"
  for_each = local.functions

  function_name = "${local.name}-${replace(each.key, "_", "-")}"
  description   = each.value.description
  handler       = each.value.handler
  runtime       = var.lambda_runtime
  architecture  = var.lambda_architecture
  zip_path      = "${local.artifacts_dir}/${each.key}.zip"
  memory_size   = each.value.memory_size
  timeout       = each.value.timeout

  environment       = each.value.environment
  policy_statements = each.value.policy_statements

  log_retention_days       = var.log_retention_days
  permissions_boundary_arn = var.permissions_boundary_arn

  tags = { Function = each.key }
}
