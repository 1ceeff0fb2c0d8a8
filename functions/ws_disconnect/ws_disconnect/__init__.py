"""WebSocket $disconnect: forget the connection."""
