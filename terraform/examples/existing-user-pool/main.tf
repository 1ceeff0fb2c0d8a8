provider "aws" {
  region = "eu-west-1"
}

module "babelcast" {
  source = "../.."

  environment = "staging"

  # Reuse a pool managed elsewhere: no pool or client is created, and the API accepts tokens
  # issued by this pool for this client.
  existing_user_pool = {
    user_pool_id = "eu-west-1_AbCdEf123"
    client_id    = "1example23456789abcdefghij"
  }

  # Organisations that delegate IAM often require a boundary on every role created.
  permissions_boundary_arn = "arn:aws:iam::123456789012:policy/workload-boundary"

  tags = {
    Owner      = "speech-team"
    CostCenter = "4242"
  }

  cors_allowed_origins = ["https://app.example.com"]
}
