variable "name" {
  description = "Name of the WebSocket API (also used for its access log group)."
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

variable "route_selection_expression" {
  description = "Where API Gateway reads the route key of an incoming message, e.g. \"$request.body.action\" (a JSON field of the message)."
  type        = string
  default     = "$request.body.action"
  nullable    = false

  validation {
    condition     = can(regex("^\\$request\\.body\\.[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$", var.route_selection_expression))
    error_message = "route_selection_expression must look like $request.body.<field>[.<field>...]."
  }
}

variable "routes" {
  description = "Routes keyed by route key (\"$connect\", \"$disconnect\", \"$default\" or a custom action such as \"sendAudio\"), each proxied to a Lambda function."
  type = map(object({
    function_name = string
    invoke_arn    = string
    # The alias the invoke ARN names (null = the unqualified function): the permission goes on it.
    qualifier = optional(string)
  }))

  validation {
    condition     = length(var.routes) > 0
    error_message = "routes must contain at least one route."
  }

  validation {
    # "$" is reserved for the three predefined routes; custom keys are the values of the selection field.
    condition     = alltrue([for k in keys(var.routes) : can(regex("^(\\$connect|\\$disconnect|\\$default|[A-Za-z][A-Za-z0-9_-]{0,127})$", k))])
    error_message = "Route keys must be $connect, $disconnect, $default or a custom action of 1-128 letters, digits, '_' or '-' starting with a letter."
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

variable "connect_authorizer" {
  description = "Lambda REQUEST authorizer run on $connect (null = none). identity_sources (route.request.querystring.<name>, route.request.header.<name>, ...) must all be present or API Gateway answers 401 without invoking the function; empty = always invoke it."
  type = object({
    function_name    = string
    invoke_arn       = string
    identity_sources = optional(list(string), [])
    name             = optional(string, "connect")
    qualifier        = optional(string)
  })
  default = null

  validation {
    condition     = var.connect_authorizer == null || can(regex("^[A-Za-z0-9_-]{1,64}$", var.connect_authorizer.function_name))
    error_message = "connect_authorizer.function_name must be a Lambda function name (1-64 letters, digits, '-' or '_')."
  }

  validation {
    condition     = var.connect_authorizer == null || can(regex("^arn:aws[a-z-]*:apigateway:[a-z0-9-]+:lambda:path/.+/invocations$", var.connect_authorizer.invoke_arn))
    error_message = "connect_authorizer.invoke_arn must be a Lambda invoke ARN (arn:aws:apigateway:<region>:lambda:path/.../invocations)."
  }

  validation {
    # The expression syntax API Gateway accepts for WebSocket REQUEST authorizers.
    condition = var.connect_authorizer == null || try(alltrue([
      for s in var.connect_authorizer.identity_sources :
      can(regex("^(route\\.request\\.(header|querystring)|stageVariables|context)\\.[A-Za-z0-9._-]+$", s))
    ]), false)
    error_message = "Each connect_authorizer identity source must be route.request.header.<name>, route.request.querystring.<name>, stageVariables.<name> or context.<name>."
  }

  validation {
    condition     = var.connect_authorizer == null || can(regex("^[A-Za-z0-9_.-]{1,128}$", var.connect_authorizer.name))
    error_message = "connect_authorizer.name must be 1-128 characters of letters, digits, '_', '-' or '.'."
  }
}

variable "stage_name" {
  description = "Name of the stage; the last path segment of the wss:// and @connections URLs."
  type        = string
  default     = "live"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,128}$", var.stage_name))
    error_message = "stage_name must be 1-128 letters, digits, '_' or '-'."
  }
}

variable "throttling" {
  description = "Default route throttling of the stage (counted per message): burst_limit (messages) and rate_limit (messages per second)."
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
    error_message = "throttling.rate_limit must be between 0 and 10000 messages per second."
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
  description = "Timeout of the Lambda integrations, in milliseconds (WebSocket APIs allow at most 29 seconds)."
  type        = number
  default     = 29000
  nullable    = false

  validation {
    condition     = var.integration_timeout_milliseconds >= 50 && var.integration_timeout_milliseconds <= 29000 && floor(var.integration_timeout_milliseconds) == var.integration_timeout_milliseconds
    error_message = "integration_timeout_milliseconds must be an integer between 50 and 29000."
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
