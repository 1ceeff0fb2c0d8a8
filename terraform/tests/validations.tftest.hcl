# Inputs that must be refused, each with the variable that refuses it.
mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  environment   = "prod"
  artifacts_dir = "./tests/artifacts"
}

run "emulator_shortcuts_are_refused_outside_local" {
  command = plan

  variables {
    emulator = { kinesis_encryption = false }
  }

  expect_failures = [var.emulator]
}

run "emulator_shortcuts_are_accepted_in_local" {
  command = plan

  variables {
    environment = "local"
    emulator    = { kinesis_encryption = false, artifacts_bucket_tls_policy = false }
  }

  assert {
    condition     = length(aws_s3_bucket_policy.artifacts) == 0 && module.audio_stream.name == "babelcast-local-audio"
    error_message = "In local, the TLS-only policy may be left out."
  }
}

run "production_keeps_the_tls_only_bucket_policy" {
  command = plan

  assert {
    condition     = length(aws_s3_bucket_policy.artifacts) == 1
    error_message = "Outside local the artifacts bucket always gets the TLS-only policy."
  }
}

run "environment_must_be_a_short_lowercase_name" {
  command = plan

  variables {
    environment = "Prod_EU"
  }

  expect_failures = [var.environment]
}

run "concurrency_only_for_declared_functions" {
  command = plan

  variables {
    function_concurrency = { http_apii = { reserved = 5 } }
  }

  expect_failures = [var.function_concurrency]
}

run "provisioned_concurrency_within_reserved" {
  command = plan

  variables {
    function_concurrency = { http_api = { reserved = 5, provisioned = 10 } }
  }

  expect_failures = [var.function_concurrency]
}

run "existing_topic_excludes_subscriptions" {
  command = plan

  variables {
    existing_alarm_topic = { arn = "arn:aws:sns:eu-west-1:123456789012:oncall" }
    alarm_subscriptions  = [{ protocol = "email", endpoint = "oncall@example.com" }]
  }

  expect_failures = [var.existing_alarm_topic]
}

run "runbook_link_must_be_https" {
  command = plan

  variables {
    runbook_base_url = "http://wiki.example.com/babelcast#runbook"
  }

  expect_failures = [var.runbook_base_url]
}

run "the_two_apis_need_two_domains" {
  command = plan

  variables {
    http_api_domain      = { domain_name = "api.example.com", certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/abc-1" }
    websocket_api_domain = { domain_name = "api.example.com", certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/abc-1" }
  }

  expect_failures = [var.websocket_api_domain]
}

run "alarm_routing_needs_actions" {
  command = plan

  variables {
    alarm_actions_by_severity = { warning = { actions = [], notify_topic = false } }
  }

  expect_failures = [var.alarm_actions_by_severity]
}
