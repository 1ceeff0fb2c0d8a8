locals {
  payload_format_version = "2.0"

  # One integration and one invoke permission per function, however many routes it serves.
  functions = { for r in values(var.routes) : r.function_name => { invoke_arn = r.invoke_arn, qualifier = r.qualifier }... }

  cors_allow_methods = var.cors.allow_methods != null ? var.cors.allow_methods : distinct([for k in keys(var.routes) : split(" ", k)[0]])

  # Deliberately no query string, headers or request body: bearer tokens and PII travel there.
  access_log_format = jsonencode({
    requestId          = "$context.requestId"
    ip                 = "$context.identity.sourceIp"
    requestTime        = "$context.requestTime"
    httpMethod         = "$context.httpMethod"
    routeKey           = "$context.routeKey"
    path               = "$context.path"
    status             = "$context.status"
    protocol           = "$context.protocol"
    responseLength     = "$context.responseLength"
    integrationLatency = "$context.integrationLatency"
    latency            = "$context.responseLatency"
    integrationError   = "$context.integrationErrorMessage"
    authorizerError    = "$context.authorizer.error"
  })
}

resource "aws_apigatewayv2_api" "this" {
  name          = var.name
  description   = var.description
  protocol_type = "HTTP"

  dynamic "cors_configuration" {
    for_each = length(var.cors.allow_origins) > 0 ? [var.cors] : []

    content {
      allow_origins     = cors_configuration.value.allow_origins
      allow_methods     = local.cors_allow_methods
      allow_headers     = cors_configuration.value.allow_headers
      expose_headers    = cors_configuration.value.expose_headers
      max_age           = cors_configuration.value.max_age
      allow_credentials = cors_configuration.value.allow_credentials
    }
  }

  tags = var.tags
}

resource "aws_apigatewayv2_authorizer" "jwt" {
  count = var.jwt_authorizer == null ? 0 : 1

  api_id           = aws_apigatewayv2_api.this.id
  name             = var.jwt_authorizer.name
  authorizer_type  = "JWT"
  identity_sources = ["$request.header.Authorization"]

  jwt_configuration {
    issuer   = var.jwt_authorizer.issuer
    audience = var.jwt_authorizer.audience
  }
}

resource "aws_apigatewayv2_integration" "lambda" {
  for_each = local.functions

  api_id                 = aws_apigatewayv2_api.this.id
  description            = "Lambda function ${each.key}"
  integration_type       = "AWS_PROXY"
  integration_method     = "POST"
  integration_uri        = each.value[0].invoke_arn
  payload_format_version = local.payload_format_version
  timeout_milliseconds   = var.integration_timeout_milliseconds
}

resource "aws_apigatewayv2_route" "this" {
  #checkov:skip=CKV_AWS_309: authorization is declared per route (routes.tf, checked against the handlers by tests/contract); NONE only for the public health check and public session lookup
  for_each = var.routes

  api_id             = aws_apigatewayv2_api.this.id
  route_key          = each.key
  target             = "integrations/${aws_apigatewayv2_integration.lambda[each.value.function_name].id}"
  authorization_type = each.value.authorization
  authorizer_id      = each.value.authorization == "JWT" ? one(aws_apigatewayv2_authorizer.jwt[*].id) : null

  lifecycle {
    precondition {
      condition     = each.value.authorization != "JWT" || var.jwt_authorizer != null
      error_message = "Route \"${each.key}\" uses JWT authorization but jwt_authorizer is null."
    }
  }
}

resource "aws_cloudwatch_log_group" "access" {
  #checkov:skip=CKV_AWS_158: CloudWatch Logs encrypts every log group at rest; the access log format excludes tokens, query strings and bodies
  #checkov:skip=CKV_AWS_338: access logs carry client IP addresses (personal data); they are kept only as long as operations need (log_retention_days)
  name              = "/aws/apigateway/${var.name}/access"
  retention_in_days = var.access_log_retention_days

  tags = var.tags
}

resource "aws_apigatewayv2_stage" "default" {
  api_id      = aws_apigatewayv2_api.this.id
  name        = "$default"
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

  statement_id  = "AllowHttpApi-${aws_apigatewayv2_api.this.id}"
  action        = "lambda:InvokeFunction"
  function_name = each.key
  qualifier     = each.value[0].qualifier
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.this.execution_arn}/*/*"
}
