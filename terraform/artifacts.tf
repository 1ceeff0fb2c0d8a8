# The Lambda zips, uploaded to S3 and deployed from there: the provider creates functions from
# S3 concurrently, whereas from a local filename it creates them one at a time.
locals {
  create_artifacts_bucket = var.existing_artifacts_bucket == null

  # Bucket names are global: the account and region make the created one unique. A long prefix and
  # environment are cut, with a hash of the full stem so that two long names still differ, to keep the
  # name within S3's 63 characters.
  artifacts_bucket_suffix    = "-artifacts-${local.account_id}-${local.region}"
  artifacts_bucket_stem      = replace(lower(local.name), "/[^a-z0-9-]/", "-")
  artifacts_bucket_stem_room = 63 - length(local.artifacts_bucket_suffix)
  created_artifacts_bucket_name = join("", [
    length(local.artifacts_bucket_stem) <= local.artifacts_bucket_stem_room
    ? local.artifacts_bucket_stem
    : "${substr(local.artifacts_bucket_stem, 0, local.artifacts_bucket_stem_room - 9)}-${substr(sha1(local.artifacts_bucket_stem), 0, 8)}",
    local.artifacts_bucket_suffix,
  ])

  created_artifacts_bucket_arn = "arn:${local.partition}:s3:::${local.created_artifacts_bucket_name}"

  # Taken from the encryption configuration (which follows versioning), so objects are uploaded
  # only once versioning and default encryption apply to them. Not from the lifecycle: it only
  # expires superseded versions later, and the provider waits ~30-40 s after creating it for S3's
  # eventual consistency, which would otherwise delay every function behind it.
  artifacts_bucket = local.create_artifacts_bucket ? one(aws_s3_bucket_server_side_encryption_configuration.artifacts[*].bucket) : var.existing_artifacts_bucket.name
}

resource "aws_s3_bucket" "artifacts" {
  #checkov:skip=CKV_AWS_18: only this stack's applies write here and Lambda reads at deploy time; server access logs would need a second bucket, CloudTrail covers S3 data events account-wide if required
  #checkov:skip=CKV_AWS_144: the zips are rebuilt reproducibly from source (make package); a replica bucket and role would add nothing to recovery
  #checkov:skip=CKV_AWS_145: encrypted by default with SSE-S3; artifacts_kms_key_arn opts into SSE-KMS (the zips hold code, no data or secrets)
  #checkov:skip=CKV2_AWS_62: nothing reacts to uploads; the apply that uploads a zip also deploys it
  count = local.create_artifacts_bucket ? 1 : 0

  bucket = local.created_artifacts_bucket_name
  # Destroy deletes the uploaded zips with all their versions, but refuses to delete a bucket
  # still holding anything else unless asked to (emulators and throwaway workspaces).
  force_destroy = var.artifacts_bucket_force_destroy

  tags = local.tags

  lifecycle {
    precondition {
      condition     = can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", local.created_artifacts_bucket_name)) && !startswith(local.created_artifacts_bucket_name, "xn--") && !startswith(local.created_artifacts_bucket_name, "sthree-")
      error_message = "The artifacts bucket name derived from name_prefix and environment is not a valid S3 bucket name; set existing_artifacts_bucket."
    }
  }
}

resource "aws_s3_bucket_public_access_block" "artifacts" {
  count = local.create_artifacts_bucket ? 1 : 0

  bucket                  = aws_s3_bucket.artifacts[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

data "aws_iam_policy_document" "artifacts_bucket" {
  count = local.create_artifacts_bucket && local.emulator.artifacts_bucket_tls_policy ? 1 : 0

  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    # Built from the name rather than the bucket's arn, so the plan shows the whole document.
    resources = [local.created_artifacts_bucket_arn, "${local.created_artifacts_bucket_arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "artifacts" {
  count = local.create_artifacts_bucket && local.emulator.artifacts_bucket_tls_policy ? 1 : 0

  bucket = aws_s3_bucket.artifacts[0].id
  policy = data.aws_iam_policy_document.artifacts_bucket[0].json

  # S3 may reject concurrent configuration changes of one bucket (OperationAborted), hence the
  # chain public access block -> policy -> ownership -> versioning -> encryption.
  depends_on = [aws_s3_bucket_public_access_block.artifacts]
}

# ACLs disabled: the bucket owner owns every object.
resource "aws_s3_bucket_ownership_controls" "artifacts" {
  count = local.create_artifacts_bucket ? 1 : 0

  bucket = aws_s3_bucket.artifacts[0].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }

  depends_on = [aws_s3_bucket_public_access_block.artifacts, aws_s3_bucket_policy.artifacts]
}

# Versions keep what each function was deployed from; the functions pin the version they run.
# The bucket is referenced directly (ordering by depends_on) so that scanners link the two.
resource "aws_s3_bucket_versioning" "artifacts" {
  count = local.create_artifacts_bucket ? 1 : 0

  bucket = aws_s3_bucket.artifacts[0].id

  versioning_configuration {
    status = "Enabled"
  }

  depends_on = [aws_s3_bucket_ownership_controls.artifacts]
}

resource "aws_s3_bucket_server_side_encryption_configuration" "artifacts" {
  count = local.create_artifacts_bucket ? 1 : 0

  bucket = aws_s3_bucket_versioning.artifacts[0].bucket

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.artifacts_kms_key_arn == null ? "AES256" : "aws:kms"
      kms_master_key_id = var.artifacts_kms_key_arn
    }
    # One data key per bucket rather than per object: fewer KMS requests.
    bucket_key_enabled = var.artifacts_kms_key_arn != null
  }
}

# Lambda copies the code when a function is deployed, so superseded zips are only kept for a
# while (for inspection or a quick rollback), and abandoned multipart uploads are cleaned up.
resource "aws_s3_bucket_lifecycle_configuration" "artifacts" {
  count = local.create_artifacts_bucket && var.artifacts_noncurrent_version_days != null ? 1 : 0

  bucket = aws_s3_bucket.artifacts[0].id

  rule {
    id     = "expire-superseded-artifacts"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.artifacts_noncurrent_version_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_server_side_encryption_configuration.artifacts]
}

resource "aws_s3_object" "artifacts" {
  for_each = local.functions

  bucket       = local.artifacts_bucket
  key          = "${local.name}/${each.key}.zip"
  source       = "${local.artifacts_dir}/${each.key}.zip"
  content_type = "application/zip"
  # A changed zip is uploaded again. source_hash rather than etag: with SSE-KMS the ETag is not
  # the MD5 of the content, which would show as a change on every plan.
  source_hash = filemd5("${local.artifacts_dir}/${each.key}.zip")

  tags = local.tags
}
