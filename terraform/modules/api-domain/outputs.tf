output "domain_name" {
  description = "The custom domain."
  value       = aws_apigatewayv2_domain_name.this.domain_name
}

output "target_domain_name" {
  description = "Where the domain's DNS record must point (alias or CNAME target)."
  value       = aws_apigatewayv2_domain_name.this.domain_name_configuration[0].target_domain_name
}

output "hosted_zone_id" {
  description = "Hosted zone of target_domain_name, for a Route 53 alias record."
  value       = aws_apigatewayv2_domain_name.this.domain_name_configuration[0].hosted_zone_id
}

output "api_mapping_id" {
  description = "ID of the API mapping."
  value       = aws_apigatewayv2_api_mapping.this.id
}
