variable "function_name" {
  description = "Name of the Lambda function (also used for its IAM role and log group)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.function_name))
    error_message = "function_name must be 1-64 characters of letters, digits, '-' or '_'."
  }
}

variable "description" {
  description = "Description of the function."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = length(var.description) <= 256
    error_message = "description must be at most 256 characters."
  }
}

variable "handler" {
  description = "Python handler as <dotted.module>.<function>, e.g. \"http_api.handler.lambda_handler\"."
  type        = string

  validation {
    condition     = length(var.handler) <= 128 && can(regex("^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)+$", var.handler))
    error_message = "handler must look like module.function (dotted Python identifiers, at most 128 characters)."
  }
}

variable "runtime" {
  description = "Lambda Python runtime identifier (python3.12 or newer)."
  type        = string
  default     = "python3.12"
  nullable    = false

  validation {
    condition     = try(tonumber(regex("^python3\\.([0-9]+)$", var.runtime)[0]) >= 12, false)
    error_message = "runtime must be python3.12 or a newer python3.x runtime."
  }
}

variable "architecture" {
  description = "Instruction set architecture; must match the wheels packaged in the zip."
  type        = string
  default     = "x86_64"
  nullable    = false

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be x86_64 or arm64."
  }
}

variable "zip_path" {
  description = "Path of the pre-built deployment package (.zip). Uploaded with the function when s3_bucket is null; with s3_bucket set it is only hashed for source_code_hash (unless that is given). null only with s3_bucket and source_code_hash."
  type        = string
  default     = null

  validation {
    condition     = var.zip_path == null || try(endswith(var.zip_path, ".zip") && fileexists(var.zip_path), false)
    error_message = "zip_path must be null or point to an existing .zip file; build the Lambda artifacts first."
  }
}

variable "s3_bucket" {
  description = "Bucket holding the deployment package, which then comes from S3 instead of zip_path (null = upload zip_path). Must be in the function's region."
  type        = string
  default     = null

  validation {
    condition     = var.s3_bucket == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", coalesce(var.s3_bucket, "-")))
    error_message = "s3_bucket must be null or a valid S3 bucket name (3-63 lowercase letters, digits, '.' or '-')."
  }
}

variable "s3_key" {
  description = "Key of the deployment package in s3_bucket (required with s3_bucket)."
  type        = string
  default     = null

  validation {
    condition     = var.s3_key == null || try(length(var.s3_key) >= 1 && length(var.s3_key) <= 1024 && endswith(var.s3_key, ".zip"), false)
    error_message = "s3_key must be null or a key of 1-1024 characters ending in .zip."
  }
}

variable "s3_object_version" {
  description = "Version of the s3_key object to deploy (null = the latest). Pinning it also redeploys when the object is overwritten."
  type        = string
  default     = null

  validation {
    condition     = var.s3_object_version == null || try(length(var.s3_object_version) >= 1 && length(var.s3_object_version) <= 1024, false)
    error_message = "s3_object_version must be null or a non-empty S3 version ID."
  }
}

variable "source_code_hash" {
  description = "Base64-encoded SHA-256 of the deployment package; a change redeploys the code (null = filebase64sha256(zip_path)). Only needed with s3_bucket when there is no local zip_path."
  type        = string
  default     = null

  validation {
    condition     = var.source_code_hash == null || can(regex("^[A-Za-z0-9+/]{43}=$", coalesce(var.source_code_hash, "-")))
    error_message = "source_code_hash must be null or a base64-encoded SHA-256 digest (44 characters), e.g. filebase64sha256(\"app.zip\")."
  }
}

variable "memory_size" {
  description = "Memory in MB (also scales CPU)."
  type        = number
  default     = 256
  nullable    = false

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240 && floor(var.memory_size) == var.memory_size
    error_message = "memory_size must be an integer between 128 and 10240."
  }
}

variable "timeout" {
  description = "Timeout in seconds."
  type        = number
  default     = 10
  nullable    = false

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900 && floor(var.timeout) == var.timeout
    error_message = "timeout must be an integer between 1 and 900."
  }
}

variable "environment" {
  description = "Environment variables of the function."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k in keys(var.environment) : can(regex("^[A-Za-z][A-Za-z0-9_]*$", k))])
    error_message = "Environment variable names must start with a letter and contain only letters, digits and '_'."
  }

  validation {
    # Names the Lambda runtime sets itself; the API rejects them.
    condition = length(setintersection(keys(var.environment), [
      "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
      "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
      "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
      "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
      "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
    ])) == 0
    error_message = "environment must not set variables reserved by the Lambda runtime (AWS_REGION, AWS_LAMBDA_*, _HANDLER, ...)."
  }
}

