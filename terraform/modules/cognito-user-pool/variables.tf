variable "name" {
  description = "Name of the user pool."
  type        = string

  validation {
    condition     = can(regex("^[\\w\\s+=,.@-]{1,128}$", var.name))
    error_message = "name must be 1-128 characters of letters, digits, spaces or + = , . @ - _."
  }
}

variable "client_name" {
  description = "Name of the app client (null = \"<name>-client\")."
  type        = string
  default     = null

  validation {
    condition     = var.client_name == null || can(regex("^[\\w\\s+=,.@-]{1,128}$", coalesce(var.client_name, "-")))
    error_message = "client_name must be null or 1-128 characters of letters, digits, spaces or + = , . @ - _."
  }
}

variable "allow_user_password_auth" {
  description = "Also allow the USER_PASSWORD_AUTH flow (plain password to Cognito over TLS). Meant for local/dev tooling only."
  type        = bool
  default     = false
  nullable    = false
}

variable "allow_self_sign_up" {
  description = "Let users sign themselves up through the client (false = only administrators create users)."
  type        = bool
  default     = false
  nullable    = false
}

variable "password_policy" {
  description = "Password policy of the pool."
  type = object({
    minimum_length                   = optional(number, 12)
    require_lowercase                = optional(bool, true)
    require_uppercase                = optional(bool, true)
    require_numbers                  = optional(bool, true)
    require_symbols                  = optional(bool, false)
    temporary_password_validity_days = optional(number, 7)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.password_policy.minimum_length >= 8 && var.password_policy.minimum_length <= 99 && floor(var.password_policy.minimum_length) == var.password_policy.minimum_length
    error_message = "password_policy.minimum_length must be an integer between 8 and 99."
  }

  validation {
    condition     = var.password_policy.temporary_password_validity_days >= 1 && var.password_policy.temporary_password_validity_days <= 365 && floor(var.password_policy.temporary_password_validity_days) == var.password_policy.temporary_password_validity_days
    error_message = "password_policy.temporary_password_validity_days must be an integer between 1 and 365."
  }
}

variable "access_token_validity_minutes" {
  description = "Lifetime of access tokens, in minutes (5 minutes to 1 day)."
  type        = number
  default     = 60
  nullable    = false

  validation {
    condition     = var.access_token_validity_minutes >= 5 && var.access_token_validity_minutes <= 1440 && floor(var.access_token_validity_minutes) == var.access_token_validity_minutes
    error_message = "access_token_validity_minutes must be an integer between 5 and 1440."
  }
}

variable "id_token_validity_minutes" {
  description = "Lifetime of ID tokens, in minutes (5 minutes to 1 day)."
  type        = number
  default     = 60
  nullable    = false

  validation {
    condition     = var.id_token_validity_minutes >= 5 && var.id_token_validity_minutes <= 1440 && floor(var.id_token_validity_minutes) == var.id_token_validity_minutes
    error_message = "id_token_validity_minutes must be an integer between 5 and 1440."
  }
}

variable "refresh_token_validity_days" {
  description = "Lifetime of refresh tokens, in days (1 to 3650)."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.refresh_token_validity_days >= 1 && var.refresh_token_validity_days <= 3650 && floor(var.refresh_token_validity_days) == var.refresh_token_validity_days
    error_message = "refresh_token_validity_days must be an integer between 1 and 3650."
  }
}

variable "deletion_protection" {
  description = "Protect the user pool against deletion."
  type        = bool
  default     = false
  nullable    = false
}

variable "tags" {
  description = "Tags for the user pool. Keys at most 128 characters and not aws:-prefixed, values at most 256 characters."
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
