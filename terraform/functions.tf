# The single source of truth for the Lambda functions, keyed by function key. The key names the
# artifact (<artifacts_dir>/<key>.zip) and, with "_" -> "-", the function (<name>-<key>).
locals {
  functions = {
    http_api = {
      handler     = "http_api.handler.lambda_handler"
      memory_size = 512
      timeout     = 10
      description = "Babelcast session management HTTP API (${var.environment})"

      environment = {
        SESSIONS_TABLE_NAME          = module.sessions_table.name
        RATE_LIMITS_TABLE_NAME       = module.rate_limits_table.name
        ENVIRONMENT                  = var.environment
        SERVICE_VERSION              = var.service_version
        SUPPORTED_LANGUAGES          = join(",", var.supported_languages)
        SESSION_TTL_HOURS            = tostring(var.session_ttl_hours)
        CREATE_RATE_LIMIT_PER_MINUTE = tostring(var.create_rate_limit_per_minute)
        METRICS_NAMESPACE            = var.metrics_namespace
        LOG_LEVEL                    = var.log_level
        CURSOR_SIGNING_KEYS          = join(",", local.cursor_signing_keys)
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
          # the creation count, and which session a client's creation call made (its retry reads it)
          sid       = "RateLimits"
          actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
          resources = [module.rate_limits_table.arn]
        },
      ]
    }

    # $connect authorizer: verifies the Cognito token in the query string and lets anonymous
    # listeners through; it reads no table.
    ws_authorizer = {
      handler     = "ws_authorizer.handler.lambda_handler"
      memory_size = 256
      timeout     = 5
      description = "Babelcast WebSocket $connect authorizer (${var.environment})"

      environment = {
        ENVIRONMENT       = var.environment
        SERVICE_VERSION   = var.service_version
        METRICS_NAMESPACE = var.metrics_namespace
        LOG_LEVEL         = var.log_level
        JWT_ISSUER        = local.jwt_issuer
        JWT_AUDIENCE      = local.user_pool_client_id
        JWKS_URL          = "${local.jwt_issuer}/.well-known/jwks.json"
      }

      policy_statements = []
    }

    ws_connect = {
      handler     = "ws_connect.handler.lambda_handler"
      memory_size = 256
      timeout     = 10
      description = "Babelcast WebSocket $connect (${var.environment})"

      environment = {
        ENVIRONMENT               = var.environment
        SERVICE_VERSION           = var.service_version
        METRICS_NAMESPACE         = var.metrics_namespace
        LOG_LEVEL                 = var.log_level
        SESSIONS_TABLE_NAME       = module.sessions_table.name
        CONNECTIONS_TABLE_NAME    = module.connections_table.name
        SUPPORTED_LANGUAGES       = join(",", var.supported_languages)
        MAX_LISTENERS_PER_SESSION = tostring(var.max_listeners_per_session)
        LEGACY_CREATION_ENABLED   = tostring(var.legacy_session_creation_enabled)
      }

      policy_statements = [
        {
          sid       = "SessionsReadUpdate"
          actions   = ["dynamodb:GetItem", "dynamodb:UpdateItem"]
          resources = [module.sessions_table.arn]
        },
        {
          # DeleteItem: a $connect refused after its write undoes it (all or nothing)
          sid       = "ConnectionsPutAndUndo"
          actions   = ["dynamodb:PutItem", "dynamodb:DeleteItem"]
          resources = [module.connections_table.arn]
        },
      ]
    }

    ws_disconnect = {
      handler     = "ws_disconnect.handler.lambda_handler"
      memory_size = 256
      timeout     = 10
      description = "Babelcast WebSocket $disconnect (${var.environment})"

      environment = {
        ENVIRONMENT            = var.environment
        SERVICE_VERSION        = var.service_version
        METRICS_NAMESPACE      = var.metrics_namespace
        LOG_LEVEL              = var.log_level
        SESSIONS_TABLE_NAME    = module.sessions_table.name
        CONNECTIONS_TABLE_NAME = module.connections_table.name
      }

      policy_statements = [
        {
          sid       = "ConnectionsReadDelete"
          actions   = ["dynamodb:GetItem", "dynamodb:DeleteItem"]
          resources = [module.connections_table.arn]
        },
        {
          sid       = "SessionsUpdate"
          actions   = ["dynamodb:UpdateItem"]
          resources = [module.sessions_table.arn]
        },
      ]
    }

    # $default and every custom action (sendAudio, heartbeat, createSession, ...).
    ws_message = {
      handler     = "ws_message.handler.lambda_handler"
      memory_size = 512
      timeout     = 10
      description = "Babelcast WebSocket messages (${var.environment})"

      environment = {
        ENVIRONMENT                  = var.environment
        SERVICE_VERSION              = var.service_version
        METRICS_NAMESPACE            = var.metrics_namespace
        LOG_LEVEL                    = var.log_level
        SESSIONS_TABLE_NAME          = module.sessions_table.name
        CONNECTIONS_TABLE_NAME       = module.connections_table.name
        RATE_LIMITS_TABLE_NAME       = module.rate_limits_table.name
        AUDIO_BUFFER_TABLE_NAME      = module.audio_buffer_table.name
        AUDIO_STREAM_NAME            = local.audio_stream_name
        CONNECTIONS_ENDPOINT         = module.websocket_api.management_endpoint
        SUPPORTED_LANGUAGES          = join(",", var.supported_languages)
        SESSION_TTL_HOURS            = tostring(var.session_ttl_hours)
        CREATE_RATE_LIMIT_PER_MINUTE = tostring(var.create_rate_limit_per_minute)
        LEGACY_CREATION_ENABLED      = tostring(var.legacy_session_creation_enabled)
        LEGACY_DIALECT_ENABLED       = tostring(var.legacy_dialect_enabled)
        AUDIO_BUFFER_SECONDS         = tostring(var.audio_buffer_seconds)
        CATCH_UP_TABLE_NAME          = module.catch_up_table.name
        CATCH_UP_SECONDS             = tostring(var.catch_up_seconds)
      }

      policy_statements = concat([
        {
          sid       = "SessionsReadWrite"
          actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
          resources = [module.sessions_table.arn]
        },
        {
          sid       = "RateLimits"
          actions   = ["dynamodb:UpdateItem"]
          resources = [module.rate_limits_table.arn]
        },
        {
          sid       = "ConnectionsReadUpdate"
          actions   = ["dynamodb:GetItem", "dynamodb:UpdateItem"]
          resources = [module.connections_table.arn]
        },
        {
          # the legacy dialect's top-level languageDistribution in sessionStatus
          sid       = "ConnectionsBySession"
          actions   = ["dynamodb:Query"]
          resources = [module.connections_table.index_arns["by-session"]]
        },
        {
          sid       = "AudioBuffer"
          actions   = ["dynamodb:PutItem", "dynamodb:Query", "dynamodb:BatchWriteItem"]
          resources = [module.audio_buffer_table.arn]
        },
        {
          # catchUp: the counter (GetItem) and the kept segments (Query)
          sid       = "CatchUpRead"
          actions   = ["dynamodb:GetItem", "dynamodb:Query"]
          resources = [module.catch_up_table.arn]
        },
        {
          sid       = "AudioStreamPut"
          actions   = ["kinesis:PutRecord"]
          resources = [local.audio_stream_arn]
        },
        {
          sid       = "PostToConnections"
          actions   = ["execute-api:ManageConnections"]
          resources = [local.connections_arns.POST]
        },
      ], local.kinesis_producer_kms_statements)
    }

    # Reacts to session changes (sessions table stream): notifies and disconnects listeners,
    # flushes buffered audio.
    session_events = {
      handler     = "session_events.handler.lambda_handler"
      memory_size = 512
      timeout     = 60
      description = "Babelcast session change fan-out (${var.environment})"

      environment = {
        ENVIRONMENT             = var.environment
        SERVICE_VERSION         = var.service_version
        METRICS_NAMESPACE       = var.metrics_namespace
        LOG_LEVEL               = var.log_level
        SESSIONS_TABLE_NAME     = module.sessions_table.name
        CONNECTIONS_TABLE_NAME  = module.connections_table.name
        AUDIO_BUFFER_TABLE_NAME = module.audio_buffer_table.name
        AUDIO_STREAM_NAME       = local.audio_stream_name
        CONNECTIONS_ENDPOINT    = module.websocket_api.management_endpoint
        LEGACY_DIALECT_ENABLED  = tostring(var.legacy_dialect_enabled)
      }

      policy_statements = concat([
        {
          sid       = "SessionsStreamRead"
          actions   = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"]
          resources = [module.sessions_table.stream_arn]
        },
        {
          sid       = "ConnectionsBySession"
          actions   = ["dynamodb:Query"]
          resources = [module.connections_table.index_arns["by-session"]]
        },
        {
          # BatchWriteItem: a session's end forgets all of its connections at once.
          sid       = "ConnectionsDelete"
          actions   = ["dynamodb:DeleteItem", "dynamodb:BatchWriteItem"]
          resources = [module.connections_table.arn]
        },
        {
          # GetItem: the audio flush re-reads the buffer counters when they look inconsistent, and
          # an ended session's usage is re-read when a $disconnect raced its settlement.
          sid       = "SessionsReadUpdate"
          actions   = ["dynamodb:GetItem", "dynamodb:UpdateItem"]
          resources = [module.sessions_table.arn]
        },
        {
          sid       = "AudioBufferDrain"
          actions   = ["dynamodb:Query", "dynamodb:BatchWriteItem"]
          resources = [module.audio_buffer_table.arn]
        },
        {
          sid       = "AudioStreamPut"
          actions   = ["kinesis:PutRecord"]
          resources = [local.audio_stream_arn]
        },
        {
          sid       = "PostToAndDropConnections"
          actions   = ["execute-api:ManageConnections"]
          resources = [local.connections_arns.POST, local.connections_arns.DELETE]
        },
      ], local.kinesis_producer_kms_statements, local.stream_failure_statements)
    }

    # Sends translated segments (translated-segments stream) to the listeners of each language,
    # in shards handed to asynchronous invocations of itself. 1769 MB is one full vCPU: a post's
    # CPU (signing, HTTP), not its round trip, bounds how many one invocation makes per second.
    broadcast = {
      handler     = "broadcast.handler.lambda_handler"
      memory_size = 1769
      timeout     = 60
      description = "Babelcast translated segment broadcast (${var.environment})"

      environment = {
        ENVIRONMENT            = var.environment
        SERVICE_VERSION        = var.service_version
        METRICS_NAMESPACE      = var.metrics_namespace
        LOG_LEVEL              = var.log_level
        CONNECTIONS_TABLE_NAME = module.connections_table.name
        SESSIONS_TABLE_NAME    = module.sessions_table.name
        CONNECTIONS_ENDPOINT   = module.websocket_api.management_endpoint
        CATCH_UP_TABLE_NAME    = module.catch_up_table.name
        CATCH_UP_SECONDS       = tostring(var.catch_up_seconds)
        FANOUT_SHARD_SIZE      = tostring(var.broadcast_shard_size)
      }

      policy_statements = concat([
        {
          # the shards of a large audience, each to an asynchronous invocation of this function
          # (named, not referenced: its ARN from module outputs would be a cycle), any alias
          sid       = "FanoutShardsToItself"
          actions   = ["lambda:InvokeFunction"]
          resources = [local.broadcast_function_arn, "${local.broadcast_function_arn}:*"]
        },
        {
          sid = "TranslatedSegmentsRead"
          actions = [
            "kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords",
            "kinesis:GetShardIterator", "kinesis:ListShards",
          ]
          resources = [local.translated_segments_stream_arn]
        },
        {
          # SubscribeToShard is authorized on the stream's consumer ARNs (enhanced fan-out), not on the stream.
          sid       = "TranslatedSegmentsSubscribe"
          actions   = ["kinesis:SubscribeToShard"]
          resources = ["${local.translated_segments_stream_arn}/consumer/*"]
        },
        {
          sid       = "ConnectionsBySession"
          actions   = ["dynamodb:Query"]
          resources = [module.connections_table.index_arns["by-session"]]
        },
        {
          # a sequence per segment (UpdateItem of the counter) and the segment kept (PutItem)
          sid       = "CatchUpWrite"
          actions   = ["dynamodb:UpdateItem", "dynamodb:PutItem"]
          resources = [module.catch_up_table.arn]
        },
        {
          sid       = "ConnectionsDelete"
          actions   = ["dynamodb:DeleteItem"]
          resources = [module.connections_table.arn]
        },
        {
          # GetItem: the audience version (is the kept listener set current?); UpdateItem: a 410's clean-up
          sid       = "SessionsReadUpdate"
          actions   = ["dynamodb:GetItem", "dynamodb:UpdateItem"]
          resources = [module.sessions_table.arn]
        },
        {
          sid       = "PostToConnections"
          actions   = ["execute-api:ManageConnections"]
          resources = [local.connections_arns.POST]
        },
      ], local.kinesis_consumer_kms_statements, local.stream_failure_statements)
    }

    # Scheduled: drops stale connections and refreshes those nearing API Gateway's 2-hour limit.
    connection_sweeper = {
      handler     = "connection_sweeper.handler.lambda_handler"
      memory_size = 256
      timeout     = 60
      description = "Babelcast WebSocket connection sweeper (${var.environment})"

      environment = {
        ENVIRONMENT                      = var.environment
        SERVICE_VERSION                  = var.service_version
        METRICS_NAMESPACE                = var.metrics_namespace
        LOG_LEVEL                        = var.log_level
        SESSIONS_TABLE_NAME              = module.sessions_table.name
        CONNECTIONS_TABLE_NAME           = module.connections_table.name
        CONNECTIONS_ENDPOINT             = module.websocket_api.management_endpoint
        CONNECTION_REFRESH_AFTER_SECONDS = tostring(var.connection_refresh_after_seconds)
      }

      policy_statements = [
        {
          sid       = "ConnectionsSweep"
          actions   = ["dynamodb:Scan", "dynamodb:DeleteItem", "dynamodb:UpdateItem"]
          resources = [module.connections_table.arn]
        },
        {
          sid       = "SessionsReadUpdate"
          actions   = ["dynamodb:GetItem", "dynamodb:UpdateItem"]
          resources = [module.sessions_table.arn]
        },
        {
          sid       = "ManageConnections"
          actions   = ["execute-api:ManageConnections"]
          resources = [local.connections_arns.GET, local.connections_arns.POST, local.connections_arns.DELETE]
        },
      ]
    }
  }

  # execute-api:ManageConnections resources of the WebSocket stage by method: POST sends to a
  # connection, GET describes it, DELETE disconnects it.
  connections_arns = {
    for method in ["GET", "POST", "DELETE"] :
    method => "${module.websocket_api.connections_arn_prefix}/${method}/@connections/*"
  }

  # Stream consumers: their event source mapping sends the record of a batch it gives up on to the
  # on-failure queue (triggers.tf) with the function's role.
  stream_failure_statements = [{
    sid       = "StreamFailuresSend"
    actions   = ["sqs:SendMessage"]
    resources = [local.stream_failures_queue_arn]
  }]

  # Streams encrypted with the AWS-managed key (alias/aws/kinesis) need no KMS permissions in the
  # caller's policy: its key policy lets Kinesis use it for any principal of the account. A
  # customer-managed key must be granted explicitly: data keys to producers, Decrypt to consumers.
  kinesis_producer_kms_statements = var.kinesis_kms_key_arn == null || !local.kinesis_encryption_enabled ? [] : [{
    sid       = "KinesisKmsEncrypt"
    actions   = ["kms:GenerateDataKey"]
    resources = [var.kinesis_kms_key_arn]
  }]
  kinesis_consumer_kms_statements = var.kinesis_kms_key_arn == null || !local.kinesis_encryption_enabled ? [] : [{
    sid       = "KinesisKmsDecrypt"
    actions   = ["kms:Decrypt"]
    resources = [var.kinesis_kms_key_arn]
  }]
}

