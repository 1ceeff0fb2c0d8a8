# A module: no provider or backend block here. The caller (an estate, or one of the thin roots in
# environments/) configures the aws provider (region, credentials, assumed role, default tags) and
# may pass an aliased one with providers = { aws = aws.<alias> }, which also allows count,
# for_each and depends_on on the module block.
terraform {
  # 1.9: variable validations that refer to other variables (environment, emulator, ...).
  required_version = ">= 1.9"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.98 fixed the empty-filter regressions of aws_s3_bucket_lifecycle_configuration
      # (5.86-5.97: spurious warnings and "inconsistent result after apply"); nothing used here is
      # deprecated in 6.x (the region is read from data.aws_region's endpoint, not its name).
      version = ">= 5.98, < 7.0"
    }
  }
}
