# Names: <name_prefix>-<environment>-..., the region in every name that is global to the account,
# IAM's 64-character limit. terraform test with a mocked aws provider (no AWS, no emulator).
mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  environment   = "qa"
  artifacts_dir = "./tests/artifacts"
}

run "names_follow_prefix_and_environment" {
  command = plan

  assert {
    condition     = output.name == "babelcast-qa" && output.sessions_table_name == "babelcast-qa-sessions"
    error_message = "Resources must be named <name_prefix>-<environment>-..."
  }

  assert {
    condition     = output.functions["connection_sweeper"].function_name == "babelcast-qa-connection-sweeper"
    error_message = "Function names must be <name_prefix>-<environment>-<function key with - for _>."
  }

  assert {
    condition     = alltrue([for fn in values(output.functions) : endswith(fn.role_name, "-eu-west-1")])
    error_message = "IAM role names (global to the account) must carry the region."
  }

  assert {
    condition     = output.dashboard_name == "babelcast-qa-eu-west-1"
    error_message = "The dashboard name (global to the account) must carry the region."
  }

  assert {
    condition     = output.region == "eu-west-1" && output.environment == "qa"
    error_message = "The region comes from the provider, the environment from the input."
  }

  assert {
    condition     = aws_s3_bucket.artifacts[0].bucket == "babelcast-qa-artifacts-123456789012-eu-west-1"
    error_message = "The created artifacts bucket must be named <prefix>-<environment>-artifacts-<account>-<region>."
  }

  assert {
    condition     = alltrue([for fn in module.functions : fn.environment["ENVIRONMENT"] == "qa"])
    error_message = "Every function reports the environment input (not terraform.workspace)."
  }
}

run "long_names_stay_within_iam_limits_and_distinct" {
  command = plan

  variables {
    name_prefix = "speech-translation-x"
    environment = "perf-eu-central1"
  }

  assert {
    condition     = alltrue([for fn in values(output.functions) : length(fn.role_name) <= 64])
    error_message = "Role names must be cut to IAM's 64 characters."
  }

  assert {
    condition     = length(distinct([for fn in values(output.functions) : fn.role_name])) == 8
    error_message = "Cut role names must still differ."
  }

  assert {
    condition     = length(aws_s3_bucket.artifacts[0].bucket) <= 63
    error_message = "The bucket name must be cut to S3's 63 characters."
  }
}