locals {
  # The broadcast function's own ARN, built from its name (functions/broadcast hands shards to itself).
  broadcast_function_arn = "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:${local.name}-broadcast"

  # IAM role names are global to the account: the region keeps one name_prefix and environment in
  # two regions apart. A name beyond IAM's 64 characters is cut, with a hash of the whole name.
  role_names = {
    for key in keys(local.functions) : key => (
      length("${local.name}-${replace(key, "_", "-")}-${local.region}") <= 64
      ? "${local.name}-${replace(key, "_", "-")}-${local.region}"
      : "${substr("${local.name}-${replace(key, "_", "-")}-${local.region}", 0, 55)}-${substr(sha1("${local.name}-${key}-${local.region}"), 0, 8)}"
    )
  }
}

module "functions" {
  source   = "./modules/lambda-function"
  for_each = local.functions

  function_name = "${local.name}-${replace(each.key, "_", "-")}"
  role_name     = local.role_names[each.key]
  description   = each.value.description
  handler       = each.value.handler
  runtime       = var.lambda_runtime
  architecture  = var.lambda_architecture
  memory_size   = each.value.memory_size
  timeout       = each.value.timeout

  # Deployed from the uploaded copy (see artifacts.tf); the local zip's hash still redeploys a
  # changed zip, and the pinned version is the one uploaded by this apply (an unversioned bucket
  # given in existing_artifacts_bucket reports none).
  zip_path          = aws_s3_object.artifacts[each.key].source
  s3_bucket         = aws_s3_object.artifacts[each.key].bucket
  s3_key            = aws_s3_object.artifacts[each.key].key
  s3_object_version = aws_s3_object.artifacts[each.key].version_id == "" ? null : aws_s3_object.artifacts[each.key].version_id

  environment       = each.value.environment
  policy_statements = each.value.policy_statements

  tracing_mode             = var.lambda_tracing_mode
  log_retention_days       = var.log_retention_days
  permissions_boundary_arn = var.permissions_boundary_arn

  reserved_concurrent_executions = try(var.function_concurrency[each.key].reserved, null) == null ? -1 : var.function_concurrency[each.key].reserved
  provisioned_concurrency        = try(var.function_concurrency[each.key].provisioned, null) == null ? 0 : var.function_concurrency[each.key].provisioned

  tags = merge(local.tags, { Function = each.key })
}

# The list cursors' signing key when var.cursor_signing_keys gives none: generated once, then kept
# (uuid() draws from the OS's cryptographic source: 244 random bits in two of them).
resource "terraform_data" "cursor_signing_key" {
  input = "${uuid()}${uuid()}"

  lifecycle {
    ignore_changes = [input]
  }
}

locals {
  cursor_signing_keys = length(var.cursor_signing_keys) > 0 ? var.cursor_signing_keys : [sensitive(terraform_data.cursor_signing_key.output)]
}
