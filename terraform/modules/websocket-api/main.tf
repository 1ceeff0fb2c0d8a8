data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  # The provider's region, read from the EC2 endpoint: data.aws_region's name is deprecated in 6.x and
  # its replacement (region) does not exist in 5.x.
  region = regex("[a-z]{2}(?:-[a-z]+)+-[0-9]+", data.aws_region.current.endpoint)

  # One integration and one invoke permission per function, however many routes it serves.
  functions = { for r in values(var.routes) : r.function_name => { invoke_arn = r.invoke_arn, qualifier = r.qualifier }... }

  # Only $connect may carry an authorizer on a WebSocket API; later messages ride the connection.
  authorized_route_key = "$connect"

  # Endpoint URLs are built from the API ID rather than read from api_endpoint, which emulators
  # may report with https:// even for WebSocket APIs (AWS reports wss://).
  host                = "${aws_apigatewayv2_api.this.id}.execute-api.${local.region}.${data.aws_partition.current.dns_suffix}"
  stage_execution_arn = "${aws_apigatewayv2_api.this.execution_arn}/${aws_apigatewayv2_stage.this.name}"

  # Deliberately no query string, headers or message body: connect tokens travel in the query
  # string (browsers cannot set headers on a WebSocket upgrade), audio and PII in the body.
  access_log_format = jsonencode({
    requestId          = "$context.requestId"
    ip                 = "$context.identity.sourceIp"
    requestTime        = "$context.requestTime"
    eventType          = "$context.eventType"
    routeKey           = "$context.routeKey"
    status             = "$context.status"
    connectionId       = "$context.connectionId"
    messageId          = "$context.messageId"
    integrationLatency = "$context.integrationLatency"
    error              = "$context.error.message"
    integrationError   = "$context.integration.error"
    authorizerError    = "$context.authorizer.error"
  })
}

resource "aws_apigatewayv2_api" "this" {
  name                       = var.name
  description                = var.description
  protocol_type              = "WEBSOCKET"
  route_selection_expression = var.route_selection_expression

  tags = var.tags
}

resource "aws_apigatewayv2_authorizer" "connect" {
  count = var.connect_authorizer == null ? 0 : 1

  api_id          = aws_apigatewayv2_api.this.id
  name            = var.connect_authorizer.name
  authorizer_type = "REQUEST"
  authorizer_uri  = var.connect_authorizer.invoke_arn
  # Empty by default: API Gateway answers 401 without invoking the authorizer when a listed
  # source is missing, and anonymous listeners connect without a token.
  identity_sources = var.connect_authorizer.identity_sources

  lifecycle {
    precondition {
      condition     = contains(keys(var.routes), local.authorized_route_key)
      error_message = "connect_authorizer is set but routes has no \"$connect\" route to attach it to."
    }
  }
}

resource "aws_apigatewayv2_integration" "lambda" {
  for_each = local.functions

  api_id               = aws_apigatewayv2_api.this.id
  description          = "Lambda function ${each.key}"
  integration_type     = "AWS_PROXY"
  integration_method   = "POST"
  integration_uri      = each.value[0].invoke_arn
  timeout_milliseconds = var.integration_timeout_milliseconds
}

resource "aws_apigatewayv2_route" "this" {
  #checkov:skip=CKV_AWS_309: only $connect can carry an authorizer on a WebSocket API (it gets the connect authorizer); every other route rides the authorized connection
  for_each = var.routes

  api_id             = aws_apigatewayv2_api.this.id
  route_key          = each.key
  target             = "integrations/${aws_apigatewayv2_integration.lambda[each.value.function_name].id}"
  authorization_type = each.key == local.authorized_route_key && var.connect_authorizer != null ? "CUSTOM" : "NONE"
  authorizer_id      = each.key == local.authorized_route_key ? one(aws_apigatewayv2_authorizer.connect[*].id) : null
}

resource "aws_cloudwatch_log_group" "access" {
  #checkov:skip=CKV_AWS_158: CloudWatch Logs encrypts every log group at rest; the access log format excludes tokens, query strings and message bodies
  #checkov:skip=CKV_AWS_338: access logs carry client IP addresses (personal data); they are kept only as long as operations need (log_retention_days)
  name              = "/aws/apigateway/${var.name}/access"
  retention_in_days = var.access_log_retention_days

  tags = var.tags
}

# Access logging on WebSocket (unlike HTTP) APIs needs the account-level API Gateway CloudWatch
# Logs role (aws_api_gateway_account), one per account and region: the caller creates it or
# checks that it exists (see the root module's manage_apigateway_account_logging).
resource "aws_apigatewayv2_stage" "this" {
  #checkov:skip=CKV2_AWS_51: browsers and mobile apps cannot present client certificates; speakers authenticate with Cognito tokens at $connect
  api_id      = aws_apigatewayv2_api.this.id
  name        = var.stage_name
  auto_deploy = true

  default_route_settings {
    throttling_burst_limit = var.throttling.burst_limit
    throttling_rate_limit  = var.throttling.rate_limit
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format          = local.access_log_format
  }

  tags = var.tags
}

resource "aws_lambda_permission" "invoke" {
  for_each = local.functions

  statement_id  = "AllowWebSocketApi-${aws_apigatewayv2_api.this.id}"
  action        = "lambda:InvokeFunction"
  function_name = each.key
  qualifier     = each.value[0].qualifier
  principal     = "apigateway.amazonaws.com"
  # <api>/<stage>/<route key>; route keys such as $connect hold no "/".
  source_arn = "${aws_apigatewayv2_api.this.execution_arn}/*/*"
}

# API Gateway invokes an authorizer as the authorizer, not as a route.
resource "aws_lambda_permission" "authorizer" {
  count = var.connect_authorizer == null ? 0 : 1

  statement_id  = "AllowWebSocketAuthorizer-${aws_apigatewayv2_api.this.id}"
  action        = "lambda:InvokeFunction"
  function_name = var.connect_authorizer.function_name
  qualifier     = var.connect_authorizer.qualifier
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.this.execution_arn}/authorizers/${aws_apigatewayv2_authorizer.connect[0].id}"
}
