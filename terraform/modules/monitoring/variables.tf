variable "name" {
  description = "Prefix of the topic, key alias, alarm and dashboard names (e.g. babelcast-prod)."
  type        = string
  nullable    = false

  validation {
    # Alarm names append at most ~60 characters to it; topic names allow 256.
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.name))
    error_message = "name must be 1-64 characters of letters, digits, '_' or '-'."
  }
}

variable "environment" {
  description = "Value of the Environment dimension the service's custom metrics carry (its ENVIRONMENT, the workspace)."
  type        = string
  nullable    = false

  validation {
    condition     = length(var.environment) >= 1 && length(var.environment) <= 255
    error_message = "environment must be 1-255 characters."
  }
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the service's custom (EMF) metrics."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9.\\-_/#:]{1,255}$", var.metrics_namespace)) && !startswith(var.metrics_namespace, "AWS/")
    error_message = "metrics_namespace must be 1-255 characters of letters, digits and . - _ / # : and must not start with AWS/."
  }
}

variable "http_api" {
  description = "The HTTP API whose AWS/ApiGateway metrics (dimensions ApiId, Stage) drive the 5xx-rate and latency alarms."
  type = object({
    api_id = string
    stage  = string
  })
  nullable = false

  validation {
    condition     = can(regex("^[a-z0-9]{1,32}$", var.http_api.api_id)) && length(var.http_api.stage) >= 1
    error_message = "http_api.api_id must be an API Gateway API ID (lowercase letters and digits) and http_api.stage must not be empty."
  }
}

variable "websocket_api" {
  description = "The WebSocket API whose AWS/ApiGateway ConnectCount (dimensions ApiId, Stage) is shown on the dashboard."
  type = object({
    api_id = string
    stage  = string
  })
  nullable = false

  validation {
    condition     = can(regex("^[a-z0-9]{1,32}$", var.websocket_api.api_id)) && length(var.websocket_api.stage) >= 1
    error_message = "websocket_api.api_id must be an API Gateway API ID (lowercase letters and digits) and websocket_api.stage must not be empty."
  }
}

variable "lambda_functions" {
  description = "Functions to watch, function key => function name: one Lambda-errors alarm and one dashboard line each."
  type        = map(string)
  nullable    = false

  validation {
    condition     = alltrue([for k, v in var.lambda_functions : can(regex("^[a-z0-9_-]{1,40}$", k)) && can(regex("^[A-Za-z0-9_-]{1,64}$", v))])
    error_message = "lambda_functions keys must be 1-40 lowercase letters, digits, '_' or '-', and values Lambda function names (1-64 letters, digits, '_' or '-')."
  }
}

variable "lambda_refusals" {
  description = <<-EOT
    Functions that raise errors on purpose, function key (of lambda_functions) => the custom metric (in metrics_namespace) counting them:
    metric_name and the dimensions it is published with besides Environment (merged in from environment).
    Such a function's Lambda-errors alarm counts AWS/Lambda Errors minus that metric, so that what it refuses by design
    (e.g. a WebSocket authorizer raising "Unauthorized", API Gateway's only way to answer 401) does not page anyone.
  EOT
  type = map(object({
    metric_name = string
    dimensions  = map(string)
  }))
  default  = {}
  nullable = false

  validation {
    condition     = alltrue([for k in keys(var.lambda_refusals) : contains(keys(var.lambda_functions), k)])
    error_message = "lambda_refusals keys must be keys of lambda_functions."
  }

  validation {
    condition = alltrue([for r in values(var.lambda_refusals) : can(regex("^[A-Za-z0-9._/#:-]{1,255}$", r.metric_name)) && length(r.dimensions) >= 1 && length(r.dimensions) <= 29 && !contains(keys(r.dimensions), "Environment") && alltrue([
      for k, v in r.dimensions : length(k) >= 1 && length(k) <= 255 && length(v) >= 1 && length(v) <= 1024
    ])])
    error_message = "Each lambda_refusals entry needs a metric_name (1-255 letters, digits and . _ / # : -) and 1-29 dimensions (names 1-255, values 1-1024 characters) other than Environment, which is added from environment."
  }
}

variable "failure_queues" {
  description = "Queues that receive work given up on (e.g. stream batches a mapping stopped retrying), label => queue name: one alarm each as soon as a message waits there."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k, v in var.failure_queues : can(regex("^[a-z0-9_-]{1,40}$", k)) && can(regex("^[A-Za-z0-9_-]{1,80}(\\.fifo)?$", v))])
    error_message = "failure_queues keys must be 1-40 lowercase letters, digits, '_' or '-', and values SQS queue names (1-80 letters, digits, '_' or '-', optionally ending in .fifo)."
  }
}

