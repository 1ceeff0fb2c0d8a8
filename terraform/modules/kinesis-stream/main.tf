locals {
  # On-demand streams manage their own shards; the API rejects a shard count for them.
  shard_count = var.stream_mode == "PROVISIONED" ? var.shard_count : null

  encryption_type = var.encryption_enabled ? "KMS" : "NONE"
  kms_key_id      = var.encryption_enabled ? var.kms_key_id : null
}

resource "aws_kinesis_stream" "this" {
  name             = var.name
  shard_count      = local.shard_count
  retention_period = var.retention_period

  # kms_key_id chooses between the AWS-managed key and a CMK; encryption_enabled = false is for
  # emulators only.
  encryption_type = local.encryption_type
  kms_key_id      = local.kms_key_id

  stream_mode_details {
    stream_mode = var.stream_mode
  }

  tags = var.tags
}
