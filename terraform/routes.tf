# The single source of truth for the HTTP routes: route key => function key (see functions.tf)
# and authorization (JWT = Cognito token required, NONE = public).
locals {
  http_routes = {
    "POST /sessions"                      = { function = "http_api", authorization = "JWT" }
    "GET /sessions"                       = { function = "http_api", authorization = "JWT" }
    "GET /sessions/{sessionId}"           = { function = "http_api", authorization = "NONE" }
    "PATCH /sessions/{sessionId}"         = { function = "http_api", authorization = "JWT" }
    "DELETE /sessions/{sessionId}"        = { function = "http_api", authorization = "JWT" }
    "GET /sessions/{sessionId}/analytics" = { function = "http_api", authorization = "JWT" }
    "GET /health"                         = { function = "http_api", authorization = "NONE" }
  }
}

# The single source of truth for the WebSocket routes: route key => function key. API Gateway
# picks the route from the "action" field of each JSON message ($default when it matches none).
# Only $connect is authorized, by local.websocket_connect_authorizer; the socket then carries
# that identity for every later message.
locals {
  websocket_routes = {
    "$connect"         = { function = "ws_connect" }
    "$disconnect"      = { function = "ws_disconnect" }
    "$default"         = { function = "ws_message" }
    "sendAudio"        = { function = "ws_message" }
    "heartbeat"        = { function = "ws_message" }
    "pauseBroadcast"   = { function = "ws_message" }
    "resumeBroadcast"  = { function = "ws_message" }
    "changeLanguage"   = { function = "ws_message" }
    "getSessionStatus" = { function = "ws_message" }
    "createSession"    = { function = "ws_message" }
    "catchUp"          = { function = "ws_message" }
    # The deployed frontends' dialect (legacy_dialect_enabled; docs/migrating-from-legacy.md)
    "audioChunk"        = { function = "ws_message" }
    "endSession"        = { function = "ws_message" }
    "muteBroadcast"     = { function = "ws_message" }
    "unmuteBroadcast"   = { function = "ws_message" }
    "joinSession"       = { function = "ws_message" }
    "switchLanguage"    = { function = "ws_message" }
    "refreshConnection" = { function = "ws_message" }
  }

  websocket_connect_authorizer = "ws_authorizer"
}
