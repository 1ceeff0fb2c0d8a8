# What is created depends on the inputs: an existing user pool, an existing alarm topic, custom
# domains, the API Gateway account role, provisioned concurrency.
mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  environment   = "staging"
  artifacts_dir = "./tests/artifacts"
}

run "defaults_create_pool_topic_and_no_domains" {
  command = apply

  assert {
    condition     = length(module.user_pool) == 1 && output.user_pool_id == "eu-west-1_Mock12345"
    error_message = "Without existing_user_pool a pool is created."
  }

  assert {
    condition     = output.alarm_topic_arn == "arn:aws:sns:eu-west-1:123456789012:mock-alarms" && output.alarm_topic_kms_key_arn != null
    error_message = "Without existing_alarm_topic a topic and its key are created."
  }

  assert {
    condition     = output.http_api_domain == null && output.websocket_api_domain == null
    error_message = "No custom domain unless asked for."
  }

  assert {
    condition     = length(aws_api_gateway_account.this) == 0 && output.apigateway_cloudwatch_role_arn == null
    error_message = "The account-level API Gateway role is left alone by default."
  }

  assert {
    condition     = alltrue([for fn in module.functions : fn.qualifier == null])
    error_message = "Without provisioned concurrency the functions are invoked unqualified."
  }
}

run "existing_pool_and_topic_are_used_not_created" {
  command = apply

  variables {
    existing_user_pool   = { user_pool_id = "eu-central-1_Shared123", client_id = "sharedclient123" }
    existing_alarm_topic = { arn = "arn:aws:sns:eu-west-1:123456789012:estate-oncall" }
  }

  assert {
    condition     = length(module.user_pool) == 0 && output.user_pool_id == "eu-central-1_Shared123" && output.user_pool_client_id == "sharedclient123"
    error_message = "An existing pool replaces the created one."
  }

  assert {
    condition     = output.jwt_issuer == "https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_Shared123"
    error_message = "Tokens are trusted from the pool's own region (its ID prefix)."
  }

  assert {
    condition     = output.alarm_topic_arn == "arn:aws:sns:eu-west-1:123456789012:estate-oncall" && output.alarm_topic_kms_key_arn == null
    error_message = "An existing topic replaces the created topic and its key."
  }

  assert {
    condition     = length(output.alarm_names) == 15
    error_message = "Every alarm still exists, notifying the existing topic."
  }
}

run "custom_domains_account_role_and_provisioned_concurrency" {
  command = apply

  variables {
    http_api_domain                   = { domain_name = "api.example.com", certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/abc-1" }
    websocket_api_domain              = { domain_name = "live.example.com", certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/abc-2", base_path = "v1" }
    manage_apigateway_account_logging = true
    function_concurrency              = { http_api = { reserved = 20, provisioned = 2 } }
  }

  assert {
    condition     = output.http_api_domain.url == "https://api.example.com" && output.websocket_api_domain.url == "wss://live.example.com/v1"
    error_message = "Custom domain URLs: https:// for HTTP, wss:// plus the base path for WebSocket."
  }

  assert {
    condition     = output.http_api_domain.api_mapping_id != null && output.websocket_api_domain.target_domain_name != null
    error_message = "Each domain has an API mapping and a DNS target."
  }

  assert {
    condition     = length(aws_api_gateway_account.this) == 1 && aws_iam_role.apigateway_cloudwatch[0].name == "babelcast-apigateway-cloudwatch-eu-west-1"
    error_message = "manage_apigateway_account_logging creates the region's role and sets it."
  }

  assert {
    condition     = module.functions["http_api"].qualifier == "live" && module.functions["ws_message"].qualifier == null
    error_message = "Provisioned concurrency puts the function behind its live alias, and only that function."
  }

  assert {
    condition     = module.functions["http_api"].reserved_concurrent_executions == 20
    error_message = "Reserved concurrency reaches the function."
  }
}
