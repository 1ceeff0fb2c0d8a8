# The account-level API Gateway CloudWatch Logs role, without which AWS refuses the WebSocket
# stage's access logs ("CloudWatch Logs role ARN must be set in account settings"). It is one
# setting per account and region: set manage_apigateway_account_logging = true in exactly one
# configuration per account and region (this one, or your account baseline), and let every other
# one check it with `make preflight WORKSPACE=<env>`.
data "aws_iam_policy_document" "apigateway_assume" {
  count = var.manage_apigateway_account_logging ? 1 : 0

  statement {
    sid     = "ApiGatewayAssumeRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["apigateway.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

# The actions of the AWS-managed AmazonAPIGatewayPushToCloudWatchLogs policy, inline so that the
# role carries the permissions boundary like every other role here.
data "aws_iam_policy_document" "apigateway_logs" {
  count = var.manage_apigateway_account_logging ? 1 : 0

  statement {
    sid = "PushToCloudWatchLogs"
    actions = [
      "logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogGroups", "logs:DescribeLogStreams",
      "logs:PutLogEvents", "logs:GetLogEvents", "logs:FilterLogEvents",
    ]
    resources = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:*"]
  }
}

resource "aws_iam_role" "apigateway_cloudwatch" {
  count = var.manage_apigateway_account_logging ? 1 : 0

  # Global to the account: the region keeps the roles of two regions apart.
  name                 = "${var.name_prefix}-apigateway-cloudwatch-${local.region}"
  description          = "API Gateway account CloudWatch Logs role (${local.region})"
  assume_role_policy   = data.aws_iam_policy_document.apigateway_assume[0].json
  permissions_boundary = var.permissions_boundary_arn

  tags = local.tags
}

resource "aws_iam_role_policy" "apigateway_cloudwatch" {
  count = var.manage_apigateway_account_logging ? 1 : 0

  name   = "push-to-cloudwatch-logs"
  role   = aws_iam_role.apigateway_cloudwatch[0].id
  policy = data.aws_iam_policy_document.apigateway_logs[0].json
}

resource "aws_api_gateway_account" "this" {
  count = var.manage_apigateway_account_logging ? 1 : 0

  cloudwatch_role_arn = aws_iam_role.apigateway_cloudwatch[0].arn

  depends_on = [aws_iam_role_policy.apigateway_cloudwatch]
}
