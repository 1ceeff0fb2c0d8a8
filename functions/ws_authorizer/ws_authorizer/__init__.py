"""WebSocket $connect REQUEST authorizer: verifies speakers' Cognito tokens."""