variable "policy_statements" {
  description = "IAM statements (Allow) for the function's own role. Scope resources as narrowly as possible."
  type = list(object({
    sid       = string
    actions   = list(string)
    resources = list(string)
    conditions = optional(list(object({
      test     = string
      variable = string
      values   = list(string)
    })), [])
  }))
  default  = []
  nullable = false

  validation {
    condition     = alltrue([for s in var.policy_statements : can(regex("^[A-Za-z0-9]{1,100}$", s.sid))])
    error_message = "Each sid must be 1-100 alphanumeric characters."
  }

  validation {
    condition     = length(distinct([for s in var.policy_statements : s.sid])) == length(var.policy_statements)
    error_message = "Statement sids must be unique."
  }

  validation {
    # The module adds its own statements under these sids.
    condition     = length(setintersection([for s in var.policy_statements : s.sid], ["WriteOwnLogGroup", "XRayTracing"])) == 0
    error_message = "The sids WriteOwnLogGroup and XRayTracing are reserved by the module."
  }

  validation {
    condition = alltrue([
      for s in var.policy_statements :
      length(s.actions) > 0 && alltrue([for a in s.actions : can(regex("^[a-z0-9-]+:[A-Za-z0-9*]+$", a))])
    ])
    error_message = "Each statement needs at least one action of the form service:Action (no bare \"*\")."
  }

  validation {
    condition = alltrue([
      for s in var.policy_statements :
      length(s.resources) > 0 && alltrue([for r in s.resources : r == "*" || startswith(r, "arn:")])
    ])
    error_message = "Each statement needs at least one resource, each an ARN (or \"*\" for actions without resource-level permissions)."
  }
}

variable "log_retention_days" {
  description = "Retention of the function's CloudWatch log group, in days."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of CloudWatch Logs' values: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "permissions_boundary_arn" {
  description = "ARN of an IAM policy to use as the role's permissions boundary (null = none)."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", coalesce(var.permissions_boundary_arn, "-")))
    error_message = "permissions_boundary_arn must be null or an IAM policy ARN."
  }
}

variable "reserved_concurrent_executions" {
  description = "Reserved concurrency (-1 = unreserved, 0 = disabled)."
  type        = number
  default     = -1
  nullable    = false

  validation {
    condition     = var.reserved_concurrent_executions >= -1 && floor(var.reserved_concurrent_executions) == var.reserved_concurrent_executions
    error_message = "reserved_concurrent_executions must be -1 or a non-negative integer."
  }
}

variable "provisioned_concurrency" {
  description = "Pre-initialised execution environments (0 = none). Above 0 every deployment publishes a version, a \"live\" alias points at it and holds the provisioned concurrency, and the arn/invoke_arn outputs name the alias: invoke it (not the unqualified function) or the provisioned environments stay unused."
  type        = number
  default     = 0
  nullable    = false

  validation {
    condition     = var.provisioned_concurrency >= 0 && floor(var.provisioned_concurrency) == var.provisioned_concurrency
    error_message = "provisioned_concurrency must be a non-negative integer."
  }
}

variable "role_name" {
  description = "Name of the function's execution role (null = function_name). IAM names are global to the account: give one that differs per region when the same function name is deployed in several regions."
  type        = string
  default     = null

  validation {
    condition     = var.role_name == null || can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", coalesce(var.role_name, "-")))
    error_message = "role_name must be null or 1-64 characters of letters, digits and +=,.@_-."
  }
}

variable "tracing_mode" {
  description = "X-Ray tracing mode (Active or PassThrough; null = not configured)."
  type        = string
  default     = null

  validation {
    condition     = var.tracing_mode == null || contains(["Active", "PassThrough"], coalesce(var.tracing_mode, "-"))
    error_message = "tracing_mode must be null, Active or PassThrough."
  }
}

variable "tags" {
  description = "Tags for the function, its role and log group. Keys at most 128 characters and not aws:-prefixed, values at most 256 characters."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k in keys(var.tags) : !startswith(lower(k), "aws:") && length(k) <= 128])
    error_message = "Tag keys must be at most 128 characters and must not use the reserved aws: prefix."
  }

  validation {
    condition     = alltrue([for v in values(var.tags) : length(v) <= 256])
    error_message = "Tag values must be at most 256 characters."
  }
}
