variable "name" {
  description = "Name of the DynamoDB table."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{3,255}$", var.name))
    error_message = "name must be 3-255 characters of letters, digits, '_', '-' or '.'."
  }
}

variable "hash_key" {
  description = "Partition key attribute name; must be declared in attributes."
  type        = string

  validation {
    condition     = length(var.hash_key) >= 1 && length(var.hash_key) <= 255
    error_message = "hash_key must be 1-255 characters long."
  }
}

variable "range_key" {
  description = "Sort key attribute name (null = partition key only); must be declared in attributes."
  type        = string
  default     = null

  validation {
    condition     = var.range_key == null || try(length(var.range_key) >= 1 && length(var.range_key) <= 255, false)
    error_message = "range_key must be null or 1-255 characters long."
  }
}

variable "attributes" {
  description = "Key attributes of the table and its indexes (only attributes used as keys may be declared)."
  type = list(object({
    name = string
    type = string
  }))

  validation {
    condition     = length(var.attributes) > 0
    error_message = "attributes must declare at least the hash key."
  }

  validation {
    condition     = alltrue([for a in var.attributes : contains(["S", "N", "B"], a.type)])
    error_message = "Each attribute type must be one of S, N or B."
  }

  validation {
    condition     = length(distinct([for a in var.attributes : a.name])) == length(var.attributes)
    error_message = "Attribute names must be unique."
  }
}

variable "global_secondary_indexes" {
  description = "Global secondary indexes. projection_type is ALL, KEYS_ONLY or INCLUDE (non_key_attributes only with INCLUDE)."
  type = list(object({
    name               = string
    hash_key           = string
    range_key          = optional(string)
    projection_type    = optional(string, "ALL")
    non_key_attributes = optional(list(string))
  }))
  default = []

  validation {
    condition     = alltrue([for i in var.global_secondary_indexes : can(regex("^[A-Za-z0-9_.-]{3,255}$", i.name))])
    error_message = "Each index name must be 3-255 characters of letters, digits, '_', '-' or '.'."
  }

  validation {
    condition     = length(distinct([for i in var.global_secondary_indexes : i.name])) == length(var.global_secondary_indexes)
    error_message = "Index names must be unique."
  }

  validation {
    condition     = alltrue([for i in var.global_secondary_indexes : contains(["ALL", "KEYS_ONLY", "INCLUDE"], i.projection_type)])
    error_message = "projection_type must be ALL, KEYS_ONLY or INCLUDE."
  }

  validation {
    condition = alltrue([
      for i in var.global_secondary_indexes :
      i.projection_type == "INCLUDE" ? length(coalesce(i.non_key_attributes, [])) > 0 : i.non_key_attributes == null
    ])
    error_message = "non_key_attributes is required with projection_type INCLUDE and not allowed otherwise."
  }
}

variable "ttl_attribute_name" {
  description = "Attribute holding the expiry epoch seconds (null = TTL disabled)."
  type        = string
  default     = null

  validation {
    condition     = var.ttl_attribute_name == null || try(length(var.ttl_attribute_name) >= 1 && length(var.ttl_attribute_name) <= 255, false)
    error_message = "ttl_attribute_name must be null or 1-255 characters long."
  }
}

variable "stream_view_type" {
  description = "DynamoDB stream view type (null = stream disabled)."
  type        = string
  default     = null

  validation {
    condition     = var.stream_view_type == null || contains(["NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY"], coalesce(var.stream_view_type, "-"))
    error_message = "stream_view_type must be null, NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES or KEYS_ONLY."
  }
}

variable "point_in_time_recovery" {
  description = "Enable point-in-time recovery (continuous backups)."
  type        = bool
  default     = true
  nullable    = false
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key ARN for encryption at rest (null = AWS-owned key)."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", coalesce(var.kms_key_arn, "-")))
    error_message = "kms_key_arn must be null or a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)."
  }
}

variable "deletion_protection" {
  description = "Protect the table against deletion."
  type        = bool
  default     = false
  nullable    = false
}

variable "tags" {
  description = "Tags for the table. Keys at most 128 characters and not aws:-prefixed, values at most 256 characters."
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
