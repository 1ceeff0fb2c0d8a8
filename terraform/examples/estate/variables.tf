variable "name_prefix" {
  description = "Prefix of every Babelcast resource name in this estate."
  type        = string
  default     = "speech"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,19}$", var.name_prefix))
    error_message = "name_prefix must be 1-20 lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "primary_region" {
  description = "Region of the workload account where both environments run."
  type        = string
  default     = "us-east-1"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.primary_region))
    error_message = "primary_region must be an AWS region code such as us-east-1."
  }
}

variable "standby_region" {
  description = "Second region holding a standby copy of the qa environment (same name_prefix and environment), or null for none."
  type        = string
  default     = "eu-west-1"

  validation {
    condition     = var.standby_region == null || can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", coalesce(var.standby_region, "-")))
    error_message = "standby_region must be null or an AWS region code such as eu-west-1."
  }
}

variable "artifacts_dir" {
  description = "Directory of the Lambda zips built by make package (null = the repository's dist/)."
  type        = string
  default     = null
}