variable "alarms" {
  description = <<-EOT
    Thresholds and evaluation of each alarm; every attribute is optional (omitted or null = the default shown in the type).
    period is in seconds (10, 30 or a multiple of 60); the alarm fires when datapoints_to_alarm of the last evaluation_periods periods breach.
    Rates are percentages; minimum_requests is the traffic below which a rate counts as 0 (no alarm on 1 failure out of 2).
    session_creation_spike: band_width is the anomaly band's width in standard deviations (detection "anomaly_band"),
    threshold the creations per period (detection "static").
  EOT
  type = object({
    http_5xx_rate = optional(object({
      threshold           = optional(number, 5)
      minimum_requests    = optional(number, 20)
      period              = optional(number, 60)
      evaluation_periods  = optional(number, 5)
      datapoints_to_alarm = optional(number, 3)
    }), {})
    http_latency_p95_critical = optional(object({
      threshold           = optional(number, 2000)
      period              = optional(number, 60)
      evaluation_periods  = optional(number, 5)
      datapoints_to_alarm = optional(number, 3)
    }), {})
    http_latency_p95_warning = optional(object({
      threshold           = optional(number, 1000)
      period              = optional(number, 60)
      evaluation_periods  = optional(number, 10)
      datapoints_to_alarm = optional(number, 6)
    }), {})
    websocket_connect_failure_rate = optional(object({
      threshold           = optional(number, 5)
      minimum_requests    = optional(number, 20)
      period              = optional(number, 300)
      evaluation_periods  = optional(number, 3)
      datapoints_to_alarm = optional(number, 2)
    }), {})
    lambda_errors = optional(object({
      threshold           = optional(number, 10)
      period              = optional(number, 300)
      evaluation_periods  = optional(number, 1)
      datapoints_to_alarm = optional(number, 1)
    }), {})
    session_creation_spike = optional(object({
      detection           = optional(string, "anomaly_band")
      band_width          = optional(number, 3)
      threshold           = optional(number, 300)
      period              = optional(number, 300)
      evaluation_periods  = optional(number, 3)
      datapoints_to_alarm = optional(number, 2)
    }), {})
  })
  default  = {}
  nullable = false

  validation {
    condition = alltrue([
      for a in values(var.alarms) : (contains([10, 30], a.period) || (a.period >= 60 && a.period % 60 == 0)) && a.period * a.evaluation_periods <= 86400
    ])
    error_message = "Each alarm's period must be 10, 30 or a multiple of 60 seconds, and period * evaluation_periods at most one day (86400 s)."
  }

  validation {
    condition = alltrue([
      for a in values(var.alarms) : a.evaluation_periods >= 1 && floor(a.evaluation_periods) == a.evaluation_periods && a.datapoints_to_alarm >= 1 && a.datapoints_to_alarm <= a.evaluation_periods && floor(a.datapoints_to_alarm) == a.datapoints_to_alarm
    ])
    error_message = "Each alarm's evaluation_periods must be a positive integer and datapoints_to_alarm an integer between 1 and evaluation_periods."
  }

  validation {
    condition     = alltrue([for a in values(var.alarms) : a.threshold > 0])
    error_message = "Each alarm's threshold must be greater than 0."
  }

  validation {
    condition     = var.alarms.http_5xx_rate.threshold <= 100 && var.alarms.websocket_connect_failure_rate.threshold <= 100
    error_message = "Rate thresholds (http_5xx_rate, websocket_connect_failure_rate) are percentages: at most 100."
  }

  validation {
    condition = alltrue([
      for m in [var.alarms.http_5xx_rate.minimum_requests, var.alarms.websocket_connect_failure_rate.minimum_requests] : m >= 0 && floor(m) == m
    ])
    error_message = "minimum_requests must be an integer of at least 0."
  }

  validation {
    condition     = var.alarms.http_latency_p95_warning.threshold < var.alarms.http_latency_p95_critical.threshold
    error_message = "http_latency_p95_warning.threshold must be below http_latency_p95_critical.threshold (milliseconds)."
  }

  validation {
    condition     = contains(["anomaly_band", "static"], var.alarms.session_creation_spike.detection)
    error_message = "session_creation_spike.detection must be anomaly_band or static."
  }

  validation {
    condition     = var.alarms.session_creation_spike.band_width >= 0.1 && var.alarms.session_creation_spike.band_width <= 20
    error_message = "session_creation_spike.band_width must be between 0.1 and 20 standard deviations."
  }
}

