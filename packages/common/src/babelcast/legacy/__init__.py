"""The deployed frontends' WebSocket dialect (requirement 9), accepted beside ours while they
migrate: docs/websocket-protocol.md#the-legacy-dialect and docs/migrating-from-legacy.md."""
