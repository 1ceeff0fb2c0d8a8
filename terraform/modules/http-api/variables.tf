variable "name" {
  description = "Name of the HTTP API (also used for its access log group)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{1,128}$", var.name))
    error_message = "name must be 1-128 characters of letters, digits, '_', '-' or '.'."
  }
}

variable "description" {
  description = "Description of the API."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = length(var.description) <= 1024
    error_message = "description must be at most 1024 characters."
  }
}

variable "cors" {
  description = "CORS configuration. No origins (the default) disables CORS; allow_methods = null means the methods used by the routes."
  type = object({
    allow_origins     = optional(list(string), [])
    allow_methods     = optional(list(string))
    allow_headers     = optional(list(string), ["content-type", "authorization", "x-correlation-id"])
    expose_headers    = optional(list(string), ["x-correlation-id", "location", "retry-after"])
    max_age           = optional(number, 300)
    allow_credentials = optional(bool, false)
  })
  default  = {}
  nullable = false

  validation {
    condition = alltrue([
      for o in var.cors.allow_origins :
      o == "*" || can(regex("^https?://[A-Za-z0-9*]([A-Za-z0-9.*-]*[A-Za-z0-9])?(:[0-9]{1,5})?$", o))
    ])
    error_message = "Each CORS origin must be \"*\" or scheme://host[:port] without path or trailing slash."
  }

  validation {
    # Browsers refuse credentialed responses with a wildcard origin; it would also leak cookies/auth cross-site.
    condition     = !(var.cors.allow_credentials && contains(var.cors.allow_origins, "*"))
    error_message = "cors.allow_origins may not contain \"*\" when allow_credentials is true."
  }

  validation {
    condition = alltrue([
      for m in(var.cors.allow_methods == null ? [] : var.cors.allow_methods) : contains(["*", "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"], m)
    ])
    error_message = "cors.allow_methods may only contain *, GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS."
  }

  validation {
    condition     = alltrue([for h in concat(var.cors.allow_headers, var.cors.expose_headers) : can(regex("^([!#$%&'*+.^_`|~0-9A-Za-z-]+|\\*)$", h))])
    error_message = "CORS header names must be valid HTTP header tokens (or \"*\")."
  }

  validation {
    condition     = var.cors.max_age >= 0 && var.cors.max_age <= 86400 && floor(var.cors.max_age) == var.cors.max_age
    error_message = "cors.max_age must be an integer number of seconds between 0 and 86400."
  }
}

variable "jwt_authorizer" {
  description = "JWT authorizer for routes with authorization = \"JWT\": token issuer URL and accepted audiences (client IDs). null = no authorizer."
  type = object({
    issuer   = string
    audience = list(string)
    name     = optional(string, "jwt")
  })
  default = null

  validation {
    condition     = var.jwt_authorizer == null || can(regex("^https://[^\\s/]+(/\\S*)?$", var.jwt_authorizer.issuer))
    error_message = "jwt_authorizer.issuer must be an https:// URL."
  }

  validation {
    condition     = var.jwt_authorizer == null || try(length(var.jwt_authorizer.audience) > 0 && alltrue([for a in var.jwt_authorizer.audience : length(a) > 0]), false)
    error_message = "jwt_authorizer.audience must contain at least one non-empty value."
  }

  validation {
    condition     = var.jwt_authorizer == null || can(regex("^[A-Za-z0-9_.-]{1,128}$", var.jwt_authorizer.name))
    error_message = "jwt_authorizer.name must be 1-128 characters of letters, digits, '_', '-' or '.'."
  }
}

variable "routes" {
  description = "Routes keyed by route key (\"<METHOD> /path\", path parameters as {name} or a trailing {name+}), each proxied to a Lambda function."
  type = map(object({
    function_name = string
    invoke_arn    = string
    # The alias the invoke ARN names (null = the unqualified function): the permission goes on it.
    qualifier     = optional(string)
    authorization = optional(string, "JWT")
  }))

  validation {
    condition     = length(var.routes) > 0
    error_message = "routes must contain at least one route."
  }

  validation {
    condition = alltrue([
      for k in keys(var.routes) :
      can(regex("^(ANY|GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) (/|(/([A-Za-z0-9._~-]+|\\{[A-Za-z_][A-Za-z0-9_]*\\}))+|(/([A-Za-z0-9._~-]+|\\{[A-Za-z_][A-Za-z0-9_]*\\}))*/\\{[A-Za-z_][A-Za-z0-9_]*\\+\\})$", k))
    ])
    error_message = "Route keys must look like \"GET /sessions/{sessionId}\": an HTTP method (or ANY), one space, then an absolute path."
  }

  validation {
    condition     = alltrue([for r in values(var.routes) : contains(["JWT", "NONE"], r.authorization)])
    error_message = "Route authorization must be JWT or NONE."
  }

  validation {
    condition     = alltrue([for r in values(var.routes) : can(regex("^[A-Za-z0-9_-]{1,64}$", r.function_name))])
    error_message = "Route function_name must be a Lambda function name (1-64 letters, digits, '-' or '_')."
  }

  validation {
    condition     = alltrue([for r in values(var.routes) : can(regex("^arn:aws[a-z-]*:apigateway:[a-z0-9-]+:lambda:path/.+/invocations$", r.invoke_arn))])
    error_message = "Route invoke_arn must be a Lambda invoke ARN (arn:aws:apigateway:<region>:lambda:path/.../invocations)."
  }
}

variable "throttling" {
  description = "Default route throttling of the stage: burst_limit (requests) and rate_limit (requests per second)."
  type = object({
    burst_limit = optional(number, 100)
    rate_limit  = optional(number, 50)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.throttling.burst_limit >= 0 && var.throttling.burst_limit <= 5000 && floor(var.throttling.burst_limit) == var.throttling.burst_limit
    error_message = "throttling.burst_limit must be an integer between 0 and 5000."
  }

  validation {
    condition     = var.throttling.rate_limit >= 0 && var.throttling.rate_limit <= 10000
    error_message = "throttling.rate_limit must be between 0 and 10000 requests per second."
  }
}

variable "access_log_retention_days" {
  description = "Retention of the access log group, in days."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.access_log_retention_days)
    error_message = "access_log_retention_days must be one of CloudWatch Logs' values: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "integration_timeout_milliseconds" {
  description = "Timeout of the Lambda integrations, in milliseconds."
  type        = number
  default     = 29000
  nullable    = false

  validation {
    condition     = var.integration_timeout_milliseconds >= 50 && var.integration_timeout_milliseconds <= 30000 && floor(var.integration_timeout_milliseconds) == var.integration_timeout_milliseconds
    error_message = "integration_timeout_milliseconds must be an integer between 50 and 30000."
  }
}

variable "tags" {
  description = "Tags for the API, its stage and log group. Keys at most 128 characters and not aws:-prefixed, values at most 256 characters."
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