variable "topic" {
  description = "Existing SNS topic the alarms notify, as { arn = ... } (null = create one, with its key and policy). An object, so that a topic created in the same apply works. Its policy must let cloudwatch.amazonaws.com publish, and a KMS key encrypting it must let CloudWatch use it; subscriptions, kms_key_id and encryption_enabled then do not apply."
  type = object({
    arn = string
  })
  default = null

  validation {
    condition     = var.topic == null || try(can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.topic.arn)), true)
    error_message = "topic.arn must be an SNS topic ARN (arn:<partition>:sns:<region>:<account>:<name>)."
  }

  validation {
    condition     = var.topic == null || length(var.subscriptions) == 0
    error_message = "subscriptions cannot be combined with topic: subscribe to the existing topic where it is managed."
  }
}

variable "subscriptions" {
  description = "Subscriptions to the alarm topic: protocol (email, email-json, https, sms, sqs or lambda) and endpoint (address, URL, E.164 number or ARN). Email subscriptions stay pending until the recipient confirms."
  type = list(object({
    protocol = string
    endpoint = string
  }))
  default  = []
  nullable = false

  validation {
    condition     = alltrue([for s in var.subscriptions : contains(["email", "email-json", "https", "sms", "sqs", "lambda"], s.protocol)])
    error_message = "Each subscription's protocol must be email, email-json, https, sms, sqs or lambda."
  }

  validation {
    condition = alltrue([for s in var.subscriptions : (
      contains(["email", "email-json"], s.protocol) ? can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", s.endpoint)) :
      s.protocol == "https" ? can(regex("^https://[^\\s]+$", s.endpoint)) :
      s.protocol == "sms" ? can(regex("^\\+[1-9][0-9]{6,14}$", s.endpoint)) :
      can(regex("^arn:aws[a-z-]*:${s.protocol}:[a-z0-9-]+:[0-9]{12}:.+$", s.endpoint))
    )])
    error_message = "Each subscription's endpoint must match its protocol: an email address (email, email-json), an https:// URL (https), an E.164 number such as +15555550100 (sms), or a queue or function ARN (sqs, lambda)."
  }

  validation {
    condition     = length(distinct([for s in var.subscriptions : "${s.protocol} ${s.endpoint}"])) == length(var.subscriptions)
    error_message = "subscriptions must not contain duplicates."
  }
}

variable "kms_key_id" {
  description = "KMS key encrypting the alarm topic: null = a customer-managed key created here, whose key policy lets CloudWatch alarms use it; or your own key's ARN, ID or alias, whose policy must grant cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey*. Not the AWS-managed alias/aws/sns: its fixed key policy does not let CloudWatch alarms publish."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_id == null || can(regex("^(alias/[A-Za-z0-9/_-]+|arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key/[A-Za-z0-9-]+|alias/[A-Za-z0-9/_-]+)|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$", coalesce(var.kms_key_id, "-")))
    error_message = "kms_key_id must be null or a KMS key ARN, key ID, alias name (alias/...) or alias ARN."
  }

  validation {
    condition     = var.kms_key_id == null || !endswith(coalesce(var.kms_key_id, "-"), "alias/aws/sns")
    error_message = "kms_key_id must not be the AWS-managed alias/aws/sns: CloudWatch alarms cannot publish to a topic encrypted with it (its key policy cannot be changed). Leave it null to have a suitable key created."
  }
}

