variable "name" {
  description = "Name of the Kinesis data stream."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{1,128}$", var.name))
    error_message = "name must be 1-128 characters of letters, digits, '_', '-' or '.'."
  }
}

variable "stream_mode" {
  description = "Capacity mode: PROVISIONED (shard_count shards) or ON_DEMAND (shards managed by Kinesis)."
  type        = string
  default     = "PROVISIONED"
  nullable    = false

  validation {
    condition     = contains(["PROVISIONED", "ON_DEMAND"], var.stream_mode)
    error_message = "stream_mode must be PROVISIONED or ON_DEMAND."
  }
}

variable "shard_count" {
  description = "Number of shards in PROVISIONED mode (ignored in ON_DEMAND mode)."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = var.shard_count >= 1 && floor(var.shard_count) == var.shard_count
    error_message = "shard_count must be an integer of at least 1."
  }
}

variable "retention_period" {
  description = "Hours records stay readable (24 to 8760; beyond 24 is billed as extended retention)."
  type        = number
  default     = 24
  nullable    = false

  validation {
    condition     = var.retention_period >= 24 && var.retention_period <= 8760 && floor(var.retention_period) == var.retention_period
    error_message = "retention_period must be an integer number of hours between 24 and 8760."
  }
}

variable "kms_key_id" {
  description = "KMS key for encryption at rest: the AWS-managed \"alias/aws/kinesis\" (default; null also selects it) or a customer-managed key's ARN, alias or ID."
  type        = string
  default     = "alias/aws/kinesis"
  nullable    = false

  validation {
    condition = can(regex(
      "^(alias/[A-Za-z0-9/_-]+|arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key/[A-Za-z0-9-]+|alias/[A-Za-z0-9/_-]+)|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$",
      var.kms_key_id,
    ))
    error_message = "kms_key_id must be a KMS key ARN, key ID, alias name (alias/...) or alias ARN."
  }
}

variable "encryption_enabled" {
  description = "Encrypt the stream at rest with kms_key_id. Keep true; false exists only so an emulator-backed workspace can skip StartStreamEncryption, after which the provider waits at least 10 s for the stream to become active again. Changing it starts or stops encryption in place."
  type        = bool
  default     = true
  nullable    = false
}

variable "tags" {
  description = "Tags for the stream. Keys at most 128 characters and not aws:-prefixed, values at most 256 characters."
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
