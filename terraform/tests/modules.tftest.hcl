# The submodules on their own, as an estate calls them: the monitoring module's alarms (what a
# Lambda-errors alarm counts, where each severity notifies) and the tag rules every submodule
# shares with the root.
mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name              = "babelcast-test"
  environment       = "test"
  metrics_namespace = "Babelcast/Sessions"
  http_api          = { api_id = "abc123", stage = "$default" }
  websocket_api     = { api_id = "def456", stage = "live" }
  lambda_functions  = { http_api = "babelcast-test-http-api", ws_authorizer = "babelcast-test-ws-authorizer" }
  topic             = { arn = "arn:aws:sns:eu-west-1:123456789012:oncall" }
}

run "authorizer_refusals_are_not_lambda_errors" {
  command = plan

  module {
    source = "./modules/monitoring"
  }

  variables {
    lambda_refusals = { ws_authorizer = { metric_name = "AuthorizerDecision", dimensions = { Decision = "refused" } } }
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.lambda_errors["http_api"].metric_name == "Errors" && length(aws_cloudwatch_metric_alarm.lambda_errors["http_api"].metric_query) == 0
    error_message = "A function without refusals alarms on its plain AWS/Lambda Errors."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.lambda_errors["ws_authorizer"].metric_name == null && [for q in aws_cloudwatch_metric_alarm.lambda_errors["ws_authorizer"].metric_query : q.expression if q.return_data == true] == ["errors - FILL(refused, 0)"]
    error_message = "The authorizer's alarm counts its errors minus the tokens it refused on purpose."
  }

  assert {
    condition = [for q in aws_cloudwatch_metric_alarm.lambda_errors["ws_authorizer"].metric_query : (
      q.metric[0].namespace == "AWS/Lambda" && q.metric[0].metric_name == "Errors" && q.metric[0].dimensions == tomap({ FunctionName = "babelcast-test-ws-authorizer" }) && q.metric[0].period == 300 && q.metric[0].stat == "Sum"
    ) if q.id == "errors"] == [true]
    error_message = "The errors query reads the function's AWS/Lambda Errors (Sum over the alarm's period)."
  }

  assert {
    # the dimension set the authorizer's EMF line publishes: its own, with Environment merged in
    condition = [for q in aws_cloudwatch_metric_alarm.lambda_errors["ws_authorizer"].metric_query : (
      q.metric[0].namespace == "Babelcast/Sessions" && q.metric[0].metric_name == "AuthorizerDecision" && q.metric[0].dimensions == tomap({ Decision = "refused", Environment = "test" }) && q.metric[0].period == 300 && q.metric[0].stat == "Sum"
    ) if q.id == "refused"] == [true]
    error_message = "The refused query reads AuthorizerDecision{Decision=refused, Environment} in the service namespace."
  }
}

run "refusals_only_for_watched_functions" {
  command = plan

  module {
    source = "./modules/monitoring"
  }

  variables {
    lambda_refusals = { ws_authoriser = { metric_name = "AuthorizerDecision", dimensions = { Decision = "refused" } } }
  }

  expect_failures = [var.lambda_refusals]
}

run "refusal_dimensions_must_not_set_environment" {
  command = plan

  module {
    source = "./modules/monitoring"
  }

  variables {
    lambda_refusals = { ws_authorizer = { metric_name = "AuthorizerDecision", dimensions = { Environment = "prod" } } }
  }

  expect_failures = [var.lambda_refusals]
}

run "every_alarm_notifies_the_topic_by_default" {
  command = plan

  module {
    source = "./modules/monitoring"
  }

  assert {
    condition = alltrue([for a in concat(
      [aws_cloudwatch_metric_alarm.http_5xx_rate, aws_cloudwatch_metric_alarm.websocket_connect_failure_rate, aws_cloudwatch_metric_alarm.session_creation_spike],
      values(aws_cloudwatch_metric_alarm.http_latency_p95), values(aws_cloudwatch_metric_alarm.lambda_errors),
    ) : a.alarm_actions == toset([var.topic.arn]) && a.ok_actions == toset([var.topic.arn])])
    error_message = "Without routing every alarm notifies the topic on ALARM and on OK."
  }
}

run "severities_route_to_their_own_actions" {
  command = plan

  module {
    source = "./modules/monitoring"
  }

  variables {
    alarm_actions_by_severity = {
      critical = { actions = ["arn:aws:sns:eu-west-1:123456789012:pager"] }
      warning  = { actions = ["arn:aws:sns:eu-west-1:123456789012:tickets"], notify_topic = false }
    }
    ok_notifications = false
  }

  assert {
    condition = alltrue([for a in concat([aws_cloudwatch_metric_alarm.http_5xx_rate, aws_cloudwatch_metric_alarm.http_latency_p95["critical"]], values(aws_cloudwatch_metric_alarm.lambda_errors)) :
    a.alarm_actions == toset(["arn:aws:sns:eu-west-1:123456789012:oncall", "arn:aws:sns:eu-west-1:123456789012:pager"])])
    error_message = "Critical alarms notify the topic and the pager."
  }

  assert {
    condition = alltrue([for a in [aws_cloudwatch_metric_alarm.websocket_connect_failure_rate, aws_cloudwatch_metric_alarm.session_creation_spike, aws_cloudwatch_metric_alarm.http_latency_p95["warning"]] :
    a.alarm_actions == toset(["arn:aws:sns:eu-west-1:123456789012:tickets"])])
    error_message = "Warnings go to the ticket queue only."
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.http_5xx_rate.ok_actions) == 0 && length(aws_cloudwatch_metric_alarm.session_creation_spike.ok_actions) == 0
    error_message = "ok_notifications = false leaves recoveries unannounced."
  }
}

run "routing_within_five_actions_per_state" {
  command = plan

  module {
    source = "./modules/monitoring"
  }

  variables {
    alarm_actions_by_severity = {
      critical = { actions = [for i in range(5) : "arn:aws:sns:eu-west-1:123456789012:pager-${i}"] }
    }
  }

  expect_failures = [var.alarm_actions_by_severity]
}

run "routing_takes_arns" {
  command = plan

  module {
    source = "./modules/monitoring"
  }

  variables {
    alarm_actions_by_severity = { warning = { actions = ["tickets"] } }
  }

  expect_failures = [var.alarm_actions_by_severity]
}

run "monitoring_tags_follow_the_root_rules" {
  command = plan

  module {
    source = "./modules/monitoring"
  }

  variables {
    tags = { "aws:cloudformation:stack-name" = "x" }
  }

  expect_failures = [var.tags]
}

run "kinesis_stream_tags_follow_the_root_rules" {
  command = plan

  module {
    source = "./modules/kinesis-stream"
  }

  variables {
    name = "babelcast-test-audio"
    tags = { Owner = join("", [for i in range(257) : "x"]) }
  }

  expect_failures = [var.tags]
}

run "the_topic_key_carries_the_tag_the_deployer_policy_trusts" {
  command = plan

  module {
    source = "./modules/monitoring"
  }

  variables {
    topic = null
    # an estate's own Project, and an attempt at the module's own tag
    tags = { Project = "media", AlarmTopic = "media-alarms" }
  }

  assert {
    # terraform/deployer-policy.json: kms key actions on aws:ResourceTag/AlarmTopic = babelcast-*
    condition     = aws_kms_key.topic[0].tags == tomap({ Project = "media", AlarmTopic = "babelcast-test-alarms" })
    error_message = "The created key's AlarmTopic tag is <name>-alarms whatever the caller's tags say."
  }
}