variable "encryption_enabled" {
  description = "Encrypt the alarm topic at rest with kms_key_id (or the created key). Keep true; false leaves the topic unencrypted and creates no key."
  type        = bool
  default     = true
  nullable    = false
}

variable "kms_key_deletion_window_days" {
  description = "Days a created topic key stays recoverable after destroy (7-30)."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.kms_key_deletion_window_days >= 7 && var.kms_key_deletion_window_days <= 30 && floor(var.kms_key_deletion_window_days) == var.kms_key_deletion_window_days
    error_message = "kms_key_deletion_window_days must be an integer between 7 and 30."
  }
}

variable "runbook_url" {
  description = "Where operators find what to do about each alarm (best a full https:// URL of docs/operating.md as published); the alarm descriptions link it with the alarm's section anchor appended (#<anchor>)."
  type        = string
  default     = "docs/operating.md"
  nullable    = false

  validation {
    condition     = length(var.runbook_url) >= 1 && length(var.runbook_url) <= 400 && !strcontains(var.runbook_url, "#")
    error_message = "runbook_url must be 1-400 characters without a fragment (#...)."
  }
}

variable "alarm_actions_by_severity" {
  description = <<-EOT
    Where the alarms of each severity (critical, warning) notify, for an estate that routes by severity (e.g. critical to a pager, warning to a ticket queue).
    A severity left out notifies the alarm topic alone. actions: ARNs CloudWatch alarms can act on (SNS topics, Lambda functions,
    Systems Manager OpsItems or Incident Manager response plans); notify_topic (default true) keeps the alarm topic among them, false replaces it.
    Applies to ALARM and, unless ok_notifications is false, OK.
  EOT
  type = object({
    critical = optional(object({
      actions      = list(string)
      notify_topic = optional(bool, true)
    }))
    warning = optional(object({
      actions      = list(string)
      notify_topic = optional(bool, true)
    }))
  })
  default  = {}
  nullable = false

  validation {
    condition = alltrue([for r in values(var.alarm_actions_by_severity) : r == null || alltrue([
      for a in try(r.actions, []) : can(regex("^arn:aws[a-z-]*:(sns|lambda|ssm|ssm-incidents):[a-z0-9-]*:[0-9]{12}:.+$", a))
    ])])
    error_message = "alarm_actions_by_severity actions must be ARNs of SNS topics, Lambda functions, OpsItems (ssm) or response plans (ssm-incidents) of an account."
  }

  validation {
    # CloudWatch takes at most 5 actions per alarm state, the topic included.
    condition = alltrue([for r in values(var.alarm_actions_by_severity) : r == null || (
      length(try(r.actions, [])) >= 1 && length(distinct(try(r.actions, []))) == length(try(r.actions, [])) && length(try(r.actions, [])) + (try(r.notify_topic, true) ? 1 : 0) <= 5
    )])
    error_message = "Each severity in alarm_actions_by_severity needs 1-5 distinct actions, the alarm topic counted when notify_topic is true (CloudWatch's limit per alarm state)."
  }
}

variable "ok_notifications" {
  description = "Notify the same actions when an alarm recovers (OK) as when it fires. false: recoveries are shown on the dashboard and in the alarm history but sent nowhere."
  type        = bool
  default     = true
  nullable    = false
}

variable "tags" {
  description = "Tags for the topic, the key and the alarms (alarms also get Severity, the key AlarmTopic = <name>-alarms, which these cannot override). Keys at most 128 characters and not aws:-prefixed, values at most 256 characters."
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
