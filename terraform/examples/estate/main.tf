# An estate adopting Babelcast: the estate owns its providers (an aliased provider per region),
# a shared artifacts bucket per region and a shared Cognito user pool, and calls the module
# - with for_each: two environments (qa, demo) in the primary region, demo with the estate's own
#   (bring-your-own) user pool;
# - with count and another aliased provider: a standby copy of qa in a second region, under the
#   very same name_prefix and environment (region-safe names keep the two apart);
# - with depends_on: the zips are uploaded only once the estate's bucket is versioned.

provider "aws" {
  alias  = "primary"
  region = var.primary_region

  default_tags {
    tags = { Estate = "speech-platform", ManagedBy = "terraform" }
  }
}

provider "aws" {
  alias  = "standby"
  region = coalesce(var.standby_region, var.primary_region)

  default_tags {
    tags = { Estate = "speech-platform", ManagedBy = "terraform" }
  }
}

data "aws_caller_identity" "current" {
  provider = aws.primary
}

locals {
  artifacts_dir = coalesce(var.artifacts_dir, "${path.root}/../../../dist")
  regions       = { primary = var.primary_region, standby = coalesce(var.standby_region, var.primary_region) }
}

# The estate's artifacts buckets (one per region: Lambda reads its code from its own region).
resource "aws_s3_bucket" "artifacts" {
  #checkov:skip=CKV_AWS_18: example estate bucket; access logging is the estate's own policy
  #checkov:skip=CKV_AWS_144: the zips are rebuilt reproducibly from source; no replica needed
  #checkov:skip=CKV_AWS_145: SSE-S3 is enough for code zips in this example
  #checkov:skip=CKV2_AWS_62: nothing reacts to uploads
  #checkov:skip=CKV2_AWS_61: the module's uploads expire with the estate's own lifecycle policy
  #checkov:skip=CKV2_AWS_6: public access is blocked account-wide in a real estate; see the primary bucket's block
  provider = aws.primary

  bucket        = "${var.name_prefix}-artifacts-${data.aws_caller_identity.current.account_id}-${local.regions.primary}"
  force_destroy = true
}

resource "aws_s3_bucket_versioning" "artifacts" {
  provider = aws.primary

  bucket = aws_s3_bucket.artifacts.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket" "standby_artifacts" {
  #checkov:skip=CKV_AWS_18: example estate bucket; access logging is the estate's own policy
  #checkov:skip=CKV_AWS_144: the zips are rebuilt reproducibly from source; no replica needed
  #checkov:skip=CKV_AWS_145: SSE-S3 is enough for code zips in this example
  #checkov:skip=CKV2_AWS_62: nothing reacts to uploads
  #checkov:skip=CKV2_AWS_61: the module's uploads expire with the estate's own lifecycle policy
  #checkov:skip=CKV2_AWS_6: public access is blocked account-wide in a real estate
  #checkov:skip=CKV_AWS_21: the standby copy deploys the version it uploads; no history kept
  count    = var.standby_region == null ? 0 : 1
  provider = aws.standby

  bucket        = "${var.name_prefix}-artifacts-${data.aws_caller_identity.current.account_id}-${local.regions.standby}"
  force_destroy = true
}

# A user pool the estate already runs for several products: demo signs its speakers in there.
resource "aws_cognito_user_pool" "shared" {
  provider = aws.primary

  name = "${var.name_prefix}-shared-identities"
}

resource "aws_cognito_user_pool_client" "shared" {
  provider = aws.primary

  name                = "${var.name_prefix}-babelcast-demo"
  user_pool_id        = aws_cognito_user_pool.shared.id
  explicit_auth_flows = ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
}

locals {
  environments = {
    qa   = { existing_user_pool = null, legacy_session_creation_enabled = true }
    demo = { existing_user_pool = { user_pool_id = aws_cognito_user_pool.shared.id, client_id = aws_cognito_user_pool_client.shared.id }, legacy_session_creation_enabled = false }
  }
}

module "babelcast" {
  source   = "../.."
  for_each = local.environments
  providers = {
    aws = aws.primary
  }

  name_prefix = var.name_prefix
  environment = each.key
  tags        = { CostCenter = "speech-${each.key}" }

  existing_user_pool              = each.value.existing_user_pool
  legacy_session_creation_enabled = each.value.legacy_session_creation_enabled

  artifacts_dir             = local.artifacts_dir
  existing_artifacts_bucket = { name = aws_s3_bucket.artifacts.id }

  runbook_base_url = "https://git.example.com/speech/babelcast/blob/v0.1.0/docs/operating.md"

  depends_on = [aws_s3_bucket_versioning.artifacts]
}

module "babelcast_standby" {
  source = "../.."
  count  = var.standby_region == null ? 0 : 1
  providers = {
    aws = aws.standby
  }

  name_prefix = var.name_prefix
  environment = "qa"
  tags        = { CostCenter = "speech-qa", Role = "standby" }

  artifacts_dir             = local.artifacts_dir
  existing_artifacts_bucket = { name = aws_s3_bucket.standby_artifacts[0].id }

  runbook_base_url = "https://git.example.com/speech/babelcast/blob/v0.1.0/docs/operating.md"
  # The standby region's account settings were never touched: the module sets its API Gateway
  # CloudWatch role there (the primary region's baseline already has one).
  manage_apigateway_account_logging = true
}
