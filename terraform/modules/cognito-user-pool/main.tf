locals {
  # SRP keeps passwords off the wire; USER_PASSWORD_AUTH is opt-in for local tooling and tests.
  explicit_auth_flows = concat(
    ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    var.allow_user_password_auth ? ["ALLOW_USER_PASSWORD_AUTH"] : [],
  )

  # A pool ID starts with its region (us-east-1_AbC...), which is also the issuer's.
  issuer = "https://cognito-idp.${split("_", aws_cognito_user_pool.this.id)[0]}.amazonaws.com/${aws_cognito_user_pool.this.id}"
}

resource "aws_cognito_user_pool" "this" {
  name                = var.name
  deletion_protection = var.deletion_protection ? "ACTIVE" : "INACTIVE"

  # Plain usernames (no email/phone alias): nothing personal is required to hold an account.
  username_configuration {
    case_sensitive = false
  }

  password_policy {
    minimum_length                   = var.password_policy.minimum_length
    require_lowercase                = var.password_policy.require_lowercase
    require_uppercase                = var.password_policy.require_uppercase
    require_numbers                  = var.password_policy.require_numbers
    require_symbols                  = var.password_policy.require_symbols
    temporary_password_validity_days = var.password_policy.temporary_password_validity_days
  }

  admin_create_user_config {
    allow_admin_create_user_only = !var.allow_self_sign_up
  }

  # Without verified contact details only an administrator can reset a password.
  account_recovery_setting {
    recovery_mechanism {
      name     = "admin_only"
      priority = 1
    }
  }

  tags = var.tags

  lifecycle {
    # Username case sensitivity is immutable: a change would replace the pool and delete every
    # user. (Also masks a moto bug that forgets the setting after any UpdateUserPool call.)
    ignore_changes = [username_configuration]
  }
}

resource "aws_cognito_user_pool_client" "this" {
  name         = coalesce(var.client_name, "${var.name}-client")
  user_pool_id = aws_cognito_user_pool.this.id

  # Public client (SPA / CLI): a secret could not be kept secret.
  generate_secret     = false
  explicit_auth_flows = local.explicit_auth_flows

  prevent_user_existence_errors = "ENABLED"
  enable_token_revocation       = true

  access_token_validity  = var.access_token_validity_minutes
  id_token_validity      = var.id_token_validity_minutes
  refresh_token_validity = var.refresh_token_validity_days

  token_validity_units {
    access_token  = "minutes"
    id_token      = "minutes"
    refresh_token = "days"
  }
}
