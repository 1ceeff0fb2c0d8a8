# The prod environment. Backend: partial configuration completed by prod.s3.tfbackend
# (make plan WORKSPACE=prod passes it). allowed_account_ids makes the provider refuse any account
# but prod's; set assume_role_arn (TF_VAR_assume_role_arn) to deploy through a role of that account.
terraform {
  # 1.10: native S3 state locking (use_lockfile in the backend file).
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.98, < 7.0"
    }
  }

  backend "s3" {}
}

variable "assume_role_arn" {
  description = "Role of the prod account to deploy through (null = the caller's own credentials)."
  type        = string
  default     = null

  validation {
    condition     = var.assume_role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", coalesce(var.assume_role_arn, "-")))
    error_message = "assume_role_arn must be null or an IAM role ARN."
  }
}

provider "aws" {
  region              = "us-east-1"
  allowed_account_ids = ["333333333333"] # the prod account: replace with yours

  dynamic "assume_role" {
    for_each = var.assume_role_arn == null ? [] : [var.assume_role_arn]

    content {
      role_arn     = assume_role.value
      session_name = "babelcast-prod"
    }
  }

  default_tags {
    tags = { Project = "babelcast", Environment = "prod", ManagedBy = "terraform" }
  }
}

module "babelcast" {
  source = "../.."

  environment = "prod"

  # Where on-call opens docs/operating.md: every alarm description links a section of it.
  runbook_base_url = "https://git.example.com/speech/babelcast/blob/main/docs/operating.md"

  cors_allowed_origins   = ["https://app.example.com"]
  log_retention_days     = 90
  log_level              = "INFO"
  point_in_time_recovery = true
  deletion_protection    = true

  http_throttling = {
    burst_limit = 200
    rate_limit  = 100
  }

  # One sweep at a time: a run that overlaps the previous one waits for it instead.
  function_concurrency = {
    connection_sweeper = { reserved = 1 }
  }

  # Who is told when an alarm fires (docs/operating.md), e.g.
  # alarm_subscriptions = [{ protocol = "email", endpoint = "oncall@example.com" }]
}

output "babelcast" {
  description = "Every output of the module (terraform output -json babelcast)."
  value       = module.babelcast
}
