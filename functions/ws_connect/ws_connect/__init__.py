"""WebSocket $connect: who may join a session."""
