variable "domain" {
  description = "The custom domain: domain_name (e.g. api.example.com), certificate_arn (an ISSUED ACM certificate for it in the API's region) and base_path (the path segment the API is mapped under; null = the domain's root)."
  type = object({
    domain_name     = string
    certificate_arn = string
    base_path       = optional(string)
  })
  nullable = false

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain.domain_name))
    error_message = "domain.domain_name must be a lowercase fully qualified domain name such as api.example.com."
  }

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[A-Za-z0-9-]+$", var.domain.certificate_arn))
    error_message = "domain.certificate_arn must be an ACM certificate ARN (arn:<partition>:acm:<region>:<account>:certificate/<id>)."
  }

  validation {
    condition     = var.domain.base_path == null || can(regex("^[A-Za-z0-9._~-]{1,128}$", coalesce(var.domain.base_path, "-")))
    error_message = "domain.base_path must be null or one path segment of 1-128 letters, digits, '.', '_', '~' or '-'."
  }
}

variable "api_id" {
  description = "ID of the API to map."
  type        = string
  nullable    = false

  validation {
    condition     = length(var.api_id) > 0
    error_message = "api_id must not be empty."
  }
}

variable "stage" {
  description = "Stage of the API to map (e.g. $default, live)."
  type        = string
  nullable    = false

  validation {
    condition     = length(var.stage) > 0
    error_message = "stage must not be empty."
  }
}

variable "tags" {
  description = "Tags for the domain name. Keys at most 128 characters and not aws:-prefixed, values at most 256 characters."
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
