"""Every WebSocket message route: audio, control, legacy createSession."""
