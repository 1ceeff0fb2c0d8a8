locals {
  attribute_names = [for a in var.attributes : a.name]

  # Every key used by the table or an index; DynamoDB rejects declared attributes that are not keys.
  key_attribute_names = distinct(compact(concat(
    [var.hash_key, var.range_key],
    flatten([for i in var.global_secondary_indexes : [i.hash_key, i.range_key]]),
  )))
}

resource "aws_dynamodb_table" "this" {
  #checkov:skip=CKV_AWS_119: encrypted at rest either way; kms_key_arn opts into a customer-managed key, the default AWS-owned key needs no key policy or KMS cost
  name                        = var.name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = var.hash_key
  range_key                   = var.range_key
  deletion_protection_enabled = var.deletion_protection

  stream_enabled   = var.stream_view_type != null
  stream_view_type = var.stream_view_type

  dynamic "attribute" {
    for_each = var.attributes

    content {
      name = attribute.value.name
      type = attribute.value.type
    }
  }

  dynamic "global_secondary_index" {
    for_each = var.global_secondary_indexes

    content {
      name               = global_secondary_index.value.name
      hash_key           = global_secondary_index.value.hash_key
      range_key          = global_secondary_index.value.range_key
      projection_type    = global_secondary_index.value.projection_type
      non_key_attributes = global_secondary_index.value.non_key_attributes
    }
  }

  dynamic "ttl" {
    for_each = var.ttl_attribute_name == null ? [] : [var.ttl_attribute_name]

    content {
      enabled        = true
      attribute_name = ttl.value
    }
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  # Encryption at rest is always on; enabled = true only switches from the AWS-owned key to the CMK.
  server_side_encryption {
    enabled     = var.kms_key_arn != null
    kms_key_arn = var.kms_key_arn
  }

  tags = var.tags

  lifecycle {
    # Cross-variable checks live here because validation blocks may only reference their own variable before Terraform 1.9.
    precondition {
      condition     = alltrue([for k in local.key_attribute_names : contains(local.attribute_names, k)])
      error_message = "Every table/index key must be declared in attributes."
    }

    precondition {
      condition     = alltrue([for n in local.attribute_names : contains(local.key_attribute_names, n)])
      error_message = "attributes may only declare key attributes (DynamoDB is schemaless otherwise)."
    }
  }
}
