# A custom domain for an API Gateway v2 API (HTTP or WebSocket): a regional endpoint with the
# given certificate, TLS 1.2 minimum, and the stage mapped under base_path (or at the root).
resource "aws_apigatewayv2_domain_name" "this" {
  domain_name = var.domain.domain_name

  domain_name_configuration {
    certificate_arn = var.domain.certificate_arn
    endpoint_type   = "REGIONAL"
    security_policy = "TLS_1_2"
  }

  tags = var.tags
}

resource "aws_apigatewayv2_api_mapping" "this" {
  api_id          = var.api_id
  domain_name     = aws_apigatewayv2_domain_name.this.id
  stage           = var.stage
  api_mapping_key = var.domain.base_path
}
