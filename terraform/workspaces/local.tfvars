# Local development against an AWS emulator (or a throwaway account): permissive auth flow for
# test tooling, browser dev-server origins, short-lived logs.
allow_user_password_auth = true
cors_allowed_origins     = ["http://localhost:5173", "http://127.0.0.1:5173"]
log_retention_days       = 1
log_level                = "DEBUG"
deletion_protection      = false

tags = {
  Environment = "local"
}
