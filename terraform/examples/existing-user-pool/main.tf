# The root module configures its own aws provider from its region and tags inputs; this block
# only serves the example's own data source.
provider "aws" {
  region = "eu-west-1"
}

data "aws_caller_identity" "current" {}

module "babelcast" {
  source = "../.."

  region = "eu-west-1"

  # Reuse a pool managed elsewhere: no pool or client is created, and the API accepts tokens
  # issued by this pool for this client.
  existing_user_pool = {
    user_pool_id = "eu-west-1_AbCdEf123"
    client_id    = "1example23456789abcdefghij"
  }

  # Organisations that delegate IAM often require a boundary on every role created.
  permissions_boundary_arn = "arn:aws:iam::123456789012:policy/workload-boundary"

  tags = {
    Owner       = "speech-team"
    CostCenter  = "4242"
    Environment = terraform.workspace
  }

  cors_allowed_origins = ["https://app.example.com"]
}
