# The single source of truth for the HTTP routes: route key => function key (see functions.tf)
# and authorization (JWT = Cognito token required, NONE = public).
locals {
  http_routes = {
    "POST /sessions"               = { function = "http_api", authorization = "JWT" }
    "GET /sessions"                = { function = "http_api", authorization = "JWT" }
    "GET /sessions/{sessionId}"    = { function = "http_api", authorization = "NONE" }
    "PATCH /sessions/{sessionId}"  = { function = "http_api", authorization = "JWT" }
    "DELETE /sessions/{sessionId}" = { function = "http_api", authorization = "JWT" }
    "GET /health"                  = { function = "http_api", authorization = "NONE" }
  }
}
