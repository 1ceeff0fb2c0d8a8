terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0, < 7.0"
    }
  }
}

# Credentials and endpoints come from the environment (AWS_PROFILE, AWS_ENDPOINT_URL, ...), so the
# same configuration applies to real AWS and to a local emulator.
provider "aws" {
  region = var.region

  default_tags {
    tags = merge(var.tags, {
      Project   = var.name_prefix
      Workspace = terraform.workspace
      ManagedBy = "terraform"
    })
  }
}
