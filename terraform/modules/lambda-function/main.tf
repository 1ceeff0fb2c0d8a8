data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  # The provider's region, read from the EC2 endpoint: data.aws_region's name is deprecated in 6.x and
  # its replacement (region) does not exist in 5.x.
  region         = regex("[a-z]{2}(?:-[a-z]+)+-[0-9]+", data.aws_region.current.endpoint)
  log_group_name = "/aws/lambda/${var.function_name}"

  # Built from plan-time data rather than the log group's arn, so that a retention change does not
  # defer the policy document to apply time and show a spurious policy update.
  log_group_arn = "arn:${data.aws_partition.current.partition}:logs:${local.region}:${data.aws_caller_identity.current.account_id}:log-group:${local.log_group_name}"

  from_s3 = var.s3_bucket != null

  # Provisioned concurrency lives on a published version, reached through the "live" alias.
  provisioned = var.provisioned_concurrency > 0

  # Without a hash, an S3 object overwritten under the same key would never be redeployed.
  source_code_hash = var.source_code_hash != null ? var.source_code_hash : try(filebase64sha256(var.zip_path), null)
}

data "aws_iam_policy_document" "assume_role" {
  statement {
    sid     = "LambdaAssumeRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name                 = coalesce(var.role_name, var.function_name)
  description          = "Execution role of Lambda function ${var.function_name}"
  assume_role_policy   = data.aws_iam_policy_document.assume_role.json
  permissions_boundary = var.permissions_boundary_arn

  tags = var.tags
}

# Created up front (not by the Lambda service on first write) so that retention and tags apply
# and the role needs no logs:CreateLogGroup.
resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338: retention is the caller's log_retention_days (30 days by default, 90 in prod); a year of logs with client addresses is more than operations need
  #checkov:skip=CKV_AWS_158: CloudWatch Logs encrypts every log group at rest; the logs hold no tokens or message bodies (scrubbed), so a CMK adds key management for no gain
  name              = local.log_group_name
  retention_in_days = var.log_retention_days

  tags = var.tags
}

data "aws_iam_policy_document" "this" {
  statement {
    sid       = "WriteOwnLogGroup"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.log_group_arn}:log-stream:*"]
  }

  dynamic "statement" {
    for_each = var.tracing_mode == "Active" ? [1] : []

    content {
      # X-Ray has no resource-level permissions.
      sid       = "XRayTracing"
      actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = var.policy_statements

    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = statement.value.resources

      dynamic "condition" {
        for_each = statement.value.conditions

        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}

# Inline (not managed) so the permissions live and die with this one role.
resource "aws_iam_role_policy" "this" {
  name   = "${var.function_name}-permissions"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_50: X-Ray tracing is the caller's tracing_mode (the root module sets Active by default); checkov cannot resolve the dynamic block
  #checkov:skip=CKV_AWS_116: a DLQ only catches asynchronous invocations; API Gateway and stream mappings invoke synchronously (stream failures go to the mapping's on-failure queue) and a failed scheduled sweep is redone by the next run
  #checkov:skip=CKV_AWS_117: the functions reach only AWS public endpoints (DynamoDB, Kinesis, API Gateway); a VPC would add NAT or endpoints and cold-start cost for no private resource
  #checkov:skip=CKV_AWS_272: zips are built reproducibly (make package) and deployed from a versioned, TLS-only bucket at a pinned version; AWS Signer is not available to the local emulator
  #checkov:skip=CKV_AWS_173: the environment holds resource names and settings, and the list cursors' signing keys (integrity keys for pagination, no credential); Lambda encrypts it at rest with the AWS-managed key
  function_name = var.function_name
  description   = var.description
  role          = aws_iam_role.this.arn
  handler       = var.handler
  runtime       = var.runtime
  architectures = [var.architecture]
  memory_size   = var.memory_size
  timeout       = var.timeout

  # From S3 the provider creates functions concurrently; with filename it holds a global lock
  # around reading the zip and waiting for the function to become active, one function at a time.
  filename          = local.from_s3 ? null : var.zip_path
  s3_bucket         = var.s3_bucket
  s3_key            = var.s3_key
  s3_object_version = var.s3_object_version
  source_code_hash  = local.source_code_hash

  reserved_concurrent_executions = var.reserved_concurrent_executions
  publish                        = local.provisioned

  dynamic "environment" {
    # An empty variables block would show as a perpetual diff.
    for_each = length(var.environment) > 0 ? [var.environment] : []

    content {
      variables = environment.value
    }
  }

  dynamic "tracing_config" {
    for_each = var.tracing_mode == null ? [] : [var.tracing_mode]

    content {
      mode = tracing_config.value
    }
  }

  tags = var.tags

  # The log group must exist first (else Lambda creates an unmanaged one without retention), and
  # the policy must be attached before the first invocation can write logs.
  depends_on = [
    aws_cloudwatch_log_group.this,
    aws_iam_role_policy.this,
  ]

  lifecycle {
    precondition {
      condition     = local.from_s3 ? var.s3_key != null && local.source_code_hash != null : var.zip_path != null && var.s3_key == null && var.s3_object_version == null
      error_message = "Give either zip_path, or s3_bucket and s3_key with zip_path or source_code_hash (s3_key and s3_object_version need s3_bucket)."
    }
  }
}

resource "aws_lambda_alias" "live" {
  count = local.provisioned ? 1 : 0

  name             = "live"
  description      = "The version every invoker calls; holds the provisioned concurrency"
  function_name    = aws_lambda_function.this.function_name
  function_version = aws_lambda_function.this.version
}

resource "aws_lambda_provisioned_concurrency_config" "live" {
  count = local.provisioned ? 1 : 0

  function_name                     = aws_lambda_alias.live[0].function_name
  qualifier                         = aws_lambda_alias.live[0].name
  provisioned_concurrent_executions = var.provisioned_concurrency
}
