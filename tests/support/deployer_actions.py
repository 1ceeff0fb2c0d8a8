"""What the aws provider calls for each resource and data source type the module uses: create,
read (refresh, plan), update, tag and delete. The deployer policy (terraform/deployer-policy.json)
must grant exactly these (plus what the preflight reads); tests/contract/test_deployer_policy.py
fails on a type used without an entry here, and on any action missing from or extra in the policy."""

from __future__ import annotations

APIGATEWAY = ["apigateway:GET", "apigateway:POST", "apigateway:PATCH", "apigateway:PUT", "apigateway:DELETE"]
LOG_GROUP = [
    "logs:CreateLogGroup", "logs:DescribeLogGroups", "logs:DeleteLogGroup", "logs:PutRetentionPolicy",
    "logs:DeleteRetentionPolicy", "logs:ListTagsForResource", "logs:TagResource", "logs:UntagResource",
]  # fmt: skip

ACTIONS: dict[str, list[str]] = {
    "data.aws_caller_identity": ["sts:GetCallerIdentity"],
    "data.aws_partition": [],
    "data.aws_region": [],
    "data.aws_iam_policy_document": [],
    "aws_api_gateway_account": ["apigateway:GET", "apigateway:PATCH", "iam:PassRole"],
    "aws_apigatewayv2_api": APIGATEWAY,
    "aws_apigatewayv2_api_mapping": APIGATEWAY,
    "aws_apigatewayv2_authorizer": APIGATEWAY,
    "aws_apigatewayv2_domain_name": [*APIGATEWAY, "acm:DescribeCertificate"],
    "aws_apigatewayv2_integration": APIGATEWAY,
    "aws_apigatewayv2_route": APIGATEWAY,
    # a stage with access logs: API Gateway checks the log group with the caller's permissions
    "aws_apigatewayv2_stage": [*APIGATEWAY, "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
                               "logs:DeleteLogDelivery", "logs:ListLogDeliveries"],  # fmt: skip
    "aws_cloudwatch_dashboard": ["cloudwatch:PutDashboard", "cloudwatch:GetDashboard", "cloudwatch:DeleteDashboards"],
    "aws_cloudwatch_event_rule": [
        "events:PutRule", "events:DescribeRule", "events:DeleteRule", "events:ListTagsForResource",
        "events:TagResource", "events:UntagResource",
    ],
    "aws_cloudwatch_event_target": ["events:PutTargets", "events:ListTargetsByRule", "events:RemoveTargets"],
    "aws_cloudwatch_log_group": LOG_GROUP,
    "aws_cloudwatch_metric_alarm": [
        "cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms",
        "cloudwatch:ListTagsForResource", "cloudwatch:TagResource", "cloudwatch:UntagResource",
    ],
    "aws_cognito_user_pool": [
        "cognito-idp:CreateUserPool", "cognito-idp:DescribeUserPool", "cognito-idp:UpdateUserPool",
        "cognito-idp:DeleteUserPool", "cognito-idp:GetUserPoolMfaConfig", "cognito-idp:SetUserPoolMfaConfig",
        "cognito-idp:ListTagsForResource", "cognito-idp:TagResource", "cognito-idp:UntagResource",
    ],
    "aws_cognito_user_pool_client": [
        "cognito-idp:CreateUserPoolClient", "cognito-idp:DescribeUserPoolClient", "cognito-idp:UpdateUserPoolClient",
        "cognito-idp:DeleteUserPoolClient",
    ],
    "aws_dynamodb_table": [
        "dynamodb:CreateTable", "dynamodb:DescribeTable", "dynamodb:UpdateTable", "dynamodb:DeleteTable",
        "dynamodb:DescribeTimeToLive", "dynamodb:UpdateTimeToLive", "dynamodb:DescribeContinuousBackups",
        "dynamodb:UpdateContinuousBackups", "dynamodb:ListTagsOfResource", "dynamodb:TagResource",
        "dynamodb:UntagResource",
    ],
    "aws_iam_role": [
        "iam:CreateRole", "iam:GetRole", "iam:UpdateRole", "iam:UpdateRoleDescription", "iam:DeleteRole",
        "iam:UpdateAssumeRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies",
        "iam:ListInstanceProfilesForRole", "iam:TagRole", "iam:UntagRole", "iam:PutRolePermissionsBoundary",
        "iam:DeleteRolePermissionsBoundary",
    ],
    "aws_iam_role_policy": ["iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy"],
    "aws_kinesis_stream": [
        "kinesis:CreateStream", "kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:DeleteStream",
        "kinesis:AddTagsToStream", "kinesis:RemoveTagsFromStream", "kinesis:ListTagsForStream",
        "kinesis:StartStreamEncryption", "kinesis:StopStreamEncryption", "kinesis:IncreaseStreamRetentionPeriod",
        "kinesis:DecreaseStreamRetentionPeriod", "kinesis:UpdateShardCount", "kinesis:UpdateStreamMode",
    ],
    "aws_kms_key": [
        "kms:CreateKey", "kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy", "kms:GetKeyRotationStatus",
        "kms:EnableKeyRotation", "kms:ListResourceTags", "kms:TagResource", "kms:UntagResource",
        "kms:UpdateKeyDescription", "kms:ScheduleKeyDeletion",
    ],
    "aws_kms_alias": ["kms:CreateAlias", "kms:ListAliases", "kms:UpdateAlias", "kms:DeleteAlias"],
    "aws_lambda_alias": ["lambda:CreateAlias", "lambda:GetAlias", "lambda:UpdateAlias", "lambda:DeleteAlias"],
    "aws_lambda_event_source_mapping": [
        "lambda:CreateEventSourceMapping", "lambda:GetEventSourceMapping", "lambda:UpdateEventSourceMapping",
        "lambda:DeleteEventSourceMapping", "lambda:ListTags", "lambda:TagResource", "lambda:UntagResource",
    ],
    # the code is fetched from S3 with the deployer's permissions; the role is passed to Lambda
    "aws_lambda_function": [
        "lambda:CreateFunction", "lambda:GetFunction", "lambda:GetFunctionConfiguration",
        "lambda:GetFunctionCodeSigningConfig", "lambda:ListVersionsByFunction", "lambda:UpdateFunctionCode",
        "lambda:UpdateFunctionConfiguration", "lambda:DeleteFunction", "lambda:PublishVersion",
        "lambda:PutFunctionConcurrency", "lambda:DeleteFunctionConcurrency", "lambda:GetFunctionConcurrency",
        "lambda:ListTags", "lambda:TagResource", "lambda:UntagResource", "iam:PassRole", "s3:GetObject",
        "s3:GetObjectVersion",
    ],
    "aws_lambda_permission": ["lambda:AddPermission", "lambda:GetPolicy", "lambda:RemovePermission"],
    "aws_lambda_provisioned_concurrency_config": [
        "lambda:PutProvisionedConcurrencyConfig", "lambda:GetProvisionedConcurrencyConfig",
        "lambda:DeleteProvisionedConcurrencyConfig",
    ],
    # the provider reads every bucket sub-configuration on refresh (GetBucket* and friends)
    "aws_s3_bucket": [
        "s3:CreateBucket", "s3:DeleteBucket", "s3:ListBucket", "s3:ListBucketVersions", "s3:GetBucketAcl",
        "s3:GetBucketCORS", "s3:GetBucketWebsite", "s3:GetBucketVersioning", "s3:GetAccelerateConfiguration",
        "s3:GetBucketRequestPayment", "s3:GetBucketLogging", "s3:GetLifecycleConfiguration",
        "s3:GetReplicationConfiguration", "s3:GetEncryptionConfiguration", "s3:GetBucketObjectLockConfiguration",
        "s3:GetBucketTagging", "s3:PutBucketTagging", "s3:GetBucketPolicy", "s3:DeleteObject",
        "s3:DeleteObjectVersion",
    ],
    "aws_s3_bucket_lifecycle_configuration": ["s3:PutLifecycleConfiguration", "s3:GetLifecycleConfiguration"],
    "aws_s3_bucket_ownership_controls": ["s3:PutBucketOwnershipControls", "s3:GetBucketOwnershipControls"],
    "aws_s3_bucket_policy": ["s3:PutBucketPolicy", "s3:GetBucketPolicy", "s3:DeleteBucketPolicy"],
    "aws_s3_bucket_public_access_block": ["s3:PutBucketPublicAccessBlock", "s3:GetBucketPublicAccessBlock"],
    "aws_s3_bucket_server_side_encryption_configuration": [
        "s3:PutEncryptionConfiguration", "s3:GetEncryptionConfiguration",
    ],
    "aws_s3_bucket_versioning": ["s3:PutBucketVersioning", "s3:GetBucketVersioning"],
    "aws_s3_object": [
        "s3:PutObject", "s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging", "s3:PutObjectTagging",
        "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:ListBucketVersions",
    ],
    "aws_sns_topic": [
        "sns:CreateTopic", "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:DeleteTopic",
        "sns:ListTagsForResource", "sns:TagResource", "sns:UntagResource",
    ],
    "aws_sns_topic_policy": ["sns:SetTopicAttributes", "sns:GetTopicAttributes"],
    "aws_sns_topic_subscription": [
        "sns:Subscribe", "sns:Unsubscribe", "sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes",
    ],
    "aws_sqs_queue": [
        "sqs:CreateQueue", "sqs:GetQueueAttributes", "sqs:SetQueueAttributes", "sqs:GetQueueUrl",
        "sqs:DeleteQueue", "sqs:ListQueueTags", "sqs:TagQueue", "sqs:UntagQueue",
    ],
    "aws_sqs_queue_policy": ["sqs:SetQueueAttributes", "sqs:GetQueueAttributes"],
}

# scripts/preflight.py reads these with the same credentials.
PREFLIGHT = [
    "sts:GetCallerIdentity", "apigateway:GET", "iam:GetRole", "cognito-idp:DescribeUserPool",
    "cognito-idp:DescribeUserPoolClient", "sns:GetTopicAttributes", "acm:DescribeCertificate",
    "lambda:GetAccountSettings", "s3:ListBucket",
]  # fmt: skip
