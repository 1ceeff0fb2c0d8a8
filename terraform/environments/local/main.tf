# The local environment: the whole system on an AWS emulator (make dev, the tests). No backend:
# the state stays in the scratch copy the local stack applies from, and allowed_account_ids only
# admits the emulators' accounts (moto 123456789012, LocalStack 000000000000), so this root can
# never be applied to a real account. The region comes from AWS_REGION (the local stack sets it).
terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.98, < 7.0"
    }
  }
}

provider "aws" {
  allowed_account_ids = ["123456789012", "000000000000"]

  default_tags {
    tags = { Project = "babelcast", Environment = "local", ManagedBy = "terraform" }
  }
}

module "babelcast" {
  source = "../.."

  environment = "local"

  # Emulator shortcuts (refused outside environment "local"): no Kinesis encryption (the provider
  # waits at least 10 s per stream after starting it), no TLS-only bucket policy (the emulator is
  # plain HTTP, and moto applies a Deny statement whatever its condition).
  emulator = {
    kinesis_encryption          = false
    artifacts_bucket_tls_policy = false
  }

  # Test tooling signs in with USER_PASSWORD_AUTH; browser dev servers call the API: the common
  # dev-server ports (Vite 5173, Next/CRA 3000, Angular 4200, 8080) are allowed. `make dev` adds
  # the API docs viewer's origin and any in BABELCAST_CORS_ORIGINS (comma-separated), so another
  # origin needs no edit here.
  allow_user_password_auth = true
  cors_allowed_origins = [
    "http://localhost:5173", "http://127.0.0.1:5173",
    "http://localhost:3000", "http://127.0.0.1:3000",
    "http://localhost:4200", "http://127.0.0.1:4200",
    "http://localhost:8080", "http://127.0.0.1:8080",
  ]
  log_retention_days  = 1
  log_level           = "DEBUG"
  deletion_protection = false

  # Load tests and benchmarks run against the local stack, whose gateway enforces stage throttling
  # as AWS does: keep the local limits at AWS's account defaults.
  http_throttling      = { burst_limit = 5000, rate_limit = 10000 }
  websocket_throttling = { burst_limit = 5000, rate_limit = 10000 }

  # Small shards, so that a few dozen local listeners already take the sharded fan-out's path
  # (several invocations per segment) under make dev and in the integration tests.
  broadcast_shard_size = 50

  # The stack is thrown away with its bucket, whatever was put in it; no lifecycle rule on a bucket
  # that lives minutes (after creating one the provider waits ~40 s for S3's consistency).
  artifacts_bucket_force_destroy    = true
  artifacts_noncurrent_version_days = null

  # A fresh emulator account has no API Gateway CloudWatch role: create it, as a new account would.
  manage_apigateway_account_logging = true
}

output "babelcast" {
  description = "Every output of the module (terraform output -json babelcast)."
  value       = module.babelcast
}
